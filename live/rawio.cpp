// Allocation-free output, number formatting and /proc readers for mmspec-live (agent.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent.hpp"

namespace mmspec::live {

// ---- Out ------------------------------------------------------------------------------------

void Out::write_all(const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      failed_ = true;  // the reader went away: nothing sensible is left to do with the output
      return;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

Out& Out::ch(char c) {
  if (len_ == kCapacity) {
    // A single line longer than the buffer: give up line atomicity for it.
    write_all(buf_, len_);
    len_ = 0;
    line_start_ = 0;
  }
  buf_[len_++] = c;
  return *this;
}

Out& Out::str(std::string_view s) {
  for (char c : s) ch(c);
  return *this;
}

Out& Out::text(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    ch(u < 0x20 || u == 0x7f ? '?' : c);
  }
  return *this;
}

Out& Out::hex(std::uint64_t v) {
  char tmp[16];
  int n = 0;
  do {
    unsigned d = static_cast<unsigned>(v & 0xf);
    tmp[n++] = static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    v >>= 4;
  } while (v != 0);
  ch('0').ch('x');
  while (n > 0) ch(tmp[--n]);
  return *this;
}

Out& Out::dec(std::uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) ch(tmp[--n]);
  return *this;
}

Out& Out::sdec(std::int64_t v) {
  if (v < 0) {
    ch('-');
    return dec(~static_cast<std::uint64_t>(v) + 1);
  }
  return dec(static_cast<std::uint64_t>(v));
}

void Out::end_line() {
  ch('\n');
  if (len_ > kChunk) {
    // Write the complete lines before this one, then this one if it alone is too big.
    if (line_start_ > 0) {
      write_all(buf_, line_start_);
      std::memmove(buf_, buf_ + line_start_, len_ - line_start_);
      len_ -= line_start_;
    }
    if (len_ > kChunk) {
      write_all(buf_, len_);
      len_ = 0;
    }
  }
  line_start_ = len_;
}

void Out::flush() {
  if (len_ > 0) write_all(buf_, len_);
  len_ = 0;
  line_start_ = 0;
}

// ---- numbers and small files ----------------------------------------------------------------

long read_small_file(const char* path, char* buf, std::size_t cap) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  std::size_t have = 0;
  long rc = 0;
  while (have + 1 < cap) {
    ssize_t r = ::read(fd, buf + have, cap - 1 - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      break;
    }
    if (r == 0) break;
    have += static_cast<std::size_t>(r);
  }
  ::close(fd);
  buf[have] = '\0';
  return rc < 0 ? rc : static_cast<long>(have);
}

bool parse_dec(const char* s, std::uint64_t* v) {
  while (*s == ' ' || *s == '\t') ++s;
  if (*s < '0' || *s > '9') return false;
  std::uint64_t x = 0;
  while (*s >= '0' && *s <= '9') x = x * 10 + static_cast<std::uint64_t>(*s++ - '0');
  *v = x;
  return true;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex_adv(const char** s, const char* end, std::uint64_t* v) {
  const char* p = *s;
  std::uint64_t x = 0;
  int n = 0;
  while (p < end && hex_digit(*p) >= 0 && n < 16) {
    x = (x << 4) | static_cast<std::uint64_t>(hex_digit(*p++));
    ++n;
  }
  if (n == 0) return false;
  *v = x;
  *s = p;
  return true;
}

bool read_self_stat(StatFields* out, char* buf, std::size_t cap) {
  long n = read_small_file("/proc/self/stat", buf, cap);
  if (n <= 0) return false;
  // Field 2 (comm) is parenthesised and may hold blanks and parentheses: start after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  ++p;
  int field = 2;
  const char* end = buf + n;
  while (p < end && field + 1 < StatFields::kMax) {
    while (p < end && *p == ' ') ++p;
    if (p >= end || *p == '\n') break;
    ++field;
    bool neg = false;
    if (*p == '-') {
      neg = true;
      ++p;
    }
    std::uint64_t x = 0;
    while (p < end && *p >= '0' && *p <= '9') x = x * 10 + static_cast<std::uint64_t>(*p++ - '0');
    while (p < end && *p != ' ' && *p != '\n') ++p;  // field 3 (state) is a letter
    out->f[field] = neg ? ~x + 1 : x;
  }
  out->count = field;
  return field >= 51;  // env_end, the last field the agent needs
}

// ---- smaps ----------------------------------------------------------------------------------

namespace {

struct SmapsSink {
  Out* out;
  Range* ranges;
  std::size_t max_ranges;
  std::size_t count = 0;

  void line(const char* p, std::size_t n) {
    if (n > 0 && p[n - 1] == '\r') --n;
    if (n == 0) return;
    if (hex_digit(*p) >= 0 && !(*p >= 'A' && *p <= 'F')) {
      // A VMA header: "start-end perms offset dev inode [name]".
      out->str("vma ").text(std::string_view(p, n));
      out->end_line();
      const char* s = p;
      const char* e = p + n;
      std::uint64_t start = 0, end = 0;
      if (parse_hex_adv(&s, e, &start) && s < e && *s == '-' && (++s, parse_hex_adv(&s, e, &end))) {
        if (ranges != nullptr && count < max_ranges) ranges[count] = Range{start, end};
      }
      ++count;
      return;
    }
    static constexpr char kKey[] = "VmFlags:";
    if (n >= sizeof kKey - 1 && std::memcmp(p, kKey, sizeof kKey - 1) == 0) {
      const char* s = p + sizeof kKey - 1;
      const char* e = p + n;
      while (s < e && (*s == ' ' || *s == '\t')) ++s;
      while (e > s && (e[-1] == ' ' || e[-1] == '\t')) --e;
      out->str("flags");
      if (e > s) out->ch(' ').text(std::string_view(s, static_cast<std::size_t>(e - s)));
      out->end_line();
    }
  }
};

}  // namespace

long emit_smaps(Out& out, char* scratch, std::size_t scratch_cap, Range* ranges,
                std::size_t max_ranges, std::size_t* nranges) {
  int fd = ::open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  SmapsSink sink{&out, ranges, max_ranges};
  std::size_t have = 0;
  long rc = 0;
  bool skipping = false;  // inside the tail of an over-long line that was already reported
  for (;;) {
    ssize_t r = ::read(fd, scratch + have, scratch_cap - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      break;
    }
    if (r == 0) break;
    have += static_cast<std::size_t>(r);
    std::size_t pos = 0;
    for (;;) {
      const void* nl = std::memchr(scratch + pos, '\n', have - pos);
      if (nl == nullptr) break;
      std::size_t e = static_cast<std::size_t>(static_cast<const char*>(nl) - scratch);
      if (!skipping) sink.line(scratch + pos, e - pos);
      skipping = false;
      pos = e + 1;
    }
    std::memmove(scratch, scratch + pos, have - pos);
    have -= pos;
    if (have == scratch_cap) {  // a line longer than the scratch buffer: keep its head only
      if (!skipping) sink.line(scratch, have);
      skipping = true;
      have = 0;
    }
  }
  if (have > 0 && !skipping) sink.line(scratch, have);
  ::close(fd);
  if (nranges != nullptr) *nranges = sink.count > max_ranges ? max_ranges + 1 : sink.count;
  return rc;
}

}  // namespace mmspec::live
