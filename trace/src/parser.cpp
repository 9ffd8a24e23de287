// The .mmt parser: lines -> tokens -> statements (grammar: docs/trace-format.md).
//
// parse() is total: any byte string yields either a Trace or the first error, with the
// 1-based line and column of the offending token. Internally a failure unwinds to parse() as a
// private exception type; nothing escapes it.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mmspec/trace.hpp"
#include "mmspec/types.hpp"
#include "mmspec/vm_flags.hpp"

#include "hex.hpp"

namespace mmspec::trace {

std::string ParseError::str() const {
  return path + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) +
         ": error: " + message;
}

namespace {

using u64 = std::uint64_t;

struct Tok {
  std::string_view s;
  std::uint32_t col = 0;
};

// The error that unwinds a parse to parse().
struct Failure {
  SrcLoc loc;
  std::string message;
};

constexpr u64 kPage = mmspec::PAGE_SIZE;

// Every word with a meaning in the language; none of them can name a file or a binding.
constexpr std::string_view kKeywords[] = {
    // statements
    "profile", "window", "file", "open", "mmap", "munmap", "mprotect", "mremap", "mlock",
    "munlock", "mlockall", "munlockall", "madvise", "brk", "touch", "heap", "rlimit", "end", "on",
    // madvise advice
    "normal", "random", "sequential", "willneed", "dontneed", "free", "remove", "dontfork",
    "dofork", "hugepage", "nohugepage", "dontdump", "dodump", "wipeonfork", "keeponfork", "cold",
    "pageout",
    // mremap words
    "maymove", "dontunmap",
    // mlock and mlockall words
    "onfault", "current", "future",
    // file modes
    "ro", "wo", "rw",
    // protections and mprotect words
    "none", "growsup",
    // mmap words
    "private", "shared", "anon", "fixed", "noreplace", "growsdown", "stack", "noreserve",
    "locked", "populate", "nonblock", "above4g", "hugetlb", "sync", "droppable", "badfd",
    // touch
    "read", "write", "exec", "ok", "SEGV_MAPERR", "SEGV_ACCERR", "SIGBUS",
    // rlimit
    "as", "data", "memlock", "unlimited",
    // expect-maps
    "shmem",
};

struct MapWord {
  std::string_view word;
  int bits;
};

// mmap flag words. printer.cpp writes them back in its canonical order.
constexpr MapWord kMapWords[] = {
    {"private", MAP_PRIVATE},
    {"shared", MAP_SHARED},
    {"shared-validate", MAP_SHARED_VALIDATE},
    {"droppable", MAP_DROPPABLE},
    {"anon", MAP_ANONYMOUS},
    {"fixed", MAP_FIXED},
    {"noreplace", MAP_FIXED_NOREPLACE},
    {"growsdown", MAP_GROWSDOWN},
    {"stack", MAP_STACK},
    {"noreserve", MAP_NORESERVE},
    {"locked", MAP_LOCKED},
    {"populate", MAP_POPULATE},
    {"nonblock", MAP_NONBLOCK},
    {"32bit", MAP_32BIT},
    {"above4g", MAP_ABOVE4G},
    {"hugetlb", MAP_HUGETLB},
    {"sync", MAP_SYNC},
};

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name(std::string_view s) {
  if (s.empty() || !is_name_start(s[0])) return false;
  for (char c : s) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

bool is_keyword(std::string_view s) {
  for (std::string_view k : kKeywords) {
    if (k == s) return true;
  }
  return errno_from_str(s).has_value();
}

// Quote a piece of input for a message: non-printable bytes as \xNN, long pieces shortened.
std::string show(std::string_view s) {
  if (s.empty()) return "nothing";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  std::size_t n = 0;
  for (char ch : s) {
    if (n == 40) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
    ++n;
  }
  out += "'";
  return out;
}


std::uint32_t sat32(std::size_t v) {
  return v > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(v);
}

std::uint32_t add_col(std::uint32_t col, std::size_t off) {
  return sat32(static_cast<std::size_t>(col) + off);
}

enum class NumStatus { ok, syntax, overflow };

// number = decimal | "0x" hexdigits. The whole of s.
NumStatus parse_number(std::string_view s, u64& out) {
  u64 v = 0;
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') {
    for (std::size_t i = 2; i < s.size(); ++i) {
      char c = s[i];
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else return NumStatus::syntax;
      if (v > (std::numeric_limits<u64>::max() >> 4)) {
        // keep scanning so that a syntax error wins over an overflow
        for (std::size_t k = i; k < s.size(); ++k) {
          char e = s[k];
          bool ok = (e >= '0' && e <= '9') || (e >= 'a' && e <= 'f') || (e >= 'A' && e <= 'F');
          if (!ok) return NumStatus::syntax;
        }
        return NumStatus::overflow;
      }
      v = (v << 4) | d;
    }
    out = v;
    return NumStatus::ok;
  }
  if (s.empty()) return NumStatus::syntax;
  bool overflow = false;
  for (char c : s) {
    if (!is_digit(c)) return NumStatus::syntax;
    u64 d = static_cast<u64>(c - '0');
    if (v > (std::numeric_limits<u64>::max() - d) / 10) overflow = true;
    else v = v * 10 + d;
  }
  if (overflow) return NumStatus::overflow;
  out = v;
  return NumStatus::ok;
}

// size = number ["K" | "M" | "G"].
NumStatus parse_size(std::string_view s, u64& out) {
  unsigned shift = 0;
  if (!s.empty()) {
    switch (s.back()) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      default: break;
    }
  }
  if (shift != 0) s.remove_suffix(1);
  u64 v = 0;
  NumStatus st = parse_number(s, v);
  if (st != NumStatus::ok) return st;
  if (shift != 0 && v > (std::numeric_limits<u64>::max() >> shift)) return NumStatus::overflow;
  out = v << shift;
  return NumStatus::ok;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view path) : text_(text) { t_.path = path; }

  ParseResult run() {
    ParseResult r;
    try {
      parse_all();
      r.trace = std::move(t_);
    } catch (Failure& f) {
      r.error = ParseError{std::string(t_.path), f.loc, std::move(f.message)};
    } catch (const std::bad_alloc&) {
      r.error = ParseError{std::string(t_.path), SrcLoc{line_, 1}, "out of memory"};
    }
    return r;
  }

 private:
  struct Name {
    bool is_file = false;
    std::int32_t index = -1;  // file index or binding slot (the newest one)
  };

  // ---- errors ----------------------------------------------------------------------------

  [[noreturn]] void fail(std::uint32_t col, std::string msg) const {
    throw Failure{SrcLoc{line_, col}, std::move(msg)};
  }
  [[noreturn]] void expected(std::string_view what, const Tok& found) const {
    fail(found.col, "expected " + std::string(what) + ", found " + show(found.s));
  }
  [[noreturn]] void expected_at(std::string_view what, std::string_view found,
                                std::uint32_t col) const {
    fail(col, "expected " + std::string(what) + ", found " + show(found));
  }
  [[noreturn]] void expected_eol(std::string_view what) const {
    fail(eol_col_, "expected " + std::string(what) + ", found end of line");
  }

  // ---- lines and tokens ------------------------------------------------------------------

  void parse_all() {
    std::size_t pos = 0;
    while (pos <= text_.size()) {
      std::size_t nl = text_.find('\n', pos);
      bool last = nl == std::string_view::npos;
      std::string_view ln = text_.substr(pos, last ? std::string_view::npos : nl - pos);
      line_ = line_ == std::numeric_limits<std::uint32_t>::max() ? line_ : line_ + 1;
      lex(ln);
      parse_line();
      if (last) break;
      pos = nl + 1;
    }
    if (in_block_) {
      line_ = block_.loc.line;
      fail(block_.loc.col, "'expect-maps' block is not closed by 'end'");
    }
  }

  // Split one line into words. A '\r' that ends the line (CR LF) counts as a blank.
  void lex(std::string_view ln) {
    toks_.clear();
    pos_ = 0;
    eol_col_ = 1;
    std::size_t n = ln.size();
    if (n > 0 && ln[n - 1] == '\r') --n;
    std::size_t i = 0;
    while (i < n) {
      char c = ln[i];
      if (c == ' ' || c == '\t') {
        ++i;
        continue;
      }
      if (c == '#') break;
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) fail(sat32(i + 1), "unexpected character " + show(ln.substr(i, 1)));
      std::size_t j = i;
      while (j < n) {
        unsigned char d = static_cast<unsigned char>(ln[j]);
        if (d == ' ' || d == '\t' || d == '#' || d < 0x20 || d == 0x7f) break;
        ++j;
      }
      toks_.push_back(Tok{ln.substr(i, j - i), sat32(i + 1)});
      eol_col_ = sat32(j + 1);
      i = j;
    }
  }

  bool at_end() const { return pos_ >= toks_.size(); }
  const Tok& peek() const { return toks_[pos_]; }
  Tok next(std::string_view what) {
    if (at_end()) expected_eol(what);
    return toks_[pos_++];
  }

  // ---- numbers and expressions -----------------------------------------------------------

  u64 size_value(const Tok& t, std::string_view what) const {
    u64 v = 0;
    switch (parse_size(t.s, v)) {
      case NumStatus::ok: return v;
      case NumStatus::overflow: fail(t.col, "value " + show(t.s) + " does not fit in 64 bits");
      case NumStatus::syntax: break;
    }
    expected(what, t);
  }

  u64 number_value(const Tok& t, std::string_view what) const {
    u64 v = 0;
    switch (parse_number(t.s, v)) {
      case NumStatus::ok: return v;
      case NumStatus::overflow: fail(t.col, "value " + show(t.s) + " does not fit in 64 bits");
      case NumStatus::syntax: break;
    }
    expected(what, t);
  }

  // expr = ("+" | "-") size {("+" | "-") size}     window-relative
  //      | size {("+" | "-") size}                  absolute
  //      | name {("+" | "-") size}                  binding-relative
  // In a maps range (plus_only), '-' is the range separator and cannot appear in a term.
  // `result`: the expression is an expected result, where an unknown E... word is most likely
  // a misspelt errno name.
  Expr expr(const Tok& t, std::string_view what, bool plus_only = false,
            bool result = false) const {
    std::string_view s = t.s;
    Expr e;
    if (s.empty()) expected(what, t);
    auto term_end = [&](std::size_t from) {
      std::size_t j = from;
      while (j < s.size() && s[j] != '+' && s[j] != '-') ++j;
      return j;
    };
    std::size_t i = 0;
    char c = s[0];
    if (c == '+' || c == '-') {
      if (c == '-' && plus_only) expected(what, t);
      if (!t_.has_window) fail(t.col, "relative address needs a 'window' line first");
      e.base = Expr::Base::window;
    } else if (is_digit(c)) {
      std::size_t j = term_end(0);
      Tok term{s.substr(0, j), t.col};
      e.base = Expr::Base::absolute;
      e.offset = size_value(term, j == s.size() ? what : "a number or size such as 0x1000 or 4K");
      i = j;
    } else if (is_name_start(c)) {
      std::size_t j = 0;
      while (j < s.size() && is_name_char(s[j])) ++j;
      std::string_view name = s.substr(0, j);
      if (j < s.size() && s[j] != '+' && s[j] != '-') {
        fail(add_col(t.col, j), "unexpected " + show(s.substr(j, 1)) + " in " + show(s) +
                                    "; expected '+' or '-' followed by a size");
      }
      if (is_keyword(name)) expected(what, t);
      auto it = names_.find(name);
      if (it == names_.end()) {
        bool errno_like = result && name.size() >= 2 && name[0] == 'E' && j == s.size();
        for (char d : name) {
          if (!((d >= 'A' && d <= 'Z') || is_digit(d))) errno_like = false;
        }
        if (errno_like) fail(t.col, "unknown errno name " + show(name));
        fail(t.col, "unknown name " + show(name));
      }
      if (it->second.is_file) fail(t.col, "'" + std::string(name) + "' is a file, not a value");
      e.base = Expr::Base::binding;
      e.binding = it->second.index;
      i = j;
    } else {
      expected(what, t);
    }
    while (i < s.size()) {
      char sign = s[i];
      std::uint32_t sign_col = add_col(t.col, i);
      if (sign == '-' && plus_only) {
        fail(sign_col, "a maps range has a single '-' between START and END; write offsets with "
                       "'+', found " + show(s));
      }
      std::size_t j = term_end(i + 1);
      std::string_view term = s.substr(i + 1, j - (i + 1));
      if (term.empty()) {
        fail(sign_col, std::string("expected a number or size such as 4K after '") + sign +
                           "', found " + (j < s.size() ? show(s.substr(j, 1)) : "nothing"));
      }
      u64 v = size_value(Tok{term, add_col(t.col, i + 1)}, "a number or size such as 0x1000 or 4K");
      e.offset = sign == '+' ? e.offset + v : e.offset - v;
      i = j;
    }
    return e;
  }

  // PROT: an rwx pattern ("rw-", "---"), "none", or a raw number ("0x1000000").
  int prot(const Tok& t) const {
    static constexpr std::string_view kWhat = "a protection such as rw- or none";
    std::string_view s = t.s;
    if (s == "none") return PROT_NONE;
    if (!s.empty() && is_digit(s[0])) {
      u64 v = number_value(t, kWhat);
      if (v > 0xffffffffu) fail(t.col, "protection " + show(s) + " does not fit in 32 bits");
      return static_cast<int>(static_cast<std::uint32_t>(v));
    }
    if (s.size() == 3 && (s[0] == 'r' || s[0] == '-') && (s[1] == 'w' || s[1] == '-') &&
        (s[2] == 'x' || s[2] == '-')) {
      return (s[0] == 'r' ? PROT_READ : 0) | (s[1] == 'w' ? PROT_WRITE : 0) |
             (s[2] == 'x' ? PROT_EXEC : 0);
    }
    expected(kWhat, t);
  }

  ProfileMask profiles(const Tok& t) const {
    ProfileMask m = 0;
    const std::vector<std::string>& known = known_profiles();
    std::size_t i = 0;
    std::string_view s = t.s;
    while (true) {
      std::size_t j = s.find(',', i);
      if (j == std::string_view::npos) j = s.size();
      std::string_view p = s.substr(i, j - i);
      std::size_t k = 0;
      while (k < known.size() && known[k] != p) ++k;
      if (k == known.size()) {
        expected_at("a profile (linux-5.10, linux-6.1 or linux-6.18)", p, add_col(t.col, i));
      }
      m |= ProfileMask{1} << k;
      if (j == s.size()) break;
      i = j + 1;
    }
    return m;
  }

  // `FILE` or `FILE@PAGE`: the file index and the page index.
  std::pair<std::int32_t, u64> file_ref(const Tok& t, std::string_view what) const {
    std::size_t at = t.s.find('@');
    std::string_view name = t.s.substr(0, at);
    if (!is_name(name) || is_keyword(name)) expected(what, t);
    auto it = names_.find(name);
    if (it == names_.end()) expected(what, t);
    if (!it->second.is_file) fail(t.col, "'" + std::string(name) + "' is a binding, not a file");
    u64 page = 0;
    if (at != std::string_view::npos) {
      Tok p{t.s.substr(at + 1), add_col(t.col, at + 1)};
      if (p.s.empty()) fail(add_col(t.col, at), "expected a page number after '@', found nothing");
      page = number_value(p, "a page number such as 2");
      if (page > (std::numeric_limits<u64>::max() >> PAGE_SHIFT)) {
        fail(p.col, "page index " + show(p.s) + " is too large");
      }
    }
    return {it->second.index, page};
  }

  // ---- names -----------------------------------------------------------------------------

  void check_definable(const Tok& t) const {
    if (!is_name(t.s)) {
      expected("a name (a letter or '_', then letters, digits or '_')", t);
    }
    if (is_keyword(t.s)) fail(t.col, show(t.s) + " is a keyword and cannot be used as a name");
  }

  void check_new_file(const Tok& t) const {
    check_definable(t);
    auto it = names_.find(t.s);
    if (it == names_.end()) return;
    if (it->second.is_file) {
      fail(t.col, "file '" + std::string(t.s) + "' is already defined on line " +
                      std::to_string(t_.files[static_cast<std::size_t>(it->second.index)].loc.line));
    }
    fail(t.col, "'" + std::string(t.s) + "' is already a binding");
  }

  void check_new_binding(const Tok& t) const {
    check_definable(t);
    auto it = names_.find(t.s);
    if (it != names_.end() && it->second.is_file) {
      fail(t.col, "'" + std::string(t.s) + "' is already a file");
    }
  }

  // ---- statements ------------------------------------------------------------------------

  void parse_line() {
    if (toks_.empty()) return;
    if (in_block_) {
      maps_line();
      return;
    }
    const Tok* bind = nullptr;
    if (toks_.size() >= 2 && toks_[1].s == "=") {
      bind = &toks_[0];
      check_new_binding(*bind);
      pos_ = 2;
      if (at_end()) expected_eol("mmap, mremap or brk after '='");
      const Tok& k = peek();
      if (k.s != "mmap" && k.s != "mremap" && k.s != "brk") {
        expected("mmap, mremap or brk after '=' (only they give a value to bind)", k);
      }
    }
    Tok kw = next("a statement");
    SrcLoc loc{line_, toks_[0].col};
    std::string_view k = kw.s;
    if (k == "profile") return st_profile(kw);
    if (k == "window") return st_window(kw);
    if (k == "file") return st_file(kw);
    if (k == "open") return st_open(kw);
    if (k == "expect-maps") return st_expect_maps(kw);
    if (k == "end") fail(kw.col, "'end' without 'expect-maps'");
    Op op;
    op.loc = loc;
    if (k == "mmap") st_mmap(op);
    else if (k == "munmap") st_munmap(op);
    else if (k == "mprotect") st_mprotect(op);
    else if (k == "mremap") st_mremap(op);
    else if (k == "mlock") st_mlock(op);
    else if (k == "munlock") st_munlock(op);
    else if (k == "mlockall") st_mlockall(op);
    else if (k == "munlockall") st_munlockall(op);
    else if (k == "madvise") st_madvise(op);
    else if (k == "brk") st_brk(op);
    else if (k == "touch") st_touch(op);
    else if (k == "heap") st_heap(op, kw);
    else if (k == "rlimit") st_rlimit(op, kw);
    else {
      expected("a statement (profile, window, file, open, mmap, munmap, mprotect, mremap, mlock, "
               "munlock, mlockall, munlockall, madvise, brk, touch, heap, rlimit or expect-maps)",
               kw);
    }
    if (bind != nullptr) {
      if (t_.bindings.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
        fail(bind->col, "too many bindings");
      }
      op.bind = static_cast<std::int32_t>(t_.bindings.size());
      t_.bindings.emplace_back(bind->s);
      names_[std::string(bind->s)] = Name{false, op.bind};
    }
    t_.ops.push_back(std::move(op));
  }

  // A set-up statement ends here: no expectation, nothing else.
  void setup_end(const Tok& kw) const {
    if (at_end()) return;
    if (peek().s == "->") fail(peek().col, "'" + std::string(kw.s) + "' takes no expected result");
    expected("end of line", peek());
  }

  void st_profile(const Tok& kw) {
    if (profile_seen_) fail(kw.col, "only one 'profile' line is allowed");
    if (!t_.ops.empty()) fail(kw.col, "'profile' must come before the first operation");
    Tok p = next("a profile (linux-5.10, linux-6.1 or linux-6.18)");
    bool known = false;
    for (const std::string& k : known_profiles()) known = known || k == p.s;
    if (!known) expected("a profile (linux-5.10, linux-6.1 or linux-6.18)", p);
    t_.profile = std::string(p.s);
    profile_seen_ = true;
    setup_end(kw);
  }

  void st_window(const Tok& kw) {
    if (t_.has_window) fail(kw.col, "only one 'window' line is allowed");
    Tok a = next("a page-aligned address such as 0x7e0000000000");
    u64 addr = size_value(a, "a page-aligned address such as 0x7e0000000000");
    if (addr % kPage != 0) fail(a.col, "window address " + hex(addr) + " is not page aligned");
    Tok z = next("a window size such as 1G");
    u64 size = size_value(z, "a window size such as 1G");
    if (size == 0) fail(z.col, "window size must not be 0");
    if (size % kPage != 0) {
      fail(z.col, "window size " + hex(size) + " is not a multiple of the page size (4K)");
    }
    if (addr != 0 && size > u64{0} - addr) {
      fail(z.col, "window " + hex(addr) + " + " + hex(size) + " goes past the end of the 64-bit "
                  "address space");
    }
    setup_end(kw);
    t_.has_window = true;
    t_.window = addr;
    t_.window_size = size;
  }

  void file_mode(FileDecl& f) {
    if (at_end() || peek().s == "->") return;  // setup_end() reports a '->'

    Tok m = next("a file mode");
    if (m.s == "rw") {
      f.readable = f.writable = true;
    } else if (m.s == "ro") {
      f.readable = true;
      f.writable = false;
    } else if (m.s == "wo") {
      f.readable = false;
      f.writable = true;
    } else {
      expected("a file mode (ro, wo or rw) or end of line", m);
    }
  }

  void add_file(FileDecl f, const Tok& name) {
    if (t_.files.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      fail(name.col, "too many files");
    }
    std::int32_t index = static_cast<std::int32_t>(t_.files.size());
    names_[std::string(name.s)] = Name{true, index};
    t_.files.push_back(std::move(f));
  }

  void st_file(const Tok& kw) {
    Tok name = next("a file name");
    check_new_file(name);
    FileDecl f;
    f.name = std::string(name.s);
    f.loc = SrcLoc{line_, kw.col};
    f.size = size_value(next("a file size such as 16K"), "a file size such as 16K");
    file_mode(f);
    setup_end(kw);
    add_file(std::move(f), name);
  }

  void st_open(const Tok& kw) {
    Tok name = next("a file name");
    check_new_file(name);
    Tok other = next("the name of a file to open again");
    if (other.s.find('@') != std::string_view::npos) {
      expected("the name of a file to open again", other);
    }
    std::int32_t index = file_ref(other, "the name of a file to open again").first;
    const FileDecl& root = t_.files[static_cast<std::size_t>(index)];
    FileDecl f;
    f.name = std::string(name.s);
    f.loc = SrcLoc{line_, kw.col};
    f.inode_of = root.inode_of >= 0 ? root.inode_of : index;
    f.size = root.size;
    file_mode(f);
    setup_end(kw);
    add_file(std::move(f), name);
  }

  static constexpr std::string_view kAddr = "an address such as 0x1000, +0x1000 or A+4K";
  static constexpr std::string_view kLen = "a length such as 4K";

  void st_mmap(Op& op) {
    op.kind = OpKind::mmap;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next(kLen), kLen);
    op.prot = prot(next("a protection such as rw- or none"));
    static constexpr std::string_view kWord =
        "a mapping flag (private, shared, anon, fixed, ...) or a file";
    bool have_file = false, have_offset = false;
    u64 page = 0;
    std::optional<Tok> badfd;
    while (!at_end() && peek().s != "->") {
      Tok w = next(kWord);
      bool matched = false;
      for (const MapWord& m : kMapWords) {
        if (m.word == w.s) {
          op.flags |= m.bits;
          matched = true;
          break;
        }
      }
      if (matched) continue;
      if (w.s == "badfd") {
        op.bad_fd = true;
        badfd = w;
      } else if (w.s.substr(0, 6) == "flags=") {
        Tok v{w.s.substr(6), add_col(w.col, 6)};
        u64 bits = number_value(v, "a number such as 0x40 after 'flags='");
        if (bits > 0xffffffffu) fail(v.col, "flags " + show(v.s) + " do not fit in 32 bits");
        op.flags |= static_cast<int>(static_cast<std::uint32_t>(bits));
      } else if (w.s.substr(0, 7) == "offset=") {
        if (have_offset) fail(w.col, "'offset=' given twice");
        Tok v{w.s.substr(7), add_col(w.col, 7)};
        if (v.s.empty()) fail(v.col, "expected a file offset such as 8K after 'offset=', found nothing");
        op.offset = expr(v, "a file offset such as 8K");
        have_offset = true;
      } else if (!w.s.empty() && is_name_start(w.s[0])) {
        auto [index, pg] = file_ref(w, kWord);
        if (have_file) fail(w.col, "mmap takes at most one file, found a second one " + show(w.s));
        op.file = index;
        page = pg;
        have_file = true;
      } else {
        expected(kWord, w);
      }
    }
    if (have_file && op.bad_fd) fail(badfd->col, "'badfd' cannot be combined with a file");
    if (!have_offset) op.offset = Expr{Expr::Base::absolute, -1, page * kPage};
    expectations(op, false);
  }

  void st_munmap(Op& op) {
    op.kind = OpKind::munmap;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next(kLen), kLen);
    expectations(op, false);
  }

  void st_mprotect(Op& op) {
    op.kind = OpKind::mprotect;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next(kLen), kLen);
    op.prot = prot(next("a protection such as rw- or none"));
    while (!at_end() && peek().s != "->") {
      Tok w = next("growsdown or growsup");
      if (w.s == "growsdown") op.prot |= PROT_GROWSDOWN;
      else if (w.s == "growsup") op.prot |= PROT_GROWSUP;
      else expected("growsdown, growsup, '->' or end of line", w);
    }
    expectations(op, false);
  }

  void st_mremap(Op& op) {
    op.kind = OpKind::mremap;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next("an old length such as 4K"), "an old length such as 4K");
    op.new_len = expr(next("a new length such as 8K"), "a new length such as 8K");
    static constexpr std::string_view kWord = "maymove, fixed NEWADDR, '->' or end of line";
    bool have_fixed = false;
    while (!at_end() && peek().s != "->") {
      Tok w = next(kWord);
      if (w.s == "maymove") {
        op.flags |= mmspec::MREMAP_MAYMOVE;
      } else if (w.s == "fixed") {
        if (have_fixed) fail(w.col, "'fixed' given twice");
        op.flags |= mmspec::MREMAP_FIXED;
        op.new_addr = expr(next("a new address after 'fixed'"), "a new address after 'fixed'");
        have_fixed = true;
      } else if (w.s == "dontunmap") {
        fail(w.col, "'dontunmap' (MREMAP_DONTUNMAP) is not modelled (docs/deviations.md)");
      } else {
        expected(kWord, w);
      }
    }
    expectations(op, false);
  }

  void st_mlock(Op& op) {
    op.kind = OpKind::mlock;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next(kLen), kLen);
    if (!at_end() && peek().s != "->") {
      Tok w = next("onfault, '->' or end of line");
      if (w.s != "onfault") expected("onfault, '->' or end of line", w);
      op.flags |= mmspec::MLOCK_ONFAULT;
    }
    expectations(op, false);
  }

  void st_munlock(Op& op) {
    op.kind = OpKind::munlock;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next(kLen), kLen);
    expectations(op, false);
  }

  void st_mlockall(Op& op) {
    op.kind = OpKind::mlockall;
    static constexpr std::string_view kWord = "current, future, onfault, '->' or end of line";
    while (!at_end() && peek().s != "->") {
      Tok w = next(kWord);
      int bit = 0;
      if (w.s == "current") bit = mmspec::MCL_CURRENT;
      else if (w.s == "future") bit = mmspec::MCL_FUTURE;
      else if (w.s == "onfault") bit = mmspec::MCL_ONFAULT;
      else expected(kWord, w);
      if (op.flags & bit) fail(w.col, "'" + std::string(w.s) + "' given twice");
      op.flags |= bit;
    }
    expectations(op, false);
  }

  void st_madvise(Op& op) {
    op.kind = OpKind::madvise;
    op.addr = expr(next(kAddr), kAddr);
    op.len = expr(next(kLen), kLen);
    static constexpr std::string_view kAdvice = "an advice such as dontfork, hugepage or dontneed";
    Tok w = next(kAdvice);
    const int a = advice_of(w.s);
    if (a < 0) expected(kAdvice, w);
    op.flags = a;
    expectations(op, false);
  }

  void st_munlockall(Op& op) {
    op.kind = OpKind::munlockall;
    expectations(op, false);
  }

  void st_brk(Op& op) {
    op.kind = OpKind::brk;
    op.addr = expr(next(kAddr), kAddr);
    expectations(op, false);
  }

  void st_touch(Op& op) {
    op.kind = OpKind::touch;
    op.addr = expr(next(kAddr), kAddr);
    Tok a = next("an access (read, write or exec)");
    if (a.s == "read") op.access = Access::read;
    else if (a.s == "write") op.access = Access::write;
    else if (a.s == "exec") op.access = Access::exec;
    else expected("an access (read, write or exec)", a);
    expectations(op, true);
  }

  void st_heap(Op& op, const Tok& kw) {
    op.kind = OpKind::heap;
    op.addr = expr(next(kAddr), kAddr);
    setup_end(kw);
  }

  void st_rlimit(Op& op, const Tok& kw) {
    op.kind = OpKind::rlimit;
    static constexpr std::string_view kRes = "a resource (as, data, memlock or stack)";
    Tok r = next(kRes);
    if (r.s == "as") op.rlimit = Rlimit::as;
    else if (r.s == "data") op.rlimit = Rlimit::data;
    else if (r.s == "memlock") op.rlimit = Rlimit::memlock;
    else if (r.s == "stack") op.rlimit = Rlimit::stack;
    else expected(kRes, r);
    static constexpr std::string_view kVal = "a limit such as 8M or unlimited";
    Tok v = next(kVal);
    op.rlimit_value = v.s == "unlimited" ? RLIM_INFINITY_VALUE : size_value(v, kVal);
    setup_end(kw);
  }

  // { "->" RESULT ["on" PROFILES] }
  void expectations(Op& op, bool touch) {
    const ProfileMask all = (ProfileMask{1} << known_profiles().size()) - 1;
    ProfileMask covered = 0;
    while (!at_end()) {
      Tok arrow = next("'->'");
      if (arrow.s != "->") expected("'->' or end of line", arrow);
      Expect ex;
      ex.loc = SrcLoc{line_, arrow.col};
      if (touch) {
        static constexpr std::string_view kOut =
            "a touch outcome (ok, SEGV_MAPERR, SEGV_ACCERR or SIGBUS)";
        Tok r = next(kOut);
        ex.kind = Expect::Kind::touch;
        if (r.s == "ok") ex.touch = TouchOutcome::ok;
        else if (r.s == "SEGV_MAPERR") ex.touch = TouchOutcome::segv_maperr;
        else if (r.s == "SEGV_ACCERR") ex.touch = TouchOutcome::segv_accerr;
        else if (r.s == "SIGBUS") ex.touch = TouchOutcome::sigbus;
        else expected(kOut, r);
      } else {
        static constexpr std::string_view kRes = "a result such as 0, +0x1000, A+4K or EINVAL";
        Tok r = next(kRes);
        if (std::optional<int> e = errno_from_str(r.s)) {
          ex.kind = Expect::Kind::error;
          ex.errnum = *e;
        } else if (r.s == "ok" || r.s == "SEGV_MAPERR" || r.s == "SEGV_ACCERR" || r.s == "SIGBUS") {
          fail(r.col, "touch outcome " + show(r.s) + " is only valid on a touch line; expected " +
                          std::string(kRes));
        } else {
          ex.kind = Expect::Kind::value;
          ex.value = expr(r, kRes, false, true);
        }
      }
      if (!at_end() && peek().s == "on") {
        ++pos_;
        ex.profiles = profiles(next("a profile list such as linux-6.1,linux-6.18"));
      }
      ProfileMask m = ex.profiles != 0 ? ex.profiles : all;
      if ((m & covered) != 0) {
        std::string which = format_profiles(m & covered);
        fail(arrow.col, "a second expected result for " + which + " on this line");
      }
      covered |= m;
      op.expect.push_back(std::move(ex));
    }
  }

  // ---- expect-maps -----------------------------------------------------------------------

  void st_expect_maps(const Tok& kw) {
    ExpectMaps b;
    b.loc = SrcLoc{line_, kw.col};
    if (!at_end()) {
      Tok on = next("'on'");
      if (on.s != "on") expected("'on' or end of line", on);
      b.profiles = profiles(next("a profile list such as linux-6.1,linux-6.18"));
    }
    if (!at_end()) expected("end of line", peek());
    block_ = std::move(b);
    in_block_ = true;
  }

  void maps_line() {
    const Tok& first = toks_[0];
    if (first.s == "end") {
      if (toks_.size() > 1) expected("end of line after 'end'", toks_[1]);
      if (t_.maps.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
        fail(first.col, "too many expect-maps blocks");
      }
      Op op;
      op.kind = OpKind::expect_maps;
      op.loc = block_.loc;
      op.maps = static_cast<std::int32_t>(t_.maps.size());
      t_.maps.push_back(std::move(block_));
      block_ = ExpectMaps{};
      t_.ops.push_back(std::move(op));
      in_block_ = false;
      return;
    }
    pos_ = 0;
    MapsLine l;
    l.loc = SrcLoc{line_, first.col};
    Tok range = next("a range");
    std::size_t dash = range.s.find('-');
    if (dash == std::string_view::npos) {
      expected("a range START-END such as +0x0-+0x1000 (or 'end')", range);
    }
    l.start = expr(Tok{range.s.substr(0, dash), range.col}, "the start of a range such as +0x0",
                   true);
    l.end = expr(Tok{range.s.substr(dash + 1), add_col(range.col, dash + 1)},
                 "the end of a range such as +0x1000", true);
    static constexpr std::string_view kPerms = "permissions such as rw-p";
    Tok p = next(kPerms);
    std::string_view ps = p.s;
    if (!(ps.size() == 4 && (ps[0] == 'r' || ps[0] == '-') && (ps[1] == 'w' || ps[1] == '-') &&
          (ps[2] == 'x' || ps[2] == '-') && (ps[3] == 'p' || ps[3] == 's'))) {
      expected(kPerms, p);
    }
    for (int i = 0; i < 4; ++i) l.perms[i] = ps[static_cast<std::size_t>(i)];
    static constexpr std::string_view kWhat = "anon, shmem, a [name] or a file";
    Tok w = next(kWhat);
    if (w.s == "anon") {
      l.what = MapsLine::What::anon;
    } else if (w.s == "shmem") {
      l.what = MapsLine::What::shmem;
    } else if (w.s.size() >= 3 && w.s.front() == '[' && w.s.back() == ']') {
      l.what = MapsLine::What::named;
      l.name = std::string(w.s);
    } else {
      auto [index, page] = file_ref(w, kWhat);
      l.what = MapsLine::What::file;
      l.file = index;
      l.pgoff = page;
    }
    while (!at_end()) {
      Tok f = next("a VmFlags mnemonic such as +ac or -lo");
      std::string_view s = f.s;
      bool ok = s.size() == 3 && (s[0] == '+' || s[0] == '-') && s[1] >= 'a' && s[1] <= 'z' &&
                s[2] >= 'a' && s[2] <= 'z';
      if (!ok) expected("a VmFlags mnemonic such as +ac or -lo, or end of line", f);
      std::string m(s.substr(1));
      std::vector<std::string>& same = s[0] == '+' ? l.flags_present : l.flags_absent;
      const std::vector<std::string>& other = s[0] == '+' ? l.flags_absent : l.flags_present;
      for (const std::string& o : other) {
        if (o == m) fail(f.col, "VmFlags '" + m + "' cannot be both present and absent");
      }
      same.push_back(std::move(m));
    }
    block_.lines.push_back(std::move(l));
  }

  std::string_view text_;
  Trace t_;
  std::uint32_t line_ = 0;
  std::vector<Tok> toks_;
  std::size_t pos_ = 0;
  std::uint32_t eol_col_ = 1;
  bool profile_seen_ = false;
  bool in_block_ = false;
  ExpectMaps block_;
  std::map<std::string, Name, std::less<>> names_;
};

}  // namespace

ParseResult parse(std::string_view text, std::string_view path) {
  try {
    Parser p(text, path);
    return p.run();
  } catch (const std::bad_alloc&) {
    try {
      ParseResult r;
      r.error = ParseError{std::string(path), SrcLoc{}, "out of memory"};
      return r;
    } catch (const std::bad_alloc&) {
      return ParseResult{};  // not even the message fits: neither trace nor error
    }
  }
}

}  // namespace mmspec::trace
