// Observations: results as text, and /proc/PID/maps lines exactly as the kernel prints them.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mmspec/observation.hpp"

#include "hex.hpp"

namespace mmspec::trace {
namespace {

using u64 = std::uint64_t;

void put_hex(std::string& out, u64 v, int width) { append_hex(out, v, width); }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A cursor over one maps line.
struct Reader {
  std::string_view s;
  std::size_t i = 0;

  bool hex(u64& out) {
    std::size_t start = i;
    u64 v = 0;
    while (i < s.size() && hex_digit(s[i]) >= 0) {
      if (v > (~u64{0} >> 4)) return false;
      v = (v << 4) | static_cast<u64>(hex_digit(s[i]));
      ++i;
    }
    out = v;
    return i > start;
  }
  bool dec(u64& out) {
    std::size_t start = i;
    u64 v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      u64 d = static_cast<u64>(s[i] - '0');
      if (v > (~u64{0} - d) / 10) return false;
      v = v * 10 + d;
      ++i;
    }
    out = v;
    return i > start;
  }
  bool lit(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
};

}  // namespace

std::string format_result(const OpResult& r) {
  switch (r.kind) {
    case OpResult::Kind::none: return "-";
    case OpResult::Kind::value: {
      std::string out = "0x";
      put_hex(out, r.value, 1);
      return out;
    }
    case OpResult::Kind::error: return errno_str(r.errnum);
    case OpResult::Kind::touch: return std::string(touch_outcome_name(r.touch));
  }
  return "?";
}

// fs/proc/task_mmu.c show_vma_header_prefix + show_map_vma: the prefix
// "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu " is printed inside seq_setwidth(m, 25 +
// sizeof(void *) * 6 - 1) = 72 columns; when the VMA has a name, seq_pad() fills the line up
// to those 72 columns with spaces, adds one more space, and the name follows.
std::string MapsEntry::maps_line() const {
  std::string out;
  out.reserve(80 + name.size());
  put_hex(out, start, 8);
  out += '-';
  put_hex(out, end, 8);
  out += ' ';
  out.append(perms, 4);
  out += ' ';
  put_hex(out, offset, 8);
  out += ' ';
  put_hex(out, dev_major, 2);
  out += ':';
  put_hex(out, dev_minor, 2);
  out += ' ';
  out += std::to_string(inode);
  out += ' ';
  if (!name.empty()) {
    constexpr std::size_t kWidth = 25 + 8 * 6 - 1;
    if (out.size() < kWidth) out.append(kWidth - out.size(), ' ');
    out += ' ';
    out += name;
  }
  return out;
}

bool MapsEntry::same_vma(const MapsEntry& o) const {
  if (start != o.start || end != o.end || perms_str() != o.perms_str() || offset != o.offset ||
      name != o.name) {
    return false;
  }
  if (name.empty()) return dev_major == o.dev_major && dev_minor == o.dev_minor && inode == o.inode;
  return true;
}

std::optional<MapsEntry> parse_maps_line(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Reader r{line};
  MapsEntry e;
  u64 major = 0, minor = 0;
  if (!r.hex(e.start) || !r.lit('-') || !r.hex(e.end) || !r.lit(' ')) return std::nullopt;
  if (r.i + 4 > line.size()) return std::nullopt;
  const char* perm_chars[4] = {"r-", "w-", "x-", "ps"};
  for (int k = 0; k < 4; ++k) {
    char c = line[r.i];
    if (c != perm_chars[k][0] && c != perm_chars[k][1]) return std::nullopt;
    e.perms[k] = c;
    ++r.i;
  }
  if (!r.lit(' ') || !r.hex(e.offset) || !r.lit(' ')) return std::nullopt;
  if (!r.hex(major) || !r.lit(':') || !r.hex(minor) || !r.lit(' ')) return std::nullopt;
  if (major > 0xffffffffu || minor > 0xffffffffu) return std::nullopt;
  e.dev_major = static_cast<std::uint32_t>(major);
  e.dev_minor = static_cast<std::uint32_t>(minor);
  if (!r.dec(e.inode)) return std::nullopt;
  if (r.i < line.size()) {
    if (line[r.i] != ' ' && line[r.i] != '\t') return std::nullopt;
    while (r.i < line.size() && (line[r.i] == ' ' || line[r.i] == '\t')) ++r.i;
    e.name = std::string(line.substr(r.i));
  }
  return e;
}

std::string trace_file_path(std::string_view name) {
  return "/memfd:" + std::string(name) + " (deleted)";
}

}  // namespace mmspec::trace
