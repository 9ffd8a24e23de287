#include "harness.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "mmspec/model_runner.hpp"
#include "mmspec/observation.hpp"
#include "mmspec/trace.hpp"
#include "mmspec/validate_mm.hpp"
#include "mmspec/vma_merge.hpp"

namespace mmspec::prop {
namespace {

constexpr Addr P = PAGE_SIZE;

std::string hexs(std::uint64_t v) {
  if (v == 0) return "0";
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

const char* op_name(const Op& op) {
  switch (op.kind) {
    case Op::Kind::mmap: return (op.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) ? "mmap fixed" : "mmap";
    case Op::Kind::munmap: return "munmap";
    case Op::Kind::mprotect: return "mprotect";
    case Op::Kind::brk: return "brk";
    case Op::Kind::touch: return "touch";
    case Op::Kind::heap: return "heap";
    case Op::Kind::mremap:
      return (op.flags & MREMAP_FIXED) ? "mremap fixed" : (op.flags & MREMAP_MAYMOVE) ? "mremap maymove" : "mremap";
  }
  return "?";
}

const char* special_label(std::uint64_t s) {
  switch (static_cast<SpecialName>(s)) {
    case SpecialName::vdso: return "[vdso]";
    case SpecialName::vvar: return "[vvar]";
    case SpecialName::vvar_vclock: return "[vvar_vclock]";
    case SpecialName::vsyscall: return "[vsyscall]";
    default: return "[special]";
  }
}

// The harness's own name for a FileId (the trace header declares them in this order).
const char* root_file_name(std::uint64_t fd) { return fd == 3 ? "f3" : "f1"; }

// Known model bugs: a step where the model disagrees with the oracle in one of these ways is
// taken from the model (and counted) instead of failing, so that the properties keep checking
// everything else. Each was reported with its shrunk trace; when the model is fixed the
// pattern no longer matches and the step is checked like any other.
const char* known_model_bug(const Op& /*op*/, SysRet /*model*/, const oracle::Outcome& /*o*/) {
  // No known model bug is excused at the moment. (The last one, LEGACY_MAP_MASK lacking
  // MAP_32BIT/MAP_ABOVE4G/MAP_HUGE_*, is fixed: tests/scenarios/errors/shared_validate_legacy_flags.mmt.)
  return nullptr;
}

}  // namespace

const char* exemption_name(Exemption e) {
  switch (e) {
    case Exemption::stack_growth: return "stack growth (expand_downwards does not merge)";
    case Exemption::fault_anon_vma: return "first write shared the neighbour's anon_vma";
    case Exemption::failed_split: return "split left by a failed munmap/MAP_FIXED/brk";
    case Exemption::brk_below_start: return "6.1+ brk: VMA ending at start_brk not extended";
    case Exemption::mremap_grow_5_10: return "5.10 mremap growth in place (vma_adjust, no merge)";
    case Exemption::count_: break;
  }
  return "?";
}

CaseSetup make_setup(Profile p) {
  CaseSetup s;
  s.profile = p;
  MmConfig cfg;
  cfg.profile = p;
  const Mm mm = conformance::default_process(cfg);
  Addr top = mm.layout.mmap_base;
  for (const Vma& v : mm.vmas)
    if (v.kind == VmaKind::special) top = std::min(top, v.vm_start);
  s.top = top;
  s.gen_lo = top - 64 * P;
  s.window = top - (Addr{2} << 20);
  s.window_size = mm.layout.mmap_base - s.window;
  return s;
}

Mm make_process(const CaseSetup& s) {
  MmConfig cfg;
  cfg.profile = s.profile;
  Mm mm = conformance::default_process(cfg);
  World& w = *mm.world;
  // As conformance/model_runner.cpp creates a trace's files: memfd-like shmem inodes.
  const InodeId f1 = w.create_inode(16384, trace::trace_file_path("f1"), true);
  w.inodes[f1 - 1].dev_minor = 1;
  w.open(f1, true, true);   // f1: FileId 1
  w.open(f1, true, true);   // f2: FileId 2
  const InodeId f3 = w.create_inode(10000, trace::trace_file_path("f3"), true);
  w.inodes[f3 - 1].dev_minor = 1;
  w.open(f3, true, false);  // f3: FileId 3, ro
  w.open(f1, false, true);  // f4: FileId 4, wo
  return mm;
}

// ---------------------------------------------------------------------------------------------

std::vector<int> Coverage::missing_merge_cases() const {
  std::vector<int> out;
  for (int c = 1; c <= 8; ++c)
    if (merge_case[static_cast<std::size_t>(c)] == 0) out.push_back(c);
  return out;
}

void Coverage::print(std::ostream& os, const std::string& title) const {
  os << "coverage: " << title << ": " << steps << " steps\n";
  os << "  vma_merge case |";
  for (int c = 1; c <= 8; ++c) os << "      " << c;
  os << "\n  fired          |";
  for (int c = 1; c <= 8; ++c) {
    char b[16];
    std::snprintf(b, sizeof b, "%7llu", static_cast<unsigned long long>(merge_case[static_cast<std::size_t>(c)]));
    os << b;
  }
  os << "\n";
  auto table = [&](const char* head, const std::map<std::string, std::uint64_t>& m) {
    os << "  " << head << "\n";
    for (const auto& [k, v] : m) {
      char b[16];
      std::snprintf(b, sizeof b, "%9llu", static_cast<unsigned long long>(v));
      os << "    " << b << "  " << k << "\n";
    }
  };
  table("splits (successful splits per operation, and refused splits):", splits);
  table("results (operation and return value / errno / outcome):", results);
  os << "  merge maximality: " << boundaries_checked << " adjacent pairs checked; legitimately non-maximal:\n";
  for (int e = 0; e < static_cast<int>(Exemption::count_); ++e) {
    char b[16];
    std::snprintf(b, sizeof b, "%9llu", static_cast<unsigned long long>(exempted[static_cast<std::size_t>(e)]));
    os << "    " << b << "  " << exemption_name(static_cast<Exemption>(e)) << "\n";
  }
  os << "  oracle undecided (state taken from the model): " << undecided << "\n";
  if (!other.empty()) table("other:", other);
}

// ---------------------------------------------------------------------------------------------

Harness::Harness(const CaseSetup& setup, Coverage* cov, bool perturb)
    : setup_(setup), cov_(cov), perturb_(perturb), mm_(make_process(setup)) {
  mm_.events = &events_;
  oracle_ = oracle::PageOracle::of(mm_);
  last_abs_ = oracle::abstraction(mm_);
}

// An address as a trace writes it: window-relative inside the window, else absolute.
std::string rel(Addr a, const CaseSetup& s) {
  if (a >= s.window && a - s.window <= s.window_size) {
    const std::string h = hexs(a - s.window);
    return "+" + (h == "0" ? std::string("0x0") : h);
  }
  return hexs(a);
}

std::string Harness::addr_str(Addr a) const { return rel(a, setup_); }

std::string op_line(const Op& op, const CaseSetup& s) {
  auto A = [&](Addr a) { return rel(a, s); };
  std::string l;
  switch (op.kind) {
    case Op::Kind::mmap: {
      l = "mmap " + A(op.addr) + " " + hexs(op.len) + " " + trace::format_prot(static_cast<int>(op.prot));
      const std::string words = trace::format_map_flags(static_cast<int>(op.flags));
      if (!words.empty()) l += " " + words;
      if (!(op.flags & MAP_ANONYMOUS)) {
        if (op.fd >= 1 && op.fd <= 4) {
          l += " " + std::string(CaseSetup::files[static_cast<std::size_t>(op.fd - 1)].name);
          if (op.off % P == 0) {
            if (op.off) l += "@" + std::to_string(op.off / P);
          } else {
            l += " offset=" + hexs(op.off);
          }
        } else {
          l += " badfd";
          if (op.off) l += " offset=" + hexs(op.off);
        }
      } else if (op.off) {
        l += " offset=" + hexs(op.off);
      }
      break;
    }
    case Op::Kind::munmap: l = "munmap " + A(op.addr) + " " + hexs(op.len); break;
    case Op::Kind::mprotect:
      l = "mprotect " + A(op.addr) + " " + hexs(op.len) + " " + trace::format_prot(static_cast<int>(op.prot));
      break;
    case Op::Kind::brk: l = "brk " + A(op.addr); break;
    case Op::Kind::touch:
      l = "touch " + A(op.addr) + (op.access == AccessKind::write ? " write" : op.access == AccessKind::exec ? " exec" : " read");
      break;
    case Op::Kind::heap: l = "heap " + A(op.addr); break;
    case Op::Kind::mremap:
      l = "mremap " + A(op.addr) + " " + hexs(op.len) + " " + hexs(op.new_len);
      if (op.flags & MREMAP_MAYMOVE) l += " maymove";
      if (op.flags & MREMAP_FIXED) l += " fixed " + A(op.new_addr);
      break;
  }
  return l;
}

std::map<Addr, Harness::Boundary> Harness::boundaries() const {
  std::map<Addr, Boundary> out;
  const Vma* prev = nullptr;
  for (const Vma& v : mm_.vmas) {
    if (prev && prev->vm_end == v.vm_start) out.emplace(v.vm_start, Boundary{prev, &v});
    prev = &v;
  }
  return out;
}

// Adjacent VMAs that the profile's predicate would merge whichever of them were the range
// being placed or changed (5.10's anon_vma rule is one-directional: see docs/testing.md).
bool Harness::mergeable(const Vma& a, const Vma& b) const {
  if ((a.vm_flags | b.vm_flags) & VM_SPECIAL) return false;
  auto proposal = [](const Vma& v) {
    MergeProposal p;
    p.start = v.vm_start;
    p.end = v.vm_end;
    p.pgoff = v.vm_pgoff;
    p.flags = v.vm_flags;
    p.file = v.vm_file;
    p.anon_vma = v.anon_vma;
    p.anon_name = v.anon_name;
    p.src = &v;
    return p;
  };
  return can_merge_side(mm_, a, proposal(b), false) == MergeRefusal::none &&
         can_merge_side(mm_, b, proposal(a), true) == MergeRefusal::none;
}

std::string Harness::check_maximality(const Op& op, SysRet r, const oracle::PageMap& pre,
                                      const oracle::PageMap& post) {
  const auto bs = boundaries();
  cov_->boundaries_checked += bs.size();
  std::set<Addr> attempted;
  std::vector<std::pair<Addr, Exemption>> fresh;
  const bool failed = is_err(r);
  switch (op.kind) {
    case Op::Kind::mmap:
      if (!failed) {
        attempted.insert(static_cast<Addr>(r));
        attempted.insert(static_cast<Addr>(r) + page_align(op.len));
      } else if (op.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        fresh.emplace_back(op.addr, Exemption::failed_split);
        fresh.emplace_back(op.addr + page_align(op.len), Exemption::failed_split);
      }
      break;
    case Op::Kind::munmap:
      if (failed) {
        fresh.emplace_back(op.addr, Exemption::failed_split);
        fresh.emplace_back(op.addr + page_align(op.len), Exemption::failed_split);
      }
      break;
    case Op::Kind::mprotect: {
      // Linux tries to merge each VMA whose flags changed with its neighbours.
      auto a = pre.begin(), b = post.begin();
      while (a != pre.end() && b != post.end()) {
        if (a->first < b->first) { ++a; continue; }
        if (b->first < a->first) { ++b; continue; }
        if (a->second.flags != b->second.flags) {
          attempted.insert(a->first << PAGE_SHIFT);
          attempted.insert((a->first + 1) << PAGE_SHIFT);
        }
        ++a, ++b;
      }
      break;
    }
    case Op::Kind::brk: break;  // handled by the caller's brk bookkeeping below
    case Op::Kind::touch: {
      // A fault never merges: a VMA that grew (expand_downwards) or got its anon_vma here
      // (anon_vma_prepare, also when the access then failed) keeps its boundaries as they are.
      std::set<Addr> changed;  // one page of each such VMA
      auto a = pre.begin();
      for (const auto& [p, s] : post) {
        while (a != pre.end() && a->first < p) ++a;
        const bool grew = a == pre.end() || a->first != p;
        if (grew || (!a->second.anon_vma && s.anon_vma)) {
          const Vma* v = mm_.vmas.find_vma(p << PAGE_SHIFT);
          if (v && changed.insert(v->vm_start).second) {
            const Exemption e = grew ? Exemption::stack_growth : Exemption::fault_anon_vma;
            fresh.emplace_back(v->vm_start, e), fresh.emplace_back(v->vm_end, e);
          }
        }
      }
      break;
    }
    case Op::Kind::heap: break;
    case Op::Kind::mremap: {
      const Addr old_end = op.addr + page_align(op.len), new_end = op.addr + page_align(op.new_len);
      if (!failed && static_cast<Addr>(r) != op.addr) {
        // A move: copy_vma tries to merge the copy at its destination (mm/mremap.c move_vma).
        attempted.insert(static_cast<Addr>(r));
        attempted.insert(static_cast<Addr>(r) + page_align(op.new_len));
      } else if (!failed && new_end > old_end) {
        // Growth in place: 6.1 vma_merge / 6.18 vma_merge_extend try the next VMA; 5.15
        // vma_adjust only moves vm_end (mm/mremap.c SYSCALL_DEFINE5(mremap) v5.15).
        if (mm_.mremap_lookup_and_merge()) attempted.insert(new_end);
        else fresh.emplace_back(new_end, Exemption::mremap_grow_5_10);
      } else if (failed) {
        // An munmap inside mremap (destination, shrunk tail) that split and then failed.
        if (op.flags & MREMAP_FIXED) {
          fresh.emplace_back(op.new_addr, Exemption::failed_split);
          fresh.emplace_back(op.new_addr + page_align(op.new_len), Exemption::failed_split);
        }
        if (new_end < old_end) {
          fresh.emplace_back(new_end, Exemption::failed_split);
          fresh.emplace_back(old_end, Exemption::failed_split);
        }
      }
      break;
    }
  }
  if (op.kind == Op::Kind::brk) {
    const Addr oldbrk = page_align(brk_before_), newbrk = page_align(op.addr);
    if (static_cast<Addr>(r) == op.addr && newbrk > oldbrk) {
      if (!mm_.brk_maple() || oldbrk > mm_.start_brk)
        attempted.insert(oldbrk);
      else
        fresh.emplace_back(oldbrk, Exemption::brk_below_start);
    } else if (newbrk < oldbrk && static_cast<Addr>(r) != op.addr) {
      fresh.emplace_back(newbrk, Exemption::failed_split);
      fresh.emplace_back(oldbrk, Exemption::failed_split);
    }
  }
  std::map<Addr, Exemption> next;
  for (const auto& [b, e] : exempt_)
    if (bs.count(b) && !attempted.count(b)) next.emplace(b, e);
  for (const auto& [b, e] : fresh) {
    auto it = bs.find(b);
    if (it == bs.end() || next.count(b) || !mergeable(*it->second.left, *it->second.right)) continue;
    next.emplace(b, e);
    cov_->exempted[static_cast<std::size_t>(e)]++;
  }
  exempt_ = std::move(next);
  std::string out;
  violations_.clear();
  for (const auto& [b, pair] : bs) {
    if (!mergeable(*pair.left, *pair.right) || exempt_.count(b)) continue;
    violations_.insert(b);
    if (out.empty()) out = "merge maximality: adjacent mergeable VMAs left apart:";
    out += "\n  " + vma_str(*pair.left) + " | " + vma_str(*pair.right) +
           (attempted.count(b) ? " (this operation should have merged them)" : "");
  }
  return out;
}

void Harness::count(const Op& op, SysRet r) {
  int nsplit = 0;
  for (const Event& e : events_) {
    if (e.kind == EventKind::merge && e.merge_case >= 1 && e.merge_case <= 8) {
      cov_->merge_case[static_cast<std::size_t>(e.merge_case)]++;
    } else if (e.kind == EventKind::fault && e.text.rfind("stack grew", 0) == 0) {
      cov_->results["touch: stack grew"]++;
    } else if (e.kind == EventKind::split) {
      const std::string& t = e.text;
      if (t.rfind("split of special", 0) == 0) cov_->splits["refused: special mapping (EINVAL)"]++;
      else if (t.rfind("split of hugetlb", 0) == 0) cov_->splits["refused: hugetlb alignment (EINVAL)"]++;
      else if (t.rfind("munmap would split", 0) == 0) cov_->splits["refused: hole punch at max_map_count"]++;
      else if (t.find("refused") != std::string::npos) cov_->splits["refused: max_map_count"]++;
      else ++nsplit;
    }
  }
  if (nsplit) cov_->splits[std::string(op_name(op)) + (nsplit == 1 ? ": 1 split" : ": 2+ splits")]++;
  std::string res;
  switch (op.kind) {
    case Op::Kind::touch:
      res = std::string(trace::touch_outcome_name(static_cast<trace::TouchOutcome>(r)));
      break;
    case Op::Kind::brk:
      res = static_cast<Addr>(r) == op.addr ? "moved" : "refused (old break)";
      break;
    case Op::Kind::heap: res = "set"; break;
    case Op::Kind::mremap: {
      const std::uint64_t o = page_align(op.len), n = page_align(op.new_len);
      if (is_err(r)) res = trace::errno_str(static_cast<int>(-r));
      else if (static_cast<Addr>(r) != op.addr) res = n > o ? "ok: moved and grown" : n < o ? "ok: moved and shrunk" : "ok: moved";
      else res = n > o ? "ok: grown in place" : n < o ? "ok: shrunk" : "ok: same length";
      break;
    }
    default: res = is_err(r) ? trace::errno_str(static_cast<int>(-r)) : "ok"; break;
  }
  cov_->results[std::string(op_name(op)) + " " + res]++;
}

std::string Harness::step(const Op& op) {
  cov_->steps++;
  events_.clear();
  brk_before_ = mm_.brk;
  oracle::Outcome out;
  switch (op.kind) {
    case Op::Kind::mmap: out = oracle_.mmap(op.addr, op.len, op.prot, op.flags, op.fd, op.off); break;
    case Op::Kind::munmap: out = oracle_.munmap(op.addr, op.len); break;
    case Op::Kind::mprotect: out = oracle_.mprotect(op.addr, op.len, op.prot); break;
    case Op::Kind::brk: out = oracle_.brk(op.addr); break;
    case Op::Kind::touch: out = oracle_.touch(op.addr, op.access); break;
    case Op::Kind::heap:
      oracle_.set_heap(op.addr);
      out = oracle::Outcome{true, 0, "set-up"};
      break;
    case Op::Kind::mremap:
      out = oracle_.mremap(op.addr, op.len, op.new_len, op.flags, op.new_addr);
      break;
  }
  // mprotect(PROT_GROWSDOWN), mremap: the oracle assumed a run of identical pages is one VMA.
  if (out.decided && !oracle::assumption_holds(mm_, out)) {
    out.decided = false;
    out.why = op.kind == Op::Kind::mremap ? "the VMA at the old address is not its run of pages"
                                          : "the VM_GROWSDOWN VMA does not start where its run of pages does";
  }
  SysRet r = 0;
  switch (op.kind) {
    case Op::Kind::mmap: r = sys_mmap(mm_, op.addr, op.len, op.prot, op.flags, op.fd, op.off); break;
    case Op::Kind::munmap: r = sys_munmap(mm_, op.addr, op.len); break;
    case Op::Kind::mprotect: r = sys_mprotect(mm_, op.addr, op.len, op.prot); break;
    case Op::Kind::brk: r = sys_brk(mm_, op.addr); break;
    case Op::Kind::touch: r = static_cast<SysRet>(touch(mm_, op.addr, op.access)); break;
    case Op::Kind::heap: mm_.start_brk = mm_.brk = op.addr; break;
    case Op::Kind::mremap: r = sys_mremap(mm_, op.addr, op.len, op.new_len, op.flags, op.new_addr); break;
  }
  if (perturb_ && op.kind == Op::Kind::mmap && (op.flags & MAP_NORESERVE) && out.decided && out.value >= 0) {
    // Negative control: pretend the oracle ignores MAP_NORESERVE.
    const PageNo lo = static_cast<Addr>(out.value) >> PAGE_SHIFT, hi = lo + (page_align(op.len) >> PAGE_SHIFT);
    for (PageNo p = lo; p < hi; ++p) {
      auto it = oracle_.pages().find(p);
      if (it == oracle_.pages().end()) continue;
      VmFlags& f = it->second.flags;
      f &= ~VM_NORESERVE;
      if ((f & (VM_WRITE | VM_SHARED)) == VM_WRITE) f |= VM_ACCOUNT;
    }
  }
  count(op, r);
  if (const char* bug = known_model_bug(op, r, out)) {
    cov_->other[bug]++;
    out.decided = false;
    out.why = bug;
  }

  // The trace line, with the result the oracle decided (else the model's).
  const std::int64_t shown = out.decided ? out.value : r;
  std::string line = op_line(op, setup_);
  switch (op.kind) {
    case Op::Kind::heap: break;
    case Op::Kind::touch:
      line += " -> " + std::string(trace::touch_outcome_name(static_cast<trace::TouchOutcome>(shown)));
      break;
    case Op::Kind::brk: line += " -> " + addr_str(static_cast<Addr>(shown)); break;
    case Op::Kind::mmap:
    case Op::Kind::mremap:
      line += " -> " + (is_err(shown) ? trace::errno_str(static_cast<int>(-shown)) : addr_str(static_cast<Addr>(shown)));
      break;
    default:
      line += " -> " + (is_err(shown) ? trace::errno_str(static_cast<int>(-shown)) : hexs(static_cast<Addr>(shown)));
      break;
  }
  if (!out.decided) line += "  # not checked (" + out.why + "): the model's result";
  lines_.push_back(line);

  std::string fail;
  bool state_failure = false;
  for (const Violation& v : validate_mm(mm_)) fail += "\nvalidate_mm: " + v.what;
  if (out.decided && out.value != r) {
    auto show = [&](std::int64_t v) {
      if (op.kind == Op::Kind::touch) return std::string(trace::touch_outcome_name(static_cast<trace::TouchOutcome>(v)));
      if (is_err(v)) return trace::errno_str(static_cast<int>(-v));
      return hexs(static_cast<std::uint64_t>(v));
    };
    fail += "\nresult: the oracle expects " + show(out.value) + " (" + out.why + "), the model returned " + show(r);
  }
  oracle::PageMap post = oracle::abstraction(mm_);
  if (!out.decided) {
    cov_->undecided++;
    if (out.why.rfind("model bug", 0) != 0) cov_->other["oracle undecided: " + out.why]++;
    oracle_.resync(mm_, ids_);
  } else {
    for (const std::string& d : oracle::compare(oracle_.pages(), post, ids_)) {
      fail += "\npages: " + d;
      state_failure = true;
    }
    if (op.kind == Op::Kind::brk && oracle_.brk_value() != mm_.brk)
      fail += "\nbrk: the oracle's break " + hexs(oracle_.brk_value()) + ", the model's " + hexs(mm_.brk);
  }
  for (const std::string& d : oracle::check_written(oracle_.pages(), post)) fail += "\nanon_vma: " + d;
  oracle::adopt_observed(oracle_.pages(), post);
  if (fail.empty()) {
    const std::string mx = check_maximality(op, r, last_abs_, post);
    if (!mx.empty()) {
      fail = "\n" + mx;
      state_failure = true;
    }
  }
  last_abs_ = std::move(post);
  if (!fail.empty()) {
    fail.erase(0, 1);
    show_maps_ = state_failure;
    lines_.back() += "  # <- " + first_line(fail);
  }
  return fail;
}

// The oracle's view of the window as an expect-maps block: its pages grouped into VMAs,
// split where the model has a boundary that is allowed (not a maximality violation).
std::string Harness::expect_maps_block() const {
  const auto bs = boundaries();
  auto allowed_split = [&](PageNo p) {
    const Addr a = p << PAGE_SHIFT;
    return bs.count(a) && !violations_.count(a);
  };
  constexpr VmFlags relevant = VM_ACCOUNT | VM_NORESERVE | VM_GROWSDOWN | VM_LOCKED |
                               VM_NOHUGEPAGE | VM_SYNC | VM_DROPPABLE | VM_SHARED | VM_MAYWRITE;
  std::string out = "expect-maps\n";
  const auto& pages = oracle_.pages();
  for (auto it = pages.begin(); it != pages.end();) {
    const PageNo lo = it->first;
    const oracle::PageState s = it->second;
    PageNo hi = lo + 1;
    for (++it; it != pages.end() && it->first == hi && !allowed_split(hi); ++it, ++hi) {
      const oracle::PageState& t = it->second;
      if (t.flags != s.flags || t.backing != s.backing || t.object != s.object || t.index != s.index + (hi - lo)) break;
    }
    const Addr start = lo << PAGE_SHIFT, end = hi << PAGE_SHIFT;
    if (end <= setup_.window || start >= setup_.window + setup_.window_size) continue;
    std::string line = "  " + addr_str(start) + "-" + addr_str(end) + " ";
    line += (s.flags & VM_READ) ? 'r' : '-';
    line += (s.flags & VM_WRITE) ? 'w' : '-';
    line += (s.flags & VM_EXEC) ? 'x' : '-';
    line += (s.flags & VM_MAYSHARE) ? 's' : 'p';
    line += ' ';
    switch (s.backing) {
      case oracle::Backing::anon: {
        const Addr sb = oracle_.start_brk(), b = oracle_.brk_value();
        const bool heap = mm_.classic() ? (start <= b && end >= sb) : (start < b && end > sb);
        const bool stack = start <= mm_.start_stack && mm_.start_stack <= end;
        line += heap ? "[heap]" : stack ? "[stack]" : "anon";
        break;
      }
      case oracle::Backing::shmem: line += "shmem"; break;
      case oracle::Backing::file:
        line += root_file_name(s.object);
        if (s.index) line += "@" + std::to_string(s.index);
        break;
      case oracle::Backing::special: line += special_label(s.object); break;
    }
    std::istringstream present(vm_flags_mnemonics(s.flags));
    for (std::string m; present >> m;) line += " +" + m;
    std::istringstream absent(vm_flags_mnemonics(relevant & ~s.flags));
    for (std::string m; absent >> m;) line += " -" + m;
    out += line + "\n";
  }
  return out + "end\n";
}

std::string Harness::trace_text(const std::string& failure) const {
  std::string t = "# mmspec property failure (" + std::string(profile_name(setup_.profile)) + ")\n";
  std::istringstream f(failure);
  for (std::string l; std::getline(f, l);) t += "#   " + l + "\n";
  t += "# Replay: mmspec run <this file>. Results are the page-level oracle's where it decides\n";
  t += "# them, else the model's; the expect-maps block (if any) is the oracle's view.\n";
  t += "profile " + std::string(profile_name(setup_.profile)) + "\n";
  t += "window " + hexs(setup_.window) + " " + hexs(setup_.window_size) + "\n";
  for (const auto& file : CaseSetup::files) t += std::string(file.decl) + "\n";
  for (const std::string& l : lines_) t += l + "\n";
  if (show_maps_) t += expect_maps_block();
  return t;
}

}  // namespace mmspec::prop
