// Kernel outcomes for comparing kernels with each other (kernel_outcome.hpp).
#include "mmspec/kernel_outcome.hpp"

#include "mmspec/vma.hpp"  // hex

#include <algorithm>

namespace mmspec::conformance {
namespace {

using trace::MapsEntry;
using trace::OpResult;

struct Anchors {
  std::uint64_t win = 0, win_end = 0;
  bool has_window = false;
  std::uint64_t vvar = 0;  // 0: absent

  static std::string rel(const char* anchor, std::uint64_t d) {
    std::string s(anchor);  // (not `"x" + hex(d)`: GCC 12 warns about it, -Wrestrict)
    if (d != 0) s.append(hex(d));
    return s;
  }
  std::string addr(std::uint64_t a) const {
    if (has_window && a >= win && a <= win_end) return rel("+", a - win).append(a == win ? "0x0" : "");
    if (vvar != 0 && a <= vvar && vvar - a < (1ULL << 40)) return rel(a == vvar ? "vvar" : "vvar-", vvar - a);
    return hex(a);
  }
};

Anchors anchors(const trace::Trace& t, const trace::Observations& obs) {
  Anchors an;
  if (t.has_window) {
    an.has_window = true;
    an.win = t.window;
    an.win_end = t.window + t.window_size;
  }
  for (const MapsEntry& e : obs.initial) {
    if (e.name == "[vvar]" && an.vvar == 0) an.vvar = e.start;
  }
  return an;
}

std::string result_text(const Anchors& an, const OpResult& r) {
  if (r.kind == OpResult::Kind::value) return r.value == 0 ? "0" : an.addr(r.value);
  return trace::format_result(r);
}

bool in_window(const Anchors& an, const MapsEntry& e) {
  return an.has_window && e.start < an.win_end && e.end > an.win;
}

// VmFlags without `sd` (soft-dirty): whether VMAs carry it depends on the kernel's
// configuration (CONFIG_MEM_SOFT_DIRTY), not on its generation.
std::string generation_flags(const std::string& vmflags) {
  std::string out;
  for (std::size_t i = 0; i + 1 < vmflags.size() + 1;) {
    std::size_t e = vmflags.find(' ', i);
    if (e == std::string::npos) e = vmflags.size();
    const std::string f = vmflags.substr(i, e - i);
    if (!f.empty() && f != "sd") {
      if (!out.empty()) out += ' ';
      out += f;
    }
    i = e + 1;
  }
  return out;
}

std::string entry_text(const Anchors& an, const MapsEntry& e) {
  std::string s = an.addr(e.start) + "-" + an.addr(e.end) + " " + e.perms_str();
  if (e.offset != 0) s += " @" + hex(e.offset);
  s += " " + (e.name.empty() ? std::string("anon") : e.name);
  const std::string f = generation_flags(e.vmflags);
  if (!f.empty()) s += " [" + f + "]";
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += "; ";
    s += x;
  }
  return s.empty() ? "(none)" : s;
}

}  // namespace

std::vector<OutcomeItem> kernel_outcome(const trace::Trace& t, const trace::Observations& obs) {
  const Anchors an = anchors(t, obs);
  std::vector<OutcomeItem> out;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const trace::Op& op = t.ops[i];
    const std::string line = "line " + std::to_string(op.loc.line);
    if (op.kind == trace::OpKind::expect_maps && op.maps >= 0) {
      const auto k = static_cast<std::size_t>(op.maps);
      std::vector<std::string> v;
      if (k < obs.snapshots.size())
        for (const MapsEntry& e : obs.snapshots[k])
          if (in_window(an, e)) v.push_back(entry_text(an, e));
      out.push_back({line + " maps", join(v)});
      continue;
    }
    if (i < obs.results.size() && obs.results[i].kind != OpResult::Kind::none)
      out.push_back({line, result_text(an, obs.results[i])});
  }
  std::vector<std::string> fin;
  for (const MapsEntry& e : obs.final) {
    if (e.name == "[stack]" || e.name == "[vsyscall]") continue;
    // Outside the window, a VMA over the same range as one of the initial address space is the
    // agent's own (its heap, say, renamed after a `heap` set-up), whose size depends on the kernel.
    const bool old = std::any_of(obs.initial.begin(), obs.initial.end(), [&](const MapsEntry& i) {
      return i.start == e.start && i.end == e.end && i.perms_str() == e.perms_str();
    });
    if (in_window(an, e) || !old) fin.push_back(entry_text(an, e));
  }
  out.push_back({"final maps", join(fin)});
  return out;
}

}  // namespace mmspec::conformance
