// The .mmt printer: a Trace back to its canonical text, and trace equality.
//
// Canonical form (docs/trace-format.md, "Canonical form"): profile, window, then the files in
// declaration order, then the operations in order; one statement a line; addresses and
// offsets in lower-case hex; file, window and rlimit sizes with the largest exact K/M/G
// suffix. parse(print(t)) == t for every trace that parse() produced.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "mmspec/trace.hpp"
#include "mmspec/vm_flags.hpp"

#include "hex.hpp"

namespace mmspec::trace {
namespace {

using u64 = std::uint64_t;


// 0, 16K, 8M, 1G, or hex when no suffix divides exactly.
std::string format_size(u64 v) {
  if (v == 0) return "0";
  if (v % (u64{1} << 30) == 0) return std::to_string(v >> 30) + "G";
  if (v % (u64{1} << 20) == 0) return std::to_string(v >> 20) + "M";
  if (v % (u64{1} << 10) == 0) return std::to_string(v >> 10) + "K";
  return hex(v);
}

std::string binding_name(std::int32_t slot, const Trace& t) {
  if (slot >= 0 && static_cast<std::size_t>(slot) < t.bindings.size()) {
    return t.bindings[static_cast<std::size_t>(slot)];
  }
  return "?" + std::to_string(slot);  // not a trace parse() can produce
}

// plus_only: maps ranges, where '-' separates START from END, so offsets are written with
// '+' only (wrapping modulo 2^64 makes every offset expressible that way).
std::string expr_text(const Expr& e, const Trace& t, bool plus_only) {
  bool neg = !plus_only && e.offset > (u64{1} << 63);
  u64 mag = neg ? u64{0} - e.offset : e.offset;
  switch (e.base) {
    case Expr::Base::absolute:
      return e.offset == 0 ? std::string("0") : hex(e.offset);
    case Expr::Base::window:
      return (neg ? "-" : "+") + hex(mag);
    case Expr::Base::binding: {
      std::string out = binding_name(e.binding, t);
      if (e.offset != 0) out += (neg ? "-" : "+") + hex(mag);
      return out;
    }
  }
  return "?";
}

std::string rwx(int prot) {
  std::string out;
  out += (prot & PROT_READ) ? 'r' : '-';
  out += (prot & PROT_WRITE) ? 'w' : '-';
  out += (prot & PROT_EXEC) ? 'x' : '-';
  return out;
}

// mmap's PROT: a pattern, or the raw number when other bits are set.
std::string mmap_prot(int prot) {
  std::uint32_t p = static_cast<std::uint32_t>(prot);
  if ((p & ~std::uint32_t{7}) != 0) return hex(p);
  return rwx(prot);
}

struct MapWord {
  std::string_view word;
  int bits;
};

// Single-bit mmap words, in canonical order (after the MAP_TYPE word).
constexpr MapWord kBitWords[] = {
    {"anon", MAP_ANONYMOUS},       {"fixed", MAP_FIXED},         {"noreplace", MAP_FIXED_NOREPLACE},
    {"growsdown", MAP_GROWSDOWN},  {"stack", MAP_STACK},         {"noreserve", MAP_NORESERVE},
    {"locked", MAP_LOCKED},        {"populate", MAP_POPULATE},   {"nonblock", MAP_NONBLOCK},
    {"32bit", MAP_32BIT},          {"above4g", MAP_ABOVE4G},     {"hugetlb", MAP_HUGETLB},
    {"sync", MAP_SYNC},
};

void append_word(std::string& out, std::string_view w) {
  if (!out.empty()) out += ' ';
  out += w;
}

std::string file_with_page(const Trace& t, std::int32_t file, u64 page) {
  std::string out;
  if (file >= 0 && static_cast<std::size_t>(file) < t.files.size()) {
    out = t.files[static_cast<std::size_t>(file)].name;
  } else {
    out = "?" + std::to_string(file);  // not a trace parse() can produce
  }
  if (page != 0) out += "@" + std::to_string(page);
  return out;
}

bool same_expr(const Expr& a, const Expr& b) {
  return a.base == b.base && a.binding == b.binding && a.offset == b.offset;
}

bool same_expect(const Expect& a, const Expect& b) {
  return a.kind == b.kind && same_expr(a.value, b.value) && a.errnum == b.errnum &&
         a.touch == b.touch && a.profiles == b.profiles;
}

bool same_op(const Op& a, const Op& b) {
  if (!(a.kind == b.kind && a.bind == b.bind && same_expr(a.addr, b.addr) &&
        same_expr(a.len, b.len) && a.prot == b.prot && a.flags == b.flags && a.file == b.file &&
        a.bad_fd == b.bad_fd && same_expr(a.offset, b.offset) &&
        same_expr(a.new_len, b.new_len) && same_expr(a.new_addr, b.new_addr) && a.access == b.access &&
        a.rlimit == b.rlimit && a.rlimit_value == b.rlimit_value && a.maps == b.maps &&
        a.expect.size() == b.expect.size())) {
    return false;
  }
  for (std::size_t i = 0; i < a.expect.size(); ++i) {
    if (!same_expect(a.expect[i], b.expect[i])) return false;
  }
  return true;
}

bool same_file(const FileDecl& a, const FileDecl& b) {
  return a.name == b.name && a.size == b.size && a.inode_of == b.inode_of &&
         a.readable == b.readable && a.writable == b.writable;
}

bool same_maps_line(const MapsLine& a, const MapsLine& b) {
  return same_expr(a.start, b.start) && same_expr(a.end, b.end) &&
         std::memcmp(a.perms, b.perms, sizeof a.perms) == 0 && a.what == b.what &&
         a.name == b.name && a.file == b.file && a.pgoff == b.pgoff &&
         a.flags_present == b.flags_present && a.flags_absent == b.flags_absent;
}

bool same_maps(const ExpectMaps& a, const ExpectMaps& b) {
  if (a.profiles != b.profiles || a.lines.size() != b.lines.size()) return false;
  for (std::size_t i = 0; i < a.lines.size(); ++i) {
    if (!same_maps_line(a.lines[i], b.lines[i])) return false;
  }
  return true;
}

template <class T, class Eq>
bool same_vec(const std::vector<T>& a, const std::vector<T>& b, Eq eq) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!eq(a[i], b[i])) return false;
  }
  return true;
}

std::string_view rlimit_name(Rlimit r) {
  switch (r) {
    case Rlimit::as: return "as";
    case Rlimit::data: return "data";
    case Rlimit::memlock: return "memlock";
    case Rlimit::stack: return "stack";
  }
  return "?";
}

void print_op(std::string& out, const Op& op, const Trace& t) {
  if (op.kind == OpKind::expect_maps) {
    out += "expect-maps";
    if (op.maps >= 0 && static_cast<std::size_t>(op.maps) < t.maps.size()) {
      const ExpectMaps& m = t.maps[static_cast<std::size_t>(op.maps)];
      if (m.profiles != 0) out += " on " + format_profiles(m.profiles);
      out += '\n';
      for (const MapsLine& l : m.lines) out += "  " + format_maps_line(l, t) + '\n';
    } else {
      out += '\n';
    }
    out += "end\n";
    return;
  }
  if (op.bind >= 0) out += binding_name(op.bind, t) + " = ";
  switch (op.kind) {
    case OpKind::mmap: {
      out += "mmap " + format_expr(op.addr, t) + " " + format_expr(op.len, t) + " " +
             mmap_prot(op.prot);
      std::string flags = format_map_flags(op.flags);
      if (!flags.empty()) out += " " + flags;
      bool offset_done = false;
      if (op.file >= 0) {
        u64 page = 0;
        if (op.offset.base == Expr::Base::absolute && op.offset.offset % 4096 == 0) {
          page = op.offset.offset / 4096;
          offset_done = true;
        }
        out += " " + file_with_page(t, op.file, page);
      }
      if (!offset_done && !same_expr(op.offset, Expr{})) {
        out += " offset=" + format_expr(op.offset, t);
      }
      if (op.bad_fd) out += " badfd";
      break;
    }
    case OpKind::munmap:
      out += "munmap " + format_expr(op.addr, t) + " " + format_expr(op.len, t);
      break;
    case OpKind::mprotect:
      out += "mprotect " + format_expr(op.addr, t) + " " + format_expr(op.len, t) + " " +
             format_prot(op.prot);
      break;
    case OpKind::mremap:
      out += "mremap " + format_expr(op.addr, t) + " " + format_expr(op.len, t) + " " +
             format_expr(op.new_len, t);
      if (op.flags & mmspec::MREMAP_MAYMOVE) out += " maymove";
      if (op.flags & mmspec::MREMAP_FIXED) out += " fixed " + format_expr(op.new_addr, t);
      break;
    case OpKind::mlock:
      out += "mlock " + format_expr(op.addr, t) + " " + format_expr(op.len, t);
      if (op.flags & mmspec::MLOCK_ONFAULT) out += " onfault";
      break;
    case OpKind::munlock:
      out += "munlock " + format_expr(op.addr, t) + " " + format_expr(op.len, t);
      break;
    case OpKind::mlockall:
      out += "mlockall";
      if (op.flags & mmspec::MCL_CURRENT) out += " current";
      if (op.flags & mmspec::MCL_FUTURE) out += " future";
      if (op.flags & mmspec::MCL_ONFAULT) out += " onfault";
      break;
    case OpKind::munlockall:
      out += "munlockall";
      break;
    case OpKind::madvise:
      out += "madvise " + format_expr(op.addr, t) + " " + format_expr(op.len, t) + " " +
             std::string(advice_name(op.flags));
      break;
    case OpKind::brk:
      out += "brk " + format_expr(op.addr, t);
      break;
    case OpKind::touch:
      out += "touch " + format_expr(op.addr, t) + " " + std::string(access_name(op.access));
      break;
    case OpKind::heap:
      out += "heap " + format_expr(op.addr, t);
      break;
    case OpKind::rlimit:
      out += "rlimit " + std::string(rlimit_name(op.rlimit)) + " " +
             (op.rlimit_value == RLIM_INFINITY_VALUE ? std::string("unlimited")
                                                     : format_size(op.rlimit_value));
      break;
    case OpKind::expect_maps:
      break;
  }
  for (const Expect& e : op.expect) out += " -> " + format_expect(e, t);
  out += '\n';
}

}  // namespace

std::string format_expr(const Expr& e, const Trace& t) { return expr_text(e, t, false); }

std::string format_prot(int prot) {
  std::uint32_t p = static_cast<std::uint32_t>(prot);
  const std::uint32_t words = static_cast<std::uint32_t>(PROT_GROWSDOWN | PROT_GROWSUP);
  if ((p & ~(std::uint32_t{7} | words)) != 0) return hex(p);
  std::string out = rwx(prot);
  if (prot & PROT_GROWSDOWN) out += " growsdown";
  if (prot & PROT_GROWSUP) out += " growsup";
  return out;
}

std::string format_map_flags(int flags) {
  std::uint32_t rest = static_cast<std::uint32_t>(flags);
  std::string out;
  switch (rest & MAP_TYPE) {
    case MAP_SHARED: out = "shared"; rest &= ~std::uint32_t{MAP_TYPE}; break;
    case MAP_PRIVATE: out = "private"; rest &= ~std::uint32_t{MAP_TYPE}; break;
    case MAP_SHARED_VALIDATE: out = "shared-validate"; rest &= ~std::uint32_t{MAP_TYPE}; break;
    case MAP_DROPPABLE: out = "droppable"; rest &= ~std::uint32_t{MAP_TYPE}; break;
    default: break;  // no type, or a combination without a word: left to flags=
  }
  for (const MapWord& w : kBitWords) {
    std::uint32_t b = static_cast<std::uint32_t>(w.bits);
    if (rest & b) {
      append_word(out, w.word);
      rest &= ~b;
    }
  }
  if (rest != 0) append_word(out, "flags=" + hex(rest));
  return out;
}

std::string format_expect(const Expect& e, const Trace& t) {
  std::string out;
  switch (e.kind) {
    case Expect::Kind::value: out = format_expr(e.value, t); break;
    case Expect::Kind::error: out = errno_str(e.errnum); break;
    case Expect::Kind::touch: out = std::string(touch_outcome_name(e.touch)); break;
  }
  if (e.profiles != 0) out += " on " + format_profiles(e.profiles);
  return out;
}

std::string format_maps_line(const MapsLine& l, const Trace& t) {
  std::string out = expr_text(l.start, t, true) + "-" + expr_text(l.end, t, true) + " " +
                    std::string(l.perms, 4) + " ";
  switch (l.what) {
    case MapsLine::What::anon: out += "anon"; break;
    case MapsLine::What::shmem: out += "shmem"; break;
    case MapsLine::What::named: out += l.name; break;
    case MapsLine::What::file: out += file_with_page(t, l.file, l.pgoff); break;
  }
  for (const std::string& f : l.flags_present) out += " +" + f;
  for (const std::string& f : l.flags_absent) out += " -" + f;
  return out;
}

std::string print(const Trace& t) {
  std::string out;
  if (!t.profile.empty()) out += "profile " + t.profile + "\n";
  if (t.has_window) out += "window " + hex(t.window) + " " + format_size(t.window_size) + "\n";
  for (const FileDecl& f : t.files) {
    if (f.inode_of >= 0) {
      out += "open " + f.name + " " + file_with_page(t, f.inode_of, 0);
    } else {
      out += "file " + f.name + " " + format_size(f.size);
    }
    if (f.readable && !f.writable) out += " ro";
    else if (!f.readable && f.writable) out += " wo";
    out += '\n';
  }
  for (const Op& op : t.ops) print_op(out, op, t);
  return out;
}

bool operator==(const Trace& a, const Trace& b) {
  return a.profile == b.profile && a.has_window == b.has_window && a.window == b.window &&
         a.window_size == b.window_size && same_vec(a.files, b.files, same_file) &&
         a.bindings == b.bindings && same_vec(a.ops, b.ops, same_op) &&
         same_vec(a.maps, b.maps, same_maps);
}

}  // namespace mmspec::trace
