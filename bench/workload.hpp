// The workload shared by the benchmark binaries (vma_ops_bench.cpp, scaling_report.cpp): an
// address space of N non-mergeable VMAs, the operations measured on it, and two back ends that
// execute them — the model (mmspec::Mm through the system calls) and a naive VMA list (a sorted
// std::vector<Vma>, O(log n) lookup but O(n) insertion, erasure and gap search) that the report
// runs in the same process as the baseline the tree must beat.
//
// Layout. N / 2 cells of 7 pages each, laid out upwards so that the last cell ends exactly at
// mm.layout.mmap_base:
//
//     cell c:  [ A: 3 pages r-- ][ B: 3 pages rw- ][ hole: 1 page ]
//
// A and B touch but differ in protection, the hole keeps B away from the next cell's A: nothing
// merges, the Mm holds exactly N VMAs (map_count == N). Every hole is one page, and the space
// above the last VMA (one page below mmap_base) is one page too, so a hint-less (top-down)
// mapping of 3 pages only fits where an A has been unmapped, wherever that A is: the gap search
// has to find the hole inside the tree instead of taking the free space above it.
//
// Two workloads pick the cells (the target of the issue is checked on the second):
//   random  a deterministic pseudo-random permutation of all cells: every operation goes to a
//           cold place somewhere in the whole window, so at 65,000 VMAs (8 MB of tree nodes,
//           more than this machine's L2) the cost is dominated by cache misses on the way down.
//   hot     the same, restricted to a fixed hot set of kHotVmas = 64 VMAs: the A and B of 32
//           cells spread evenly over the whole window (hot_cells()). Programs work on a few
//           regions at a time; the paths to those stay in the caches, and the cost shows the
//           algorithmic growth (the O(log n) depth of the tree) rather than DRAM latency. The
//           hot cells are the same at every size and stay 1/32 of the window apart, so the
//           lookups still reach the full depth of the tree.
//
// Operations, each on a cell c picked by the workload, each pair leaving the address space
// exactly as it found it:
//   mmap_fixed_new   mmap MAP_FIXED 1 page r-x into hole(c): a new VMA, merges with nothing
//   munmap_whole     munmap that page again: erases a whole VMA
//   munmap_split     munmap the middle page of B(c): B splits in two around a new hole
//   mmap_fixed_merge mmap MAP_FIXED rw- that page again: prev + range + next merge (case 1)
//   mprotect_split   mprotect the middle page of A(c) to r-x: A splits in three
//   mprotect_merge   mprotect it back to r--: the three merge again (case 6)
//   mmap_hintless    after an (untimed) munmap of A(c): mmap(NULL, 3 pages, r--) lands in the
//                    4-page hole at exactly A(c)'s old place (top-down takes the hole's top)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mmspec/layout.hpp"
#include "mmspec/mm.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/vm_flags.hpp"

namespace mmbench {

using mmspec::Addr;
using mmspec::SysRet;
using mmspec::Vma;
using mmspec::VmFlags;

inline constexpr Addr P = mmspec::PAGE_SIZE;
inline constexpr Addr CELL = 7 * P;
inline constexpr int PROT_A = mmspec::PROT_READ;                       // r--
inline constexpr int PROT_B = mmspec::PROT_READ | mmspec::PROT_WRITE;  // rw-
inline constexpr int PROT_X = mmspec::PROT_READ | mmspec::PROT_EXEC;   // r-x, merges with nothing

// The sizes the issue asks about: 100, 10,000 and 65,000 VMAs.
inline constexpr std::size_t kSizes[] = {100, 10000, 65000};

// The hot set of the "hot" workload: 64 VMAs, i.e. the A and B of 32 cells.
inline constexpr std::size_t kHotVmas = 64;
inline constexpr std::size_t kHotCells = kHotVmas / 2;

enum class Workload { random, hot };
inline constexpr const char* kWorkloadNames[] = {"random", "hot"};

// Deterministic pseudo-random numbers (splitmix64): the same targets in every run.
struct SplitMix64 {
  std::uint64_t s;
  explicit SplitMix64(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
};

struct Cells {
  Addr base = 0;
  std::size_t count = 0;
  Addr a(std::size_t c) const { return base + c * CELL; }
  Addr b(std::size_t c) const { return a(c) + 3 * P; }
  Addr hole(std::size_t c) const { return a(c) + 6 * P; }
  Addr end() const { return base + count * CELL; }
};

// Cells for n VMAs (n even) ending at mmap_base.
inline Cells cells_below(Addr mmap_base, std::size_t n) {
  Cells c;
  c.count = n / 2;
  c.base = mmap_base - c.count * CELL;
  return c;
}

// The kHotCells cells of the hot set among count cells (count >= kHotCells): the middle cell
// of each of kHotCells equal slices of the window, so they are spread evenly over it.
inline std::vector<std::size_t> hot_cells(std::size_t count) {
  std::vector<std::size_t> cells(kHotCells);
  for (std::size_t i = 0; i < kHotCells; ++i) cells[i] = (2 * i + 1) * count / (2 * kHotCells);
  return cells;
}

// The cells a workload draws from, among count cells.
inline std::vector<std::size_t> workload_cells(Workload w, std::size_t count) {
  if (w == Workload::hot) return hot_cells(count);
  std::vector<std::size_t> all(count);
  for (std::size_t i = 0; i < count; ++i) all[i] = i;
  return all;
}

// Distinct cells of a set in a pseudo-random order; take(k) hands out k cells that are pairwise
// distinct (k <= size of the set), reshuffling when the permutation is used up.
class Targets {
 public:
  Targets(std::vector<std::size_t> cells, std::uint64_t seed) : perm_(std::move(cells)), rng_(seed) {
    shuffle();
  }
  const std::size_t* take(std::size_t k) {
    if (pos_ + k > perm_.size()) shuffle();
    const std::size_t* p = perm_.data() + pos_;
    pos_ += k;
    return p;
  }

 private:
  void shuffle() {
    for (std::size_t i = perm_.size(); i > 1; --i) std::swap(perm_[i - 1], perm_[rng_.below(i)]);
    pos_ = 0;
  }
  std::vector<std::size_t> perm_;
  SplitMix64 rng_;
  std::size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Back end 1: the model.

// The default configuration (profile linux-6.18, default layout) with room for 2^20 VMAs.
inline mmspec::MmConfig config() {
  mmspec::MmConfig cfg;
  cfg.sysctl.max_map_count = std::uint64_t{1} << 20;
  return cfg;
}

class ModelBackend {
 public:
  static constexpr const char* name = "tree";
  explicit ModelBackend(std::size_t n) : mm_(std::make_unique<mmspec::Mm>(config())) {
    cells_ = cells_below(mm_->layout.mmap_base, n);
  }
  const Cells& cells() const { return cells_; }
  mmspec::Mm& mm() { return *mm_; }
  const mmspec::Mm& mm() const { return *mm_; }

  SysRet mmap_fixed(Addr a, Addr len, int prot) {
    return mmspec::sys_mmap(*mm_, a, len, static_cast<std::uint64_t>(prot),
                            mmspec::MAP_PRIVATE | mmspec::MAP_ANONYMOUS | mmspec::MAP_FIXED, -1, 0);
  }
  SysRet mmap_hintless(Addr len, int prot) {
    return mmspec::sys_mmap(*mm_, 0, len, static_cast<std::uint64_t>(prot),
                            mmspec::MAP_PRIVATE | mmspec::MAP_ANONYMOUS, -1, 0);
  }
  SysRet munmap(Addr a, Addr len) { return mmspec::sys_munmap(*mm_, a, len); }
  SysRet mprotect(Addr a, Addr len, int prot) {
    return mmspec::sys_mprotect(*mm_, a, len, static_cast<std::uint64_t>(prot));
  }
  std::size_t count() const { return mm_->map_count; }
  // Completes the tree's deferred gap updates (the report times them with the operations that
  // left them).
  void settle() const { mm_->vmas.complete_gap_updates(); }
  // start, end and protection of the VMA containing a (end == 0 if none).
  Vma at(Addr a) const {
    const Vma* v = mm_->vmas.find_vma(a);
    return v && v->vm_start <= a ? *v : Vma{};
  }
  std::vector<Vma> snapshot() const { return std::vector<Vma>(mm_->vmas.begin(), mm_->vmas.end()); }

 private:
  std::unique_ptr<mmspec::Mm> mm_;
  Cells cells_;
};

// ---------------------------------------------------------------------------------------------
// Back end 2: the naive VMA list. A sorted std::vector<Vma>: lookups are binary searches, but
// inserting or erasing a VMA moves every VMA above it (O(n)), and the hint-less gap search walks
// the list from the top (O(n)), as a VMA list without an augmented tree has to. It follows the
// model's semantics for this workload (private anonymous memory, protections only; pgoff is
// always continuous there), and the report checks that both end in the same VMAs.

class NaiveVmaList {
 public:
  static constexpr const char* name = "naive";
  // The same window as ModelBackend(n): below the default layout's mmap_base, searched down
  // to max(PAGE_SIZE, mmap_min_addr) as the model's 6.18 profile does.
  explicit NaiveVmaList(std::size_t n, const mmspec::MmConfig& cfg = config())
      : high_(mmspec::arch_pick_mmap_layout(cfg.layout).mmap_base),
        low_(std::max(P, cfg.layout.mmap_min_addr)) {
    cells_ = cells_below(high_, n);
    v_.reserve(n + 64);
  }
  const Cells& cells() const { return cells_; }

  SysRet mmap_fixed(Addr s, Addr len, int prot) {
    const Addr e = s + len;
    unmap_range(s, e);
    const VmFlags f = flags_of(prot);
    const std::size_t i = find(s);  // the VMA after the new range
    const bool left = i > 0 && v_[i - 1].vm_end == s && v_[i - 1].vm_flags == f;
    const bool right = i < v_.size() && v_[i].vm_start == e && v_[i].vm_flags == f;
    if (left && right) {
      v_[i - 1].vm_end = v_[i].vm_end;
      v_.erase(v_.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (left) {
      v_[i - 1].vm_end = e;
    } else if (right) {
      v_[i].vm_start = s;
    } else {
      Vma n;
      n.vm_start = s;
      n.vm_end = e;
      n.vm_pgoff = s >> mmspec::PAGE_SHIFT;
      n.vm_flags = f;
      v_.insert(v_.begin() + static_cast<std::ptrdiff_t>(i), n);
    }
    return static_cast<SysRet>(s);
  }

  // Top-down: the highest gap in [low, high) that holds len, walking down from the top.
  SysRet mmap_hintless(Addr len, int prot) {
    for (std::size_t i = v_.size() + 1; i-- > 0;) {
      const Addr gap_start = std::max(i > 0 ? v_[i - 1].vm_end : 0, low_);
      const Addr gap_end = std::min(i < v_.size() ? v_[i].vm_start : high_, high_);
      if (gap_end > gap_start && gap_end - gap_start >= len)
        return mmap_fixed(gap_end - len, len, prot);
    }
    return -ENOMEM;
  }

  SysRet munmap(Addr s, Addr len) {
    unmap_range(s, s + len);
    return 0;
  }

  SysRet mprotect(Addr s, Addr len, int prot) {
    const Addr e = s + len;
    std::size_t i = find(s);
    // The whole range must be mapped.
    Addr covered = s;
    for (std::size_t j = i; covered < e; ++j) {
      if (j == v_.size() || v_[j].vm_start > covered) return -ENOMEM;
      covered = v_[j].vm_end;
    }
    if (v_[i].vm_start < s) split(i++, s);
    std::size_t j = i;
    while (j + 1 < v_.size() && v_[j + 1].vm_start < e) ++j;
    if (v_[j].vm_end > e) split(j, e);
    const VmFlags f = flags_of(prot);
    for (std::size_t k = i; k <= j; ++k) v_[k].vm_flags = f;
    coalesce(i > 0 ? i - 1 : 0, std::min(j + 1, v_.size() - 1));
    return 0;
  }

  std::size_t count() const { return v_.size(); }
  void settle() const {}
  Vma at(Addr a) const {
    const std::size_t i = find(a);
    return i < v_.size() && v_[i].vm_start <= a ? v_[i] : Vma{};
  }
  const std::vector<Vma>& vmas() const { return v_; }

 private:
  static VmFlags flags_of(int prot) {
    VmFlags f = 0;
    if (prot & mmspec::PROT_READ) f |= mmspec::VM_READ;
    if (prot & mmspec::PROT_WRITE) f |= mmspec::VM_WRITE;
    if (prot & mmspec::PROT_EXEC) f |= mmspec::VM_EXEC;
    return f;
  }
  // Index of the first VMA with vm_end > a (find_vma), v_.size() if none.
  std::size_t find(Addr a) const {
    return static_cast<std::size_t>(
        std::partition_point(v_.begin(), v_.end(), [a](const Vma& x) { return x.vm_end <= a; }) -
        v_.begin());
  }
  // v_[i].vm_start < at < v_[i].vm_end: v_[i] becomes [start, at), a new VMA [at, end) follows.
  void split(std::size_t i, Addr at) {
    Vma upper = v_[i];
    upper.vm_start = at;
    upper.vm_pgoff += (at - v_[i].vm_start) >> mmspec::PAGE_SHIFT;
    v_[i].vm_end = at;
    v_.insert(v_.begin() + static_cast<std::ptrdiff_t>(i) + 1, upper);
  }
  void unmap_range(Addr s, Addr e) {
    std::size_t i = find(s);
    if (i < v_.size() && v_[i].vm_start < s && v_[i].vm_end > s) split(i++, s);
    std::size_t j = i;
    while (j < v_.size() && v_[j].vm_start < e) {
      if (v_[j].vm_end > e) split(j, e);
      ++j;
    }
    v_.erase(v_.begin() + static_cast<std::ptrdiff_t>(i),
             v_.begin() + static_cast<std::ptrdiff_t>(j));
  }
  // Merges touching VMAs with equal flags among v_[lo..hi], erasing the absorbed ones at once.
  void coalesce(std::size_t lo, std::size_t hi) {
    std::size_t out = lo;
    for (std::size_t k = lo + 1; k <= hi; ++k) {
      if (v_[out].vm_end == v_[k].vm_start && v_[out].vm_flags == v_[k].vm_flags)
        v_[out].vm_end = v_[k].vm_end;
      else
        v_[++out] = v_[k];
    }
    v_.erase(v_.begin() + static_cast<std::ptrdiff_t>(out) + 1,
             v_.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
  }

  std::vector<Vma> v_;
  Addr high_, low_;
  Cells cells_;
};

// ---------------------------------------------------------------------------------------------
// Set-up and the per-cell operations, for either back end.

// Maps the N VMAs of the layout, in address order. Returns false on any unexpected result.
template <class B>
bool populate(B& be, std::string* why) {
  const Cells& c = be.cells();
  for (std::size_t i = 0; i < c.count; ++i) {
    if (be.mmap_fixed(c.a(i), 3 * P, PROT_A) != static_cast<SysRet>(c.a(i)) ||
        be.mmap_fixed(c.b(i), 3 * P, PROT_B) != static_cast<SysRet>(c.b(i))) {
      if (why) *why = std::string(B::name) + ": populating cell " + std::to_string(i) + " failed";
      return false;
    }
  }
  if (be.count() != 2 * c.count) {
    if (why)
      *why = std::string(B::name) + ": " + std::to_string(be.count()) +
             " VMAs after populating, expected " + std::to_string(2 * c.count);
    return false;
  }
  return true;
}

// The operation pairs, each leaving the address space as it found it (one iteration of the
// Google Benchmark suite; mmspec-bench-report --profile runs them for callgrind).
enum class Pair { fixed_new_munmap, munmap_hintless, split_merge, mprotect };
inline constexpr const char* kPairNames[] = {"fixed", "hintless", "split", "mprotect"};

template <Pair p, class B>
bool run_pair(B& be, std::size_t c) {
  const Cells& cs = be.cells();
  if constexpr (p == Pair::fixed_new_munmap) {  // mmap MAP_FIXED into the free slot, munmap it
    const Addr h = cs.hole(c);
    return be.mmap_fixed(h, P, PROT_X) == static_cast<SysRet>(h) && be.munmap(h, P) == 0;
  } else if constexpr (p == Pair::munmap_hintless) {  // munmap A, mmap(NULL) finds its hole
    return be.munmap(cs.a(c), 3 * P) == 0 &&
           be.mmap_hintless(3 * P, PROT_A) == static_cast<SysRet>(cs.a(c));
  } else if constexpr (p == Pair::split_merge) {  // munmap inside B (split), mmap it back (merge)
    const Addr m = cs.b(c) + P;
    return be.munmap(m, P) == 0 && be.mmap_fixed(m, P, PROT_B) == static_cast<SysRet>(m);
  } else {  // mprotect inside A (split in three), and back (merge)
    const Addr m = cs.a(c) + P;
    return be.mprotect(m, P, PROT_X) == 0 && be.mprotect(m, P, PROT_A) == 0;
  }
}

// Whether cell c looks as populate() left it (A, B and the hole), in O(log n).
template <class B>
bool cell_intact(const B& be, std::size_t c) {
  const Cells& cs = be.cells();
  const Vma a = be.at(cs.a(c)), b = be.at(cs.b(c)), h = be.at(cs.hole(c));
  const VmFlags acc = mmspec::VM_ACCESS_FLAGS;
  return a.vm_start == cs.a(c) && a.vm_end == cs.b(c) && (a.vm_flags & acc) == mmspec::VM_READ &&
         b.vm_start == cs.b(c) && b.vm_end == cs.hole(c) &&
         (b.vm_flags & acc) == (mmspec::VM_READ | mmspec::VM_WRITE) && h.vm_end == 0;
}

}  // namespace mmbench
