#include "mmspec/expect.hpp"

#include "mmspec/vma.hpp"  // hex


namespace mmspec::conformance {
namespace {

using trace::Expect;
using trace::MapsEntry;
using trace::OpResult;

std::string addr_str(const trace::Trace& t, std::uint64_t a) {
  if (t.has_window && a >= t.window && a - t.window <= (t.window_size ? t.window_size : ~0ull))
    return "+" + hex(a - t.window);
  return hex(a);
}

// The root file declaration of a file (`open` reuses another file's inode and name).
const trace::FileDecl& root_file(const trace::Trace& t, std::int32_t idx) {
  const trace::FileDecl* f = &t.files[static_cast<std::size_t>(idx)];
  int guard = 0;
  while (f->inode_of >= 0 && guard++ < 1000) f = &t.files[static_cast<std::size_t>(f->inode_of)];
  return *f;
}

bool in_window(const trace::Trace& t, const MapsEntry& e) {
  if (!t.has_window) return true;
  const std::uint64_t lo = t.window, hi = t.window + t.window_size;
  return e.end > lo && e.start < hi;
}

bool has_flag(const std::string& vmflags, const std::string& m) {
  for (std::size_t i = 0; i + 1 < vmflags.size() + 1; i += 3)
    if (vmflags.compare(i, 2, m) == 0) return true;
  return false;
}

std::string what_str(const trace::Trace& t, const MapsEntry& e) {
  if (e.name.empty()) return "anon";
  if (e.name == trace::SHMEM_ANON_PATH) return "shmem";
  for (const trace::FileDecl& f : t.files) {
    if (f.inode_of >= 0) continue;
    if (e.name == trace::trace_file_path(f.name)) {
      const std::uint64_t pg = e.offset >> 12;
      return pg ? f.name + "@" + std::to_string(pg) : f.name;
    }
  }
  return e.name;
}

std::string expected_line(const trace::Trace& t, const trace::MapsLine& l,
                          const std::vector<std::uint64_t>& b) {
  const trace::Env env{t.window, b.data(), b.size()};
  std::string s = addr_str(t, trace::eval(l.start, env)) + "-" + addr_str(t, trace::eval(l.end, env)) +
                  " " + std::string(l.perms, 4) + " ";
  switch (l.what) {
    case trace::MapsLine::What::anon: s += "anon"; break;
    case trace::MapsLine::What::shmem: s += "shmem"; break;
    case trace::MapsLine::What::named: s += l.name; break;
    case trace::MapsLine::What::file: {
      const trace::FileDecl& f = root_file(t, l.file);
      s += l.pgoff ? f.name + "@" + std::to_string(l.pgoff) : f.name;
      break;
    }
  }
  for (const auto& f : l.flags_present) s += " +" + f;
  for (const auto& f : l.flags_absent) s += " -" + f;
  return s;
}

bool line_matches(const trace::Trace& t, const trace::MapsLine& l, const MapsEntry& e,
                  const std::vector<std::uint64_t>& b) {
  const trace::Env env{t.window, b.data(), b.size()};
  if (trace::eval(l.start, env) != e.start || trace::eval(l.end, env) != e.end) return false;
  for (int i = 0; i < 4; ++i)
    if (l.perms[i] != e.perms[i]) return false;
  switch (l.what) {
    case trace::MapsLine::What::anon:
      if (!e.name.empty()) return false;
      break;
    case trace::MapsLine::What::shmem:
      if (e.name != trace::SHMEM_ANON_PATH) return false;
      break;
    case trace::MapsLine::What::named:
      if (e.name != l.name) return false;
      break;
    case trace::MapsLine::What::file:
      if (e.name != trace::trace_file_path(root_file(t, l.file).name) || e.offset != (l.pgoff << 12))
        return false;
      break;
  }
  for (const auto& f : l.flags_present)
    if (!has_flag(e.vmflags, f)) return false;
  for (const auto& f : l.flags_absent)
    if (has_flag(e.vmflags, f)) return false;
  return true;
}

bool result_matches(const Expect& x, const OpResult& r, const trace::Trace& t,
                    const std::vector<std::uint64_t>& b) {
  switch (x.kind) {
    case Expect::Kind::value:
      return r.kind == OpResult::Kind::value &&
             r.value == trace::eval(x.value, trace::Env{t.window, b.data(), b.size()});
    case Expect::Kind::error:
      return r.kind == OpResult::Kind::error && r.errnum == x.errnum;
    case Expect::Kind::touch:
      return r.kind == OpResult::Kind::touch && r.touch == x.touch;
  }
  return false;
}

std::string expect_str(const Expect& x, const trace::Trace& t, const std::vector<std::uint64_t>& b) {
  switch (x.kind) {
    case Expect::Kind::value:
      return addr_str(t, trace::eval(x.value, trace::Env{t.window, b.data(), b.size()}));
    case Expect::Kind::error: return trace::errno_str(x.errnum);
    case Expect::Kind::touch: return std::string(trace::touch_outcome_name(x.touch));
  }
  return "?";
}

std::string result_str(const trace::Trace& t, const OpResult& r) {
  if (r.kind == OpResult::Kind::value) return addr_str(t, r.value);
  return trace::format_result(r);
}

}  // namespace

std::vector<std::uint64_t> replay_bindings(const trace::Trace& t, const trace::Observations& obs,
                                           std::size_t upto) {
  std::vector<std::uint64_t> b(t.bindings.size(), 0);
  for (std::size_t i = 0; i < upto && i < t.ops.size() && i < obs.results.size(); ++i)
    if (t.ops[i].bind >= 0) b[static_cast<std::size_t>(t.ops[i].bind)] = obs.results[i].raw();
  return b;
}

std::string format_entry(const trace::Trace& t, const MapsEntry& e, bool with_flags) {
  std::string s = addr_str(t, e.start) + "-" + addr_str(t, e.end) + " " + e.perms_str() + " " +
                  what_str(t, e);
  if (with_flags && !e.vmflags.empty()) s += "  [" + e.vmflags + "]";
  return s;
}

std::vector<Mismatch> check_expectations(const trace::Trace& t, const trace::Observations& obs,
                                         std::string_view profile) {
  std::vector<Mismatch> out;
  std::vector<std::uint64_t> b(t.bindings.size(), 0);
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const trace::Op& op = t.ops[i];
    const OpResult r = i < obs.results.size() ? obs.results[i] : OpResult{};
    for (const Expect& x : op.expect) {
      if (!trace::mask_includes(x.profiles, profile)) continue;
      if (!result_matches(x, r, t, b)) {
        Mismatch m;
        m.loc = x.loc.line ? x.loc : op.loc;
        m.what = "expected " + expect_str(x, t, b) + ", got " + result_str(t, r);
        out.push_back(std::move(m));
      }
      break;  // the first expectation for this profile decides
    }
    if (op.kind == trace::OpKind::expect_maps && op.maps >= 0) {
      const trace::ExpectMaps& em = t.maps[static_cast<std::size_t>(op.maps)];
      if (trace::mask_includes(em.profiles, profile)) {
        std::vector<MapsEntry> actual;
        if (static_cast<std::size_t>(op.maps) < obs.snapshots.size())
          for (const MapsEntry& e : obs.snapshots[static_cast<std::size_t>(op.maps)])
            if (in_window(t, e)) actual.push_back(e);
        bool ok = actual.size() == em.lines.size();
        for (std::size_t k = 0; ok && k < actual.size(); ++k)
          ok = line_matches(t, em.lines[k], actual[k], b);
        if (!ok) {
          Mismatch m;
          m.loc = em.loc;
          m.what = "maps differ";
          for (const auto& l : em.lines) m.expected.push_back(expected_line(t, l, b));
          for (const auto& e : actual) m.actual.push_back(format_entry(t, e, true));
          out.push_back(std::move(m));
        }
      }
    }
    if (op.bind >= 0) b[static_cast<std::size_t>(op.bind)] = r.raw();
  }
  return out;
}

std::vector<Mismatch> compare_observations(const trace::Trace& t, const trace::Observations& a,
                                           const trace::Observations& b, std::string_view an,
                                           std::string_view bn) {
  std::vector<Mismatch> out;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const OpResult ra = i < a.results.size() ? a.results[i] : OpResult{};
    const OpResult rb = i < b.results.size() ? b.results[i] : OpResult{};
    if (!(ra == rb)) {
      Mismatch m;
      m.loc = t.ops[i].loc;
      m.what = std::string(an) + " " + result_str(t, ra) + ", " + std::string(bn) + " " + result_str(t, rb);
      out.push_back(std::move(m));
    }
  }
  auto comparable = [](const MapsEntry& e) { return e.name != "[stack]" && e.name != "[vsyscall]"; };
  auto diff_maps = [&](const std::vector<MapsEntry>& x, const std::vector<MapsEntry>& y,
                       trace::SrcLoc loc, const std::string& label) {
    std::vector<MapsEntry> xs, ys;
    for (const auto& e : x)
      if (comparable(e)) xs.push_back(e);
    for (const auto& e : y)
      if (comparable(e)) ys.push_back(e);
    bool same = xs.size() == ys.size();
    for (std::size_t k = 0; same && k < xs.size(); ++k)
      same = xs[k].same_vma(ys[k]) && xs[k].vmflags == ys[k].vmflags;
    if (same) return;
    Mismatch m;
    m.loc = loc;
    m.what = label + ": address spaces differ (" + std::string(an) + " above, " + std::string(bn) + " below)";
    // Only the entries without an identical counterpart on the other side.
    auto only = [&](const std::vector<MapsEntry>& p, const std::vector<MapsEntry>& q,
                    std::vector<std::string>& dst) {
      for (const auto& e : p) {
        bool found = false;
        for (const auto& f : q)
          if (e.same_vma(f) && e.vmflags == f.vmflags) found = true;
        if (!found) dst.push_back(format_entry(t, e, true));
      }
    };
    only(xs, ys, m.expected);
    only(ys, xs, m.actual);
    out.push_back(std::move(m));
  };
  for (std::size_t k = 0; k < t.maps.size(); ++k) {
    static const std::vector<MapsEntry> none;
    diff_maps(k < a.snapshots.size() ? a.snapshots[k] : none,
              k < b.snapshots.size() ? b.snapshots[k] : none, t.maps[k].loc, "expect-maps");
  }
  trace::SrcLoc end_loc;
  if (!t.ops.empty()) end_loc = t.ops.back().loc;
  diff_maps(a.final, b.final, end_loc, "final");
  return out;
}

}  // namespace mmspec::conformance
