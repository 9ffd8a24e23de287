// VmaTree: hand-worked cases from the kernel rules, and a randomized differential test against
// a std::map of VMAs with a naive linear gap scan (mm/mmap.c unmapped_area /
// unmapped_area_topdown, v5.15 contract), and with a naive literal walk of the v6.18 searches
// (mm/vma.c unmapped_area / unmapped_area_topdown over lib/maple_tree.c mas_empty_area(_rev)).
#include "mmspec/vma_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mmspec/gap.hpp"

namespace mmspec {
namespace {

constexpr Addr P = PAGE_SIZE;
constexpr Addr TASK_SIZE = 0x7ffffffff000;  // x86-64 TASK_SIZE_MAX with 4-level paging

Vma make(Addr start, Addr end, VmFlags flags = VM_READ | VM_WRITE) {
  Vma v;
  v.vm_start = start;
  v.vm_end = end;
  v.vm_flags = flags;
  v.vm_pgoff = start >> PAGE_SHIFT;
  return v;
}

bool same(const Vma& a, const Vma& b) {
  return a.vm_start == b.vm_start && a.vm_end == b.vm_end && a.vm_flags == b.vm_flags &&
         a.vm_pgoff == b.vm_pgoff && a.anon_vma == b.anon_vma;
}

std::string checked(const VmaTree& t) {
  std::string why;
  return t.check_augmentation(&why) ? std::string("ok") : why;
}

// ---------------------------------------------------------------------------------------------
// The reference: VMAs in a std::map keyed by vm_start, and the kernel's gap search written as a
// plain scan over the list of gaps (independent of VmaTree and of gap.hpp).

struct Ref {
  Addr guard;
  std::map<Addr, std::pair<Vma, Vma*>> vmas;  // vm_start -> (expected value, tree handle)

  Addr start_gap(const Vma& v) const {
    if ((v.vm_flags & VM_GROWSDOWN) == 0) return v.vm_start;
    return v.vm_start > guard ? v.vm_start - guard : 0;
  }

  struct Gap {
    Addr start, end;
  };
  // Gaps preceding each VMA, in address order, and the start of the highest gap.
  std::vector<Gap> gaps(Addr* highest) const {
    std::vector<Gap> out;
    Addr prev_end = 0;
    for (const auto& [start, e] : vmas) {
      out.push_back({prev_end, start_gap(e.first)});
      prev_end = e.first.vm_end;
    }
    *highest = prev_end;
    return out;
  }

  const Vma* find_vma(Addr a) const {
    for (const auto& [start, e] : vmas)
      if (e.first.vm_end > a) return &e.first;
    return nullptr;
  }

  // Returns the request's L, hi, lo, or false for the up-front -ENOMEM.
  static bool limits(const GapRequest& r, Addr* L, Addr* hi, Addr* lo) {
    *L = r.length + r.align_mask;
    if (*L < r.length) return false;
    if (r.high_limit < *L) return false;
    *hi = r.high_limit - *L;
    if (r.low_limit > *hi) return false;
    *lo = r.low_limit + *L;
    return true;
  }
  static bool fits(const Gap& g, Addr L, Addr hi, Addr lo) {
    return g.start <= hi && g.end >= lo && g.end > g.start && g.end - g.start >= L;
  }
  // Alignment by bit surgery rather than the kernel's modular formula: keep a's bits outside
  // the mask, put the wanted bits in, and step one period up (or down) if that went the wrong
  // way. The period of a contiguous mask is mask + its lowest set bit. Exact for page-aligned
  // a, and for any a with masks of the form 2^k - 1.
  static Addr period(Addr mask) { return mask + (mask & (~mask + 1)); }
  static Addr up(Addr gap_start, const GapRequest& r) {
    const Addr a = gap_start < r.low_limit ? r.low_limit : gap_start;
    if (r.align_mask == 0) return a;
    Addr c = (a & ~r.align_mask) | (r.align_offset & r.align_mask);
    if (c < a) c += period(r.align_mask);
    return c;
  }
  static Addr down(Addr gap_end, const GapRequest& r) {
    const Addr a = (gap_end > r.high_limit ? r.high_limit : gap_end) - r.length;
    if (r.align_mask == 0) return a;
    Addr c = (a & ~r.align_mask) | (r.align_offset & r.align_mask);
    if (c > a) c -= period(r.align_mask);
    return c;
  }

  // The naive searches take the gap list (gaps()) so that it is built once per state.
  static std::optional<Addr> bottom_up(const GapRequest& r, const std::vector<Gap>& gs,
                                       Addr highest) {
    Addr L, hi, lo;
    if (!limits(r, &L, &hi, &lo)) return std::nullopt;
    for (const Gap& g : gs)
      if (fits(g, L, hi, lo)) return up(g.start, r);
    if (highest <= hi) return up(highest, r);
    return std::nullopt;
  }

  static std::optional<Addr> top_down(const GapRequest& r, const std::vector<Gap>& gs,
                                      Addr highest) {
    Addr L, hi, lo;
    if (!limits(r, &L, &hi, &lo)) return std::nullopt;
    if (highest <= hi) return down(r.high_limit, r);
    for (auto it = gs.rbegin(); it != gs.rend(); ++it)
      if (fits(*it, L, hi, lo)) return down(it->end, r);
    return std::nullopt;
  }

  // What any placement must satisfy: inside the limits, aligned, off every VMA, and off the
  // guard gap of the VMA right above it (the one the kernel's fit test looks at).
  std::string placement_error(const GapRequest& r, Addr a) const {
    if (a < r.low_limit) return "below low_limit";
    if (a + r.length > r.high_limit || a + r.length < a) return "above high_limit";
    if ((a & r.align_mask) != (r.align_offset & r.align_mask)) return "misaligned";
    auto it = vmas.upper_bound(a);
    if (it != vmas.begin()) --it;
    for (; it != vmas.end(); ++it) {
      const Vma& v = it->second.first;
      if (a < v.vm_end && v.vm_start < a + r.length) return "overlaps a VMA";
      if (v.vm_start >= a + r.length) {
        if (start_gap(v) < a + r.length) return "inside the guard gap above it";
        break;
      }
    }
    return "";
  }
};

// ---------------------------------------------------------------------------------------------
// The v6.18 reference: the same std::map, with mm/vma.c unmapped_area / unmapped_area_topdown
// (v6.18) followed literally, the empty-range search of lib/maple_tree.c mas_empty_area(_rev)
// done by a linear scan over the list of empty ranges, and the kernel's endless loop detected
// as a repeated (low, high) state. Independent of gap.hpp and of VmaTree's walks.

struct Ref618 {
  struct Range {
    Addr first, last;  // inclusive
    const Vma* prev;   // tree handles, to compare with EmptyArea
    const Vma* next;
    VmFlags next_flags;
    Addr next_start, next_end, prev_start, prev_end;
  };
  // Every maximal run of addresses no VMA covers, in address order; the last one reaches
  // ULONG_MAX (and is the whole space when there is no VMA).
  static std::vector<Range> ranges(const Ref& ref) {
    std::vector<Range> out;
    Addr prev_end = 0;
    const Vma* prev = nullptr;
    const Vma* prev_value = nullptr;
    for (const auto& [start, e] : ref.vmas) {
      if (start > prev_end)
        out.push_back({prev_end, start - 1, prev, e.second, e.first.vm_flags, start,
                       e.first.vm_end, prev_value ? prev_value->vm_start : 0, prev_end});
      prev_end = e.first.vm_end;
      prev = e.second;
      prev_value = &e.first;
    }
    out.push_back({prev_end, ~Addr{0}, prev, nullptr, 0, 0, 0,
                   prev_value ? prev_value->vm_start : 0, prev_end});
    return out;
  }

  // The part of r inside [min, max] holds at least size values (128-bit, no wrapping).
  static bool fits(const Range& r, Addr min, Addr max, Addr size) {
    const Addr lo = r.first > min ? r.first : min;
    const Addr hi = r.last < max ? r.last : max;
    return lo <= hi && static_cast<unsigned __int128>(hi) - lo + 1 >= size;
  }
  static bool args_ok(Addr min, Addr max, Addr size) {
    return size != 0 && min <= max && static_cast<unsigned __int128>(max) - min + 1 >= size;
  }
  // mas_empty_area: the lowest fitting range; the area starts at its clipped start.
  static std::optional<std::pair<Addr, const Range*>> lowest(const std::vector<Range>& rs,
                                                              Addr min, Addr max, Addr size) {
    if (!args_ok(min, max, size)) return std::nullopt;
    for (const Range& r : rs)
      if (fits(r, min, max, size)) return std::make_pair(r.first > min ? r.first : min, &r);
    return std::nullopt;
  }
  // mas_empty_area_rev: the highest fitting range; the area ends at its clipped end.
  static std::optional<std::pair<Addr, const Range*>> highest(const std::vector<Range>& rs,
                                                               Addr min, Addr max, Addr size) {
    if (!args_ok(min, max, size)) return std::nullopt;
    for (auto it = rs.rbegin(); it != rs.rend(); ++it)
      if (fits(*it, min, max, size)) return std::make_pair(it->last < max ? it->last : max, &*it);
    return std::nullopt;
  }

  struct Result {
    std::optional<Addr> addr;
    int retries = 0;
    bool high_was_zero = false;  // the window became [low, ULONG_MAX] (top-down)
  };

  static Result bottom_up(const Ref& ref, const std::vector<Range>& rs, const GapRequest& r) {
    Result res;
    if (r.length == 0) return res;
    const Addr L = r.length + r.align_mask + r.start_gap;
    if (L < r.length) return res;
    Addr low = r.low_limit;
    std::set<Addr> seen;
    for (;;) {
      if (!seen.insert(low).second) return res;  // the kernel would loop forever
      const auto found = lowest(rs, low, r.high_limit - 1, L);
      if (!found) return res;
      const Range& e = *found->second;
      GapRequest shifted = r;
      shifted.low_limit = 0;
      const Addr gap = Ref::up(found->first + r.start_gap, shifted);
      if (e.next && (e.next_flags & VM_GROWSDOWN)) {
        const Addr next_gap = e.next_start > ref.guard ? e.next_start - ref.guard : 0;
        if (next_gap < gap + L - 1) {
          low = e.next_end;
          ++res.retries;
          continue;
        }
      } else if (e.prev && e.prev_end > gap) {
        low = e.prev_end;
        ++res.retries;
        continue;
      }
      res.addr = gap;
      return res;
    }
  }

  static Result top_down(const Ref& ref, const std::vector<Range>& rs, const GapRequest& r) {
    Result res;
    if (r.length == 0) return res;
    const Addr L = r.length + r.align_mask + r.start_gap;
    if (L < r.length) return res;
    Addr high = r.high_limit;
    std::set<Addr> seen;
    for (;;) {
      if (!seen.insert(high).second) return res;  // the kernel would loop forever
      if (high == 0) res.high_was_zero = true;
      const auto found = highest(rs, r.low_limit, high - 1, L);
      if (!found) return res;
      const Range& e = *found->second;
      const Addr gap_end = found->first + 1;
      // vma_iter_end: 0 when the area ends at ULONG_MAX. Ref::down clips to high_limit first;
      // here gap_end is already final.
      GapRequest clip = r;
      clip.high_limit = ~Addr{0};
      const Addr gap = Ref::down(gap_end, clip);
      if (e.next && (e.next_flags & VM_GROWSDOWN)) {
        const Addr next_gap = e.next_start > ref.guard ? e.next_start - ref.guard : 0;
        if (next_gap < gap_end) {
          high = next_gap;
          ++res.retries;
          continue;
        }
      } else if (e.prev && e.prev_end > gap) {
        high = e.prev_start;
        ++res.retries;
        continue;
      }
      res.addr = gap;
      return res;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Hand-written cases. Expected values are worked out by hand from the kernel rules of
// mm/mmap.c unmapped_area / unmapped_area_topdown (v5.15): L = length + align_mask,
// hi = high_limit - L, lo = low_limit + L; a gap [gs, ge) fits iff gs <= hi, ge >= lo,
// ge > gs, ge - gs >= L; bottom-up places at max(gs, low_limit) rounded up, top-down at
// min(ge, high_limit) - length rounded down; top-down tries [highest_vm_end, inf) first.

TEST(VmaTreeSearch, EmptyTree) {
  VmaTree t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.highest_vm_end(), 0u);
  EXPECT_EQ(t.first(), nullptr);
  EXPECT_EQ(t.last(), nullptr);
  EXPECT_EQ(t.begin(), t.end());
  // Top-down: highest gap [0, inf), hi = TASK_SIZE - 0x3000 >= 0 -> TASK_SIZE - 0x3000.
  EXPECT_EQ(t.unmapped_area_topdown({0x3000, 0x1000, TASK_SIZE}), TASK_SIZE - 0x3000);
  // Bottom-up: highest gap start 0, clipped to low_limit -> 0x1000.
  EXPECT_EQ(t.unmapped_area({0x3000, 0x1000, TASK_SIZE}), 0x1000u);
}

TEST(VmaTreeSearch, AlignmentOnEmptyTree) {
  VmaTree t;
  const Addr pmd_mask = PMD_SIZE - 1;
  // Bottom-up: a = 0x1000 + ((0x3000 - 0x1000) & 0x1fffff) = 0x3000.
  EXPECT_EQ(t.unmapped_area({0x1000, 0x1000, TASK_SIZE, pmd_mask, 0x3000}), 0x3000u);
  // Offset 0: a = 0x1000 + ((0 - 0x1000) & 0x1fffff) = 0x200000.
  EXPECT_EQ(t.unmapped_area({0x1000, 0x1000, TASK_SIZE, pmd_mask, 0}), 0x200000u);
  // Top-down: a = 0x7fffffffe000, minus (a & 0x1fffff) = 0x1fe000 -> 0x7fffffe00000.
  EXPECT_EQ(t.unmapped_area_topdown({0x1000, 0x1000, TASK_SIZE, pmd_mask, 0}), 0x7fffffe00000u);
  // Offset 0x5000: a = 0x7fffffffe000 - ((0x7fffffffe000 - 0x5000) & 0x1fffff)
  //              = 0x7fffffffe000 - 0x1f9000 = 0x7fffffe05000.
  EXPECT_EQ(t.unmapped_area_topdown({0x1000, 0x1000, TASK_SIZE, pmd_mask, 0x5000}),
            0x7fffffe05000u);
}

TEST(VmaTreeSearch, GuardGapBelowGrowsdownIsSkipped) {
  // guard = 256 pages = 0x100000.
  //   0x10000000 A 0x10001000 ... 0x10100000 guard 0x10200000 B(growsdown) 0x10300000
  VmaTree t;
  ASSERT_EQ(t.stack_guard_gap(), 0x100000u);
  t.insert(make(0x10000000, 0x10001000));
  Vma* b = t.insert(make(0x10200000, 0x10300000, VM_READ | VM_WRITE | VM_GROWSDOWN));
  // gap(B) = vm_start_gap(B) - vm_end(A) = 0x10100000 - 0x10001000.
  EXPECT_EQ(t.gap(b), 0xff000u);
  EXPECT_EQ(t.highest_vm_end(), 0x10300000u);
  // Top-down below B: highest_vm_end 0x10300000 > hi = 0x101ff000; B's gap
  // [0x10001000, 0x10100000) fits -> min(0x10100000, 0x10200000) - 0x1000 = 0x100ff000
  // (without the guard it would be 0x101ff000).
  EXPECT_EQ(t.unmapped_area_topdown({0x1000, 0x10000000, 0x10200000}), 0x100ff000u);
  // Bottom-up from 0x10100000: B's gap ends at 0x10100000 < lo = 0x10101000, so the next gap
  // is the highest one -> 0x10300000 (without the guard it would be 0x10100000).
  EXPECT_EQ(t.unmapped_area({0x1000, 0x10100000, TASK_SIZE}), 0x10300000u);
  // A guard that swallows the whole hole leaves a gap of 0.
  VmaTree small_guard(0x1000);
  small_guard.insert(make(0x10000, 0x11000));
  Vma* s = small_guard.insert(make(0x11000, 0x12000, VM_GROWSDOWN));
  EXPECT_EQ(small_guard.gap(s), 0u);
  EXPECT_EQ(checked(small_guard), "ok");
}

TEST(VmaTreeSearch, ExactFitAndNoFit) {
  //   0x1000 A 0x2000 ... (hole of 0x3000) ... 0x5000 B 0x6000
  VmaTree t;
  t.insert(make(0x1000, 0x2000));
  t.insert(make(0x5000, 0x6000));
  // Bottom-up, length 0x3000: gap [0x2000, 0x5000) has exactly L = 0x3000 -> 0x2000.
  EXPECT_EQ(t.unmapped_area({0x3000, 0x1000, 0x100000}), 0x2000u);
  // Top-down under 0x5000: highest 0x6000 > hi = 0x2000; the same gap -> 0x5000 - 0x3000.
  EXPECT_EQ(t.unmapped_area_topdown({0x3000, 0x1000, 0x5000}), 0x2000u);
  // One page more does not fit the hole: bottom-up goes to the highest gap, 0x6000 ...
  EXPECT_EQ(t.unmapped_area({0x4000, 0x1000, 0x100000}), 0x6000u);
  // ... and top-down under 0x5000 finds nothing: [0, 0x1000) ends below lo = 0x5000 and
  // [0x2000, 0x5000) starts above hi = 0x1000.
  EXPECT_EQ(t.unmapped_area_topdown({0x4000, 0x1000, 0x5000}), std::nullopt);
  // Bottom-up with high_limit 0x5000: [0x2000, 0x5000) too small, highest 0x6000 > hi.
  EXPECT_EQ(t.unmapped_area({0x4000, 0x1000, 0x5000}), std::nullopt);
  // The gap below the lowest VMA starts at 0: [0, 0x1000) fits one page with low_limit 0.
  EXPECT_EQ(t.unmapped_area({0x1000, 0, 0x100000}), 0u);
  // Alignment slack counts: L = 0x1000 + 0x1fff = 0x2fff fits [0x2000, 0x5000) -> rounded up
  // from 0x2000 to offset 0x1000 within 8K: 0x3000.
  EXPECT_EQ(t.unmapped_area({0x1000, 0x1000, 0x100000, 0x1fff, 0x1000}), 0x3000u);
}

TEST(VmaTreeSearch, RequestRejectedUpFront) {
  VmaTree t;
  t.insert(make(0x100000, 0x200000));
  // L = length + align_mask overflows.
  const GapRequest overflow{0x2000, 0, ~Addr{0}, ~Addr{0} - 0x1000, 0};
  EXPECT_EQ(t.unmapped_area(overflow), std::nullopt);
  EXPECT_EQ(t.unmapped_area_topdown(overflow), std::nullopt);
  // high_limit < L.
  EXPECT_EQ(t.unmapped_area({0x3000, 0, 0x2000}), std::nullopt);
  EXPECT_EQ(t.unmapped_area_topdown({0x3000, 0, 0x2000}), std::nullopt);
  // low_limit > high_limit - L.
  EXPECT_EQ(t.unmapped_area({0x3000, 0x8000, 0xa000}), std::nullopt);
  EXPECT_EQ(t.unmapped_area_topdown({0x3000, 0x8000, 0xa000}), std::nullopt);
  // The boundary low_limit == high_limit - L is accepted.
  EXPECT_EQ(t.unmapped_area({0x3000, 0x8000, 0xb000}), 0x8000u);
  EXPECT_EQ(t.unmapped_area_topdown({0x3000, 0x8000, 0xb000}), 0x8000u);
}

// ---------------------------------------------------------------------------------------------
// v6.18 (mm/vma.c unmapped_area / unmapped_area_topdown over lib/maple_tree.c
// mas_empty_area(_rev)): hand-worked cases. An empty range is a run of addresses no VMA covers,
// guard gaps ignored; the lowest / highest one holding L = length + align_mask + start_gap
// values inside [low, high - 1] is taken, the candidate placed in it, and a VM_GROWSDOWN VMA
// right after it whose guard gap reaches the candidate moves the limit past it for a retry.

TEST(VmaTreeV618, EmptyAreaLowestAndHighest) {
  //   [0, 0xffff] 0x10000 A 0x20000 [0x20000, 0x2ffff] 0x30000 B 0x40000 [0x40000, ULONG_MAX]
  VmaTree t;
  const Vma* a = t.insert(make(0x10000, 0x20000));
  const Vma* b = t.insert(make(0x30000, 0x40000));
  EXPECT_EQ(t.raw_gap(a), 0x10000u);
  EXPECT_EQ(t.raw_gap(b), 0x10000u);
  EXPECT_EQ(t.recompute_raw_gap(b), 0x10000u);
  auto lowest = [&](Addr min, Addr max, Addr size) { return t.empty_area(min, max, size); };
  auto highest = [&](Addr min, Addr max, Addr size) { return t.empty_area_rev(min, max, size); };
  // Lowest range, its start clipped to min: [0x1000, 0x1fff], between nothing and A.
  auto e = lowest(0x1000, ~Addr{0}, 0x1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->index, 0x1000u);
  EXPECT_EQ(e->last, 0x1fffu);
  EXPECT_EQ(e->prev, nullptr);
  EXPECT_EQ(e->next, a);
  // [0x20000, 0x2ffff] holds exactly 0x10000 values.
  e = lowest(0x18000, ~Addr{0}, 0x10000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->index, 0x20000u);
  EXPECT_EQ(e->prev, a);
  EXPECT_EQ(e->next, b);
  // One more does not fit there: the range above B, which has no next VMA.
  e = lowest(0, ~Addr{0}, 0x10001);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->index, 0x40000u);
  EXPECT_EQ(e->prev, b);
  EXPECT_EQ(e->next, nullptr);
  // Clipped from below by min: [0x28000, 0x2ffff] holds 0x8000 values, not 0x8001.
  EXPECT_EQ(lowest(0x28000, ~Addr{0}, 0x8000)->index, 0x28000u);
  EXPECT_EQ(lowest(0x28000, ~Addr{0}, 0x8001)->index, 0x40000u);
  // Clipped from above by max: nothing in [0x28000, 0x3ffff] holds 0x8001 values (-EBUSY).
  EXPECT_EQ(lowest(0x28000, 0x3ffff, 0x8001), std::nullopt);
  // Highest range, its end clipped to max.
  e = highest(0x1000, 0x37fff, 0x1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->last, 0x2ffffu);
  EXPECT_EQ(e->index, 0x2f000u);
  EXPECT_EQ(e->prev, a);
  EXPECT_EQ(e->next, b);
  e = highest(0x1000, 0x5ffff, 0x1000);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->last, 0x5ffffu);
  EXPECT_EQ(e->next, nullptr);
  EXPECT_EQ(highest(0x28000, 0x3ffff, 0x8000)->index, 0x28000u);
  EXPECT_EQ(highest(0x28000, 0x3ffff, 0x8001), std::nullopt);
  EXPECT_EQ(highest(0, 0x3ffff, 0x10001), std::nullopt);
  // -EINVAL: size 0, min > max, a window smaller than size.
  EXPECT_EQ(lowest(0, 0x100, 0), std::nullopt);
  EXPECT_EQ(highest(0x2000, 0x1000, 1), std::nullopt);
  EXPECT_EQ(highest(0x1000, 0x1ffe, 0x1000), std::nullopt);
  EXPECT_EQ(highest(0x1000, 0x1fff, 0x1000)->index, 0x1000u);
  // No VMA: mas_sparse_area, the window's bottom (top) end.
  VmaTree none;
  EXPECT_EQ(none.empty_area(5, 100, 10)->index, 5u);
  EXPECT_EQ(none.empty_area(5, 100, 10)->last, 14u);
  EXPECT_EQ(none.empty_area_rev(5, 100, 10)->index, 91u);
  EXPECT_EQ(none.empty_area_rev(0, ~Addr{0}, 0x1000)->index, ~Addr{0} - 0xfff);
  // Touching VMAs leave no empty range between them.
  Vma* c = t.insert(make(0x40000, 0x41000));
  EXPECT_EQ(t.raw_gap(c), 0u);
  EXPECT_EQ(highest(0x1000, 0x40fff, 0x1000)->last, 0x2ffffu);
  EXPECT_EQ(checked(t), "ok");
}

// Confirmed on the live 6.18 kernel of this machine (6.18.44, mmap_min_addr 4096, default
// stack_guard_gap of 1 MiB): a test program mapped R = 64 MiB + 4 KiB hint-less at r, filled every
// free page above it (until a hint-less 4 KiB mapping landed at r - 4 KiB), unmapped
// [r + 16 MiB, G + 4 KiB), and mapped with MAP_FIXED G = [r + 32 MiB, +4K) MAP_GROWSDOWN,
// Y = [G - 1 MiB - 4K, G - 1 MiB) and K; then a hint-less anonymous mmap (top-down, high =
// mmap_base, above all of this). The addresses below are that run's. In the model, high is
// the end of R: nothing is free between R and mmap_base.
TEST(VmaTreeV618, LiveKernelVmaInsideGuardGapTopDown) {
  const Addr r = 0x7fa9733c6000, g = 0x7fa9753c6000, y = 0x7fa9752c5000, k = 0x7fa975346000;
  ASSERT_EQ(g, r + 32 * 0x100000);
  ASSERT_EQ(y + P, g - 0x100000);  // Y ends exactly at vm_start_gap(G)
  ASSERT_EQ(k, g - 0x80000);       // K sits inside G's guard gap
  const Addr high = r + 64 * 0x100000 + P;
  VmaTree t;
  t.insert(make(r, r + 16 * 0x100000));
  t.insert(make(y, y + P));
  t.insert(make(k, k + P));
  t.insert(make(g, g + P, VM_READ | VM_WRITE | VM_GROWSDOWN));
  t.insert(make(g + P, high));
  const GapRequest four_k{P, PAGE_SIZE, high};
  // v6.18: [K + 4K, G - 1] fits, but G's guard reaches below its end: high = G - 1 MiB; then
  // [Y.end, K - 1] lies above the window, and [R + 16 MiB, Y - 1] takes it: Y - 4K. The kernel
  // returned 0x7fa9752c4000.
  EXPECT_EQ(t.unmapped_area_topdown_v618(four_k), y - P);
  EXPECT_EQ(y - P, 0x7fa9752c4000u);
  // The classic search takes the gap below K, [Y.end, K), instead: K - 4K.
  EXPECT_EQ(t.unmapped_area_topdown(four_k), k - P);
}

TEST(VmaTreeV618, LiveKernelVmaAtTopOfGuardGapTopDown) {
  // Same program with K at G - 8K: the kernel returned 0x7f5062c1b000 for 64K (K - 64K), then
  // 0x7f5062b2b000 for 4K (Y - 4K).
  const Addr r = 0x7f5060c2d000, g = 0x7f5062c2d000, y = 0x7f5062b2c000, k = 0x7f5062c2b000;
  ASSERT_EQ(g, r + 32 * 0x100000);
  ASSERT_EQ(y + P, g - 0x100000);
  ASSERT_EQ(k, g - 2 * P);
  const Addr high = r + 64 * 0x100000 + P;
  VmaTree t;
  t.insert(make(r, r + 16 * 0x100000));
  t.insert(make(y, y + P));
  t.insert(make(k, k + P));
  t.insert(make(g, g + P, VM_READ | VM_WRITE | VM_GROWSDOWN));
  t.insert(make(g + P, high));
  // 64K: [K + 4K, G - 1] is too small; [Y.end, K - 1] fits and its next VMA, K, does not grow
  // down: K - 64K (inside G's guard gap, which v6.18 does not look at here).
  const Addr v = t.unmapped_area_topdown_v618({0x10000, PAGE_SIZE, high}).value_or(0);
  EXPECT_EQ(v, k - 0x10000);
  EXPECT_EQ(v, 0x7f5062c1b000u);
  // The classic search agrees here: the gap below K is [Y.end, K).
  EXPECT_EQ(t.unmapped_area_topdown({0x10000, PAGE_SIZE, high}), k - 0x10000);
  // Map V there (the kernel merged it into K; the search sees the same empty ranges).
  t.insert(make(v, k));
  // 4K: [K + 4K, G - 1] fits, G's guard reaches it: high = G - 1 MiB, then Y - 4K.
  EXPECT_EQ(t.unmapped_area_topdown_v618({P, PAGE_SIZE, high}), y - P);
  EXPECT_EQ(y - P, 0x7f5062b2b000u);
  // The classic search: the gap below V, [Y.end, V), ends at V: V - 4K.
  EXPECT_EQ(t.unmapped_area_topdown({P, PAGE_SIZE, high}), v - P);
  EXPECT_EQ(checked(t), "ok");
}

TEST(VmaTreeV618, BottomUpRetriesPastGrowsdown) {
  // guard 1 MiB:  0x100000 X 0x101000 ... guard [0x200000, 0x300000) G(growsdown) 0x301000
  VmaTree t;
  t.insert(make(0x100000, 0x101000));
  t.insert(make(0x300000, 0x301000, VM_READ | VM_WRITE | VM_GROWSDOWN));
  // [0x101000, 0x2fffff] from low: candidate 0x101000; vm_start_gap(G) = 0x200000 is not below
  // 0x101000 + 0x1000 - 1: taken.
  EXPECT_EQ(t.unmapped_area_v618({P, 0x101000, TASK_SIZE}), 0x101000u);
  // From 0x1ff000 with 8K: 0x200000 < 0x1ff000 + 0x2000 - 1, so low = vm_end(G) = 0x301000.
  EXPECT_EQ(t.unmapped_area_v618({2 * P, 0x1ff000, TASK_SIZE}), 0x301000u);
  EXPECT_EQ(t.unmapped_area({2 * P, 0x1ff000, TASK_SIZE}), 0x301000u);  // classic agrees
  // The test is against the candidate plus the whole L - 1 (alignment slack included): 4K
  // aligned to 64K from 0x1e1000 is 0x1f0000, and 0x200000 < 0x1f0000 + 0x10fff - 1, so v6.18
  // moves past G (to 0x301000, aligned up to 0x310000) although [0x1f0000, 0x1f1000) is clear
  // of the guard gap; the classic search takes 0x1f0000 (gap [0x101000, 0x200000) holds L).
  const GapRequest aligned{P, 0x1e1000, TASK_SIZE, 0xffff, 0};
  EXPECT_EQ(t.unmapped_area_v618(aligned), 0x310000u);
  EXPECT_EQ(t.unmapped_area(aligned), 0x1f0000u);
  // start_gap is added before aligning: from 0x101000, + 4K, then up to 64K: 0x110000.
  GapRequest with_start_gap{P, 0x101000, TASK_SIZE, 0xffff, 0};
  with_start_gap.start_gap = P;
  EXPECT_EQ(t.unmapped_area_v618(with_start_gap), 0x110000u);
}

TEST(VmaTreeV618, TopDownHighLimitWrapsToZero) {
  // A growsdown VMA within 1 MiB of address 0: vm_start_gap(G) = 0, so the retry sets high to
  // 0 and the kernel's window becomes [low, high - 1] = [low, ULONG_MAX].
  VmaTree t;
  t.insert(make(0x10000, 0x11000, VM_READ | VM_WRITE | VM_GROWSDOWN));
  // [0x1000, 0xffff] fits under high 0x11000; G's guard reaches it: high = 0. Then the range
  // above G reaches ULONG_MAX, vma_iter_end wraps to 0, and the kernel returns 0 - 4K (which
  // its caller refuses: above TASK_SIZE - len).
  EXPECT_EQ(t.unmapped_area_topdown_v618({P, PAGE_SIZE, 0x11000}), ~Addr{0} - 0xfff);
  // If the range above does not fit either, the next round finds [0x1000, 0xffff] again, sets
  // high to 0 again, and the kernel loops forever; the model gives up.
  t.insert(make(0x11000, ~Addr{0} - 0xfff));
  EXPECT_EQ(t.unmapped_area_topdown_v618({2 * P, PAGE_SIZE, 0x11000}), std::nullopt);
  EXPECT_EQ(checked(t), "ok");
}

TEST(VmaTreeV618, RequestRejected) {
  VmaTree t;
  t.insert(make(0x100000, 0x200000));
  // L = length + align_mask + start_gap wraps.
  const GapRequest overflow{0x2000, 0, ~Addr{0}, ~Addr{0} - 0x1000, 0};
  EXPECT_EQ(t.unmapped_area_v618(overflow), std::nullopt);
  EXPECT_EQ(t.unmapped_area_topdown_v618(overflow), std::nullopt);
  // The window [low, high - 1] holds fewer than L values (mas_empty_area's -EINVAL).
  EXPECT_EQ(t.unmapped_area_v618({0x3000, 0, 0x2000}), std::nullopt);
  EXPECT_EQ(t.unmapped_area_topdown_v618({0x3000, 0x8000, 0xa000}), std::nullopt);
  // Exactly L values: accepted.
  EXPECT_EQ(t.unmapped_area_v618({0x3000, 0x8000, 0xb000}), 0x8000u);
  EXPECT_EQ(t.unmapped_area_topdown_v618({0x3000, 0x8000, 0xb000}), 0x8000u);
  // Length 0 is outside the contract.
  EXPECT_EQ(t.unmapped_area_v618({0, 0, TASK_SIZE, 0xfff}), std::nullopt);
  EXPECT_EQ(t.unmapped_area_topdown_v618({0, 0, TASK_SIZE, 0xfff}), std::nullopt);
  // No room at all in [0x100000, 0x1fffff]: -EBUSY.
  EXPECT_EQ(t.unmapped_area_topdown_v618({P, 0x100000, 0x200000}), std::nullopt);
  EXPECT_EQ(t.unmapped_area_v618({P, 0x100000, 0x200000}), std::nullopt);
}

TEST(VmaTreeLookup, FindVmaFamily) {
  //   0x1000 A 0x3000   0x5000 B 0x6000
  VmaTree t;
  Vma* a = t.insert(make(0x1000, 0x3000));
  Vma* b = t.insert(make(0x5000, 0x6000));
  EXPECT_EQ(t.find_vma(0), a);
  EXPECT_EQ(t.find_vma(0x2fff), a);
  EXPECT_EQ(t.find_vma(0x3000), b);
  EXPECT_EQ(t.find_vma(0x6000), nullptr);
  EXPECT_EQ(t.find_vma_intersection(0x3000, 0x5000), nullptr);
  EXPECT_EQ(t.find_vma_intersection(0x3000, 0x5001), b);
  EXPECT_EQ(t.find_vma_intersection(0, 0x1001), a);
  Vma* prev = a;
  EXPECT_EQ(t.find_vma_prev(0x500, &prev), a);
  EXPECT_EQ(prev, nullptr);
  EXPECT_EQ(t.find_vma_prev(0x4000, &prev), b);
  EXPECT_EQ(prev, a);
  // Nothing at or above 0x6000: the kernel sets *pprev to the last VMA.
  EXPECT_EQ(t.find_vma_prev(0x6000, &prev), nullptr);
  EXPECT_EQ(prev, b);
  VmaTree empty;
  EXPECT_EQ(empty.find_vma_prev(0, &prev), nullptr);
  EXPECT_EQ(prev, nullptr);
  EXPECT_EQ(t.prev(a), nullptr);
  EXPECT_EQ(t.next(a), b);
  EXPECT_EQ(t.next(b), nullptr);
  EXPECT_EQ(t.first(), a);
  EXPECT_EQ(t.last(), b);
  EXPECT_EQ(t.highest_vm_end(), 0x6000u);
}

TEST(VmaTreeUpdate, AdjustAndRefreshMoveGaps) {
  //   0x10000 A 0x11000 ........ 0x20000 B 0x21000 ........ 0x30000 C 0x31000
  VmaTree t(0x4000);
  Vma* a = t.insert(make(0x10000, 0x11000));
  Vma* b = t.insert(make(0x20000, 0x21000));
  Vma* c = t.insert(make(0x30000, 0x31000));
  EXPECT_EQ(t.gap(a), 0x10000u);
  EXPECT_EQ(t.gap(b), 0xf000u);
  // Three ascending inserts rotate B to the root: subtree_gap(B) = max(0xf000, 0x10000, 0xf000).
  EXPECT_EQ(t.subtree_gap(b), 0x10000u);
  // Grow A up to 0x18000: B's gap shrinks to 0x8000 (the successor is refreshed).
  t.adjust(a, 0x10000, 0x18000);
  EXPECT_EQ(t.gap(b), 0x8000u);
  // Shrink B from below: its own gap grows.
  t.adjust(b, 0x1c000, 0x21000);
  EXPECT_EQ(t.gap(b), 0x4000u);
  // Make C grow down: its gap loses the 0x4000 guard.
  c->vm_flags |= VM_GROWSDOWN;
  t.refresh(c);
  EXPECT_EQ(t.gap(c), 0x30000u - 0x4000u - 0x21000u);
  EXPECT_EQ(t.recompute_gap(c), t.gap(c));
  EXPECT_EQ(checked(t), "ok");
  // Erasing B hands its gap start down to C; C takes B's place at the root.
  t.erase(b);
  EXPECT_EQ(t.gap(c), 0x2c000u - 0x18000u);
  EXPECT_EQ(t.subtree_gap(c), 0x14000u);
  EXPECT_EQ(checked(t), "ok");
}

TEST(VmaTreeCopy, DeepCopyAndMove) {
  VmaTree t;
  for (Addr i = 0; i < 100; ++i) t.insert(make((2 * i + 1) * P, (2 * i + 2) * P));
  VmaTree copy(t);
  EXPECT_EQ(copy.size(), 100u);
  EXPECT_NE(copy.first(), t.first());
  copy.erase(copy.first());
  EXPECT_EQ(t.size(), 100u);
  EXPECT_EQ(t.first()->vm_start, P);
  EXPECT_EQ(checked(copy), "ok");
  EXPECT_EQ(checked(t), "ok");

  Vma* handle = t.find_vma(51 * P);
  VmaTree moved(std::move(t));
  EXPECT_EQ(moved.find_vma(51 * P), handle);  // handles survive a move
  EXPECT_EQ(moved.size(), 100u);
  copy = moved;
  EXPECT_EQ(copy.size(), 100u);
  EXPECT_NE(copy.find_vma(51 * P), handle);
  copy = std::move(moved);
  EXPECT_EQ(copy.find_vma(51 * P), handle);
  EXPECT_EQ(checked(copy), "ok");
  copy.clear();
  EXPECT_TRUE(copy.empty());
  EXPECT_EQ(checked(copy), "ok");
}

TEST(VmaTreeShape, DeepAscendingStaysBalanced) {
  constexpr Addr n = 65000;
  VmaTree t;
  for (Addr i = 0; i < n; ++i) t.insert(make((2 * i + 1) * P, (2 * i + 2) * P));
  // One bigger hole, of 3 pages, near the top: only it fits a 2-page request.
  Vma* v = t.find_vma((2 * (n - 10) + 1) * P);
  t.erase(t.next(v));
  ASSERT_EQ(t.size(), n - 1);
  EXPECT_EQ(checked(t), "ok");
  const double bound = 1.45 * std::log2(static_cast<double>(n)) + 2;
  EXPECT_LE(t.height(), bound);
  EXPECT_EQ(t.unmapped_area({2 * P, 0, TASK_SIZE}), v->vm_end);
  EXPECT_EQ(t.unmapped_area_topdown({2 * P, 0, v->vm_end + 3 * P}), v->vm_end + P);
  // The v6.18 searches over the raw gaps find the same hole.
  EXPECT_EQ(t.unmapped_area_v618({2 * P, 0, TASK_SIZE}), v->vm_end);
  EXPECT_EQ(t.unmapped_area_topdown_v618({2 * P, 0, v->vm_end + 3 * P}), v->vm_end + P);
  EXPECT_EQ(t.unmapped_area_topdown_v618({2 * P, 0, t.last()->vm_start}), v->vm_end + P);
  std::size_t count = 0;
  Addr last_end = 0;
  for (const Vma& x : t) {
    EXPECT_LE(last_end, x.vm_start);
    last_end = x.vm_end;
    ++count;
  }
  EXPECT_EQ(count, n - 1);
  // Erase from the bottom up: the tree stays balanced while it empties.
  for (Addr i = 0; i < n / 2; ++i) t.erase(t.first());
  EXPECT_LE(t.height(), 1.45 * std::log2(static_cast<double>(t.size())) + 2);
  EXPECT_EQ(checked(t), "ok");
  while (!t.empty()) t.erase(t.last());
  EXPECT_EQ(t.height(), 0);
}

// ---------------------------------------------------------------------------------------------
// Randomized differential test.

class Differential {
 public:
  // guard_heavy: a quarter of the changes put a VMA inside a VM_GROWSDOWN VMA's guard gap, or
  // a VM_GROWSDOWN VMA just above others (where v5.15 and v6.18 answer differently).
  // compare_every: steps between two comparisons (a long stretch overflows the tree's list of
  // deferred gap updates). kinds: the maxima the tree keeps; only the searches that read them
  // run (one of the other kind would make the tree keep both from then on).
  Differential(std::uint64_t seed, Addr guard, Addr universe_pages, bool guard_heavy = false,
               int compare_every = 5, GapKinds kinds = GapKinds::both)
      : rng_(seed), tree_(guard, kinds), ref_{guard, {}}, pages_(universe_pages),
        guard_heavy_(guard_heavy), compare_every_(compare_every), kinds_(kinds),
        classic_(kinds != GapKinds::maple), maple_(kinds != GapKinds::classic) {}

  void run(int steps) {
    for (int step = 0; step < steps; ++step) {
      mutate();
      if (step % compare_every_ == 0) compare(step);
      if (::testing::Test::HasFatalFailure()) return;
    }
    compare(steps);
  }

 private:
  Addr pick(Addr lo, Addr hi) { return std::uniform_int_distribution<Addr>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(0, 99) < static_cast<Addr>(percent); }

  Addr random_len_pages() { return chance(90) ? pick(1, 32) : pick(33, 1024); }

  void mutate() {
    const std::size_t n = ref_.vmas.size();
    const int want_insert = n < 150 ? 70 : n < 300 ? 45 : 20;
    if (guard_heavy_ && n > 0 && chance(25)) {
      do_insert_in_guard();
      return;
    }
    // The steps of a split and of a merge, as the model takes them: the tree passes through
    // a state with a larger gap that the next step takes back, and inserts next to the VMA it
    // just changed (its finger).
    if (n > 0 && chance(15)) {
      if (chance(50))
        do_split();
      else
        do_merge_next();
      return;
    }
    const Addr roll = pick(0, 99);
    if (roll < static_cast<Addr>(want_insert) || n == 0)
      do_insert();
    else if (roll < 80)
      do_erase();
    else if (roll < 95)
      do_adjust();
    else
      do_toggle_growsdown();
  }

  auto random_entry() {
    auto it = ref_.vmas.begin();
    std::advance(it, pick(0, ref_.vmas.size() - 1));
    return it;
  }

  void do_insert() {
    const Addr start = pick(0, pages_ - 1) * P;
    try_insert(start, start + random_len_pages() * P, chance(20));
  }

  // Either a plain VMA inside the guard gap of a random VM_GROWSDOWN one (often ending right
  // at or just below it), or a VM_GROWSDOWN VMA a few pages above a random VMA.
  void do_insert_in_guard() {
    const Addr guard = ref_.guard;
    if (chance(60)) {
      std::vector<Addr> stacks;
      for (const auto& [start, e] : ref_.vmas)
        if (e.first.vm_flags & VM_GROWSDOWN) stacks.push_back(start);
      if (stacks.empty()) return;
      const Addr g = stacks[pick(0, stacks.size() - 1)];
      const Addr bottom = g > guard ? g - guard : 0;
      if (g - bottom < P) return;
      const Addr end = chance(30) ? g : bottom + pick(1, (g - bottom) / P) * P;
      const Addr len = std::min<Addr>(end - bottom, pick(1, chance(50) ? 2 : 16) * P);
      try_insert(end - len, end, false);
    } else {
      const Vma& below = random_entry()->second.first;
      const Addr start = below.vm_end + pick(0, guard / P + 2) * P;
      try_insert(start, start + pick(1, 8) * P, true);
    }
  }

  void try_insert(Addr start, Addr end, bool growsdown) {
    if (start >= end) return;
    auto next = ref_.vmas.lower_bound(start);
    if (next != ref_.vmas.end() && next->second.first.vm_start < end) return;
    if (next != ref_.vmas.begin() && std::prev(next)->second.first.vm_end > start) return;
    Vma v = make(start, end, growsdown ? VM_READ | VM_WRITE | VM_GROWSDOWN : VM_READ);
    v.anon_vma = static_cast<AnonVmaId>(pick(0, 1000));
    Vma* h = tree_.insert(v);
    ASSERT_TRUE(same(*h, v));
    ref_.vmas.emplace(start, std::make_pair(v, h));
  }

  void do_erase() {
    auto it = random_entry();
    tree_.erase(it->second.second);
    ref_.vmas.erase(it);
  }

  void do_adjust() {
    auto it = random_entry();
    const Addr lo = it == ref_.vmas.begin() ? 0 : std::prev(it)->second.first.vm_end;
    const Addr hi = std::next(it) == ref_.vmas.end() ? pages_ * P + 2048 * P
                                                     : std::next(it)->second.first.vm_start;
    if (hi - lo < P) return;
    // A new range inside [lo, hi): sometimes only one end moves.
    Addr s = it->second.first.vm_start;
    Addr e = it->second.first.vm_end;
    if (chance(50)) s = lo + pick(0, (hi - lo) / P - 1) * P;
    if (chance(50) || s >= e) e = s + pick(1, (hi - s) / P) * P;
    if (s >= e) return;
    auto [v, h] = it->second;
    tree_.adjust(h, s, e);
    h->vm_pgoff = s >> PAGE_SHIFT;
    v.vm_start = s;
    v.vm_end = e;
    v.vm_pgoff = s >> PAGE_SHIFT;
    ref_.vmas.erase(it);
    ref_.vmas.emplace(s, std::make_pair(v, h));
  }

  // Cuts a VMA of at least two pages in two: adjust() keeps one part (the lower or the upper)
  // in the node, insert() adds the other right next to it.
  void do_split() {
    auto it = random_entry();
    auto [v, h] = it->second;
    const Addr pages = (v.vm_end - v.vm_start) / P;
    if (pages < 2) return;
    const Addr cut = v.vm_start + pick(1, pages - 1) * P;
    Vma keep = v, other = v;
    if (chance(50)) {  // the node keeps the lower part (mm/vma.c __split_vma, new_below = 0)
      keep.vm_end = cut;
      other.vm_start = cut;
    } else {  // the node keeps the upper part (new_below = 1)
      keep.vm_start = cut;
      other.vm_end = cut;
    }
    keep.vm_pgoff = keep.vm_start >> PAGE_SHIFT;
    other.vm_pgoff = other.vm_start >> PAGE_SHIFT;
    tree_.adjust(h, keep.vm_start, keep.vm_end);
    h->vm_pgoff = keep.vm_pgoff;
    Vma* o = tree_.insert(other);
    ASSERT_TRUE(same(*o, other));
    ref_.vmas.erase(it);
    ref_.vmas.emplace(keep.vm_start, std::make_pair(keep, h));
    ref_.vmas.emplace(other.vm_start, std::make_pair(other, o));
  }

  // Erases the VMA after a random one, then grows the random one over the freed space (up to
  // the erased VMA's end, or less).
  void do_merge_next() {
    auto it = random_entry();
    auto nx = std::next(it);
    if (nx == ref_.vmas.end()) return;
    const Addr end = nx->second.first.vm_end;
    tree_.erase(nx->second.second);
    ref_.vmas.erase(nx);
    auto [v, h] = it->second;
    v.vm_end = v.vm_end + pick(0, (end - v.vm_end) / P) * P;
    tree_.adjust(h, v.vm_start, v.vm_end);
    it->second.first = v;
  }

  void do_toggle_growsdown() {
    auto it = random_entry();
    Vma* h = it->second.second;
    h->vm_flags ^= VM_GROWSDOWN;
    it->second.first.vm_flags ^= VM_GROWSDOWN;
    tree_.refresh(h);
  }

  GapRequest random_request() {
    GapRequest r;
    const Addr top = pages_ * P + 4096 * P;
    switch (pick(0, 9)) {
      case 0:  // degenerate lengths
        r.length = chance(50) ? 0 : ~Addr{0} - pick(0, 3) * P;
        break;
      case 1:
        r.length = pick(1, 4096) * P;
        break;
      default:
        r.length = random_len_pages() * P;
    }
    r.low_limit = chance(20) ? 0 : pick(0, pages_) * P;
    switch (pick(0, 9)) {
      case 0:
        r.high_limit = TASK_SIZE;
        break;
      case 1:
        r.high_limit = ~Addr{0} - pick(0, 3);
        break;
      case 2:
        r.high_limit = pick(0, top);  // unaligned, possibly below low_limit
        break;
      default:
        r.high_limit = pick(r.low_limit / P, top / P) * P;
    }
    switch (pick(0, 5)) {
      case 0:
      case 1:
        r.align_mask = PMD_SIZE - 1;
        break;
      case 2:
        // hugetlb-style mask; the kernel only uses it with page-aligned limits.
        r.align_mask = page_aligned(r.high_limit) ? PMD_SIZE - P : 0;
        break;
      default:
        r.align_mask = 0;
    }
    r.align_offset = chance(50) ? pick(0, 511) * P : pick(0, ~Addr{0});
    // As in the kernel (offset = pgoff << PAGE_SHIFT), a page-granular mask comes with a
    // page-aligned offset; the modular rounding is only exact then.
    if (r.align_mask == PMD_SIZE - P) r.align_offset &= PAGE_MASK;
    // v6.18's start_gap (x86 uses a page for shadow stacks); the classic searches ignore it.
    if (chance(10)) r.start_gap = P;
    return r;
  }

  // v6.18: the empty-range searches and both placements against Ref618.
  void compare_v618(Addr top) {
    const std::vector<Ref618::Range> ranges = Ref618::ranges(ref_);
    for (int q = 0; q < 12; ++q) {
      // Windows of every kind: random, ending at a VMA boundary, reaching ULONG_MAX, inverted.
      Addr min = chance(20) ? 0 : pick(0, top);
      Addr max = chance(20) ? ~Addr{0} - pick(0, 1) : pick(0, top);
      if (!ref_.vmas.empty() && chance(30)) {
        const Vma& v = random_entry()->second.first;
        max = v.vm_start - pick(0, 1);
      }
      if (chance(80) && min > max) std::swap(min, max);
      const Addr size = chance(10) ? pick(0, 2) : pick(1, 64) * P - pick(0, 1);
      SCOPED_TRACE("window [" + std::to_string(min) + ", " + std::to_string(max) + "] size " +
                   std::to_string(size));
      const auto want_low = Ref618::lowest(ranges, min, max, size);
      const auto got_low = tree_.empty_area(min, max, size);
      ASSERT_EQ(got_low.has_value(), want_low.has_value());
      if (got_low) {
        ASSERT_EQ(got_low->index, want_low->first);
        ASSERT_EQ(got_low->last, want_low->first + (size - 1));
        ASSERT_EQ(got_low->prev, want_low->second->prev);
        ASSERT_EQ(got_low->next, want_low->second->next);
      }
      const auto want_high = Ref618::highest(ranges, min, max, size);
      const auto got_high = tree_.empty_area_rev(min, max, size);
      ASSERT_EQ(got_high.has_value(), want_high.has_value());
      if (got_high) {
        ASSERT_EQ(got_high->last, want_high->first);
        ASSERT_EQ(got_high->index, want_high->first - (size - 1));
        ASSERT_EQ(got_high->prev, want_high->second->prev);
        ASSERT_EQ(got_high->next, want_high->second->next);
      }
    }
    Addr highest = 0;
    const std::vector<Ref::Gap> gaps = ref_.gaps(&highest);
    for (int q = 0; q < 12; ++q) {
      GapRequest r = random_request();
      // Now and then a window from near 0, or ending right at a VMA or guard boundary.
      if (chance(20)) r.low_limit = pick(0, 16) * P;
      if (!ref_.vmas.empty() && chance(20)) {
        const Vma& v = random_entry()->second.first;
        r.high_limit = chance(50) ? v.vm_start : ref_.start_gap(v);
      }
      SCOPED_TRACE(describe(r));
      const Ref618::Result want_up = Ref618::bottom_up(ref_, ranges, r);
      const std::optional<Addr> up = tree_.unmapped_area_v618(r);
      ASSERT_EQ(up, want_up.addr);
      if (up && r.high_limit != 0) {
        ASSERT_EQ(ref_.placement_error(r, *up), "");
      }
      const Ref618::Result want_down = Ref618::top_down(ref_, ranges, r);
      const std::optional<Addr> down = tree_.unmapped_area_topdown_v618(r);
      ASSERT_EQ(down, want_down.addr);
      if (down && r.high_limit != 0 && !want_down.high_was_zero) {
        ASSERT_EQ(ref_.placement_error(r, *down), "");
      }
      ++v618_searches_;
      if (want_up.retries) ++v618_retries_up_;
      if (want_down.retries) ++v618_retries_down_;
      if (want_down.high_was_zero && r.high_limit != 0) ++v618_wraps_;
      if (down && *down < highest) ++v618_found_down_in_tree_;
      // Where v5.15 and v6.18 disagree on an accepted classic request.
      if (classic_ && r.length != 0 && r.start_gap == 0) {
        if (tree_.unmapped_area_topdown(r) != down) ++v618_differs_down_;
        if (tree_.unmapped_area(r) != up) ++v618_differs_up_;
      }
    }
  }

  // One search of a random kind, as the first reader after the last changes: whichever it is,
  // it must complete the deferred gap updates itself.
  void first_search() {
    const GapRequest r = random_request();
    SCOPED_TRACE("first search, " + describe(r));
    switch (!maple_ ? pick(4, 5) : !classic_ ? pick(0, 3) : pick(0, 5)) {
      case 0:
      case 1: {
        const std::vector<Ref618::Range> ranges = Ref618::ranges(ref_);
        const Addr min = pick(0, pages_ * P);
        const Addr max = min + pick(0, pages_) * P;
        const Addr size = pick(1, 8) * P;
        if (pick(0, 1)) {
          const auto want = Ref618::lowest(ranges, min, max, size);
          const auto got = tree_.empty_area(min, max, size);
          ASSERT_EQ(got.has_value(), want.has_value());
          if (got) {
            ASSERT_EQ(got->index, want->first);
          }
        } else {
          const auto want = Ref618::highest(ranges, min, max, size);
          const auto got = tree_.empty_area_rev(min, max, size);
          ASSERT_EQ(got.has_value(), want.has_value());
          if (got) {
            ASSERT_EQ(got->last, want->first);
          }
        }
        break;
      }
      case 2:
      case 3: {
        const std::vector<Ref618::Range> ranges = Ref618::ranges(ref_);
        if (pick(0, 1))
          ASSERT_EQ(tree_.unmapped_area_v618(r), Ref618::bottom_up(ref_, ranges, r).addr);
        else
          ASSERT_EQ(tree_.unmapped_area_topdown_v618(r), Ref618::top_down(ref_, ranges, r).addr);
        break;
      }
      default: {
        Addr highest = 0;
        const std::vector<Ref::Gap> gaps = ref_.gaps(&highest);
        if (pick(0, 1))
          ASSERT_EQ(tree_.unmapped_area(r), Ref::bottom_up(r, gaps, highest));
        else
          ASSERT_EQ(tree_.unmapped_area_topdown(r), Ref::top_down(r, gaps, highest));
      }
    }
  }

  std::string describe(const GapRequest& r) const {
    return "length=" + std::to_string(r.length) + " low=" + std::to_string(r.low_limit) +
           " high=" + std::to_string(r.high_limit) + " mask=" + std::to_string(r.align_mask) +
           " off=" + std::to_string(r.align_offset) +
           " start_gap=" + std::to_string(r.start_gap);
  }

  void compare(int step) {
    SCOPED_TRACE("step " + std::to_string(step));
    // Every other time the structure is checked last, so that the lookups and searches below
    // meet the deferred gap updates of the last steps (and complete them themselves).
    const bool check_first = compares_++ % 2 == 0;
    if (check_first) {
      ASSERT_EQ(checked(tree_), "ok");
    } else {
      first_search();
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_EQ(tree_.size(), ref_.vmas.size());
    // Same VMAs in the same order, and every handle still points at its VMA.
    auto it = ref_.vmas.begin();
    for (const Vma& v : tree_) {
      ASSERT_NE(it, ref_.vmas.end());
      ASSERT_TRUE(same(v, it->second.first));
      ASSERT_EQ(&v, it->second.second);
      ++it;
    }
    ASSERT_EQ(it, ref_.vmas.end());
    const Addr top = pages_ * P + 4096 * P;
    Addr highest = 0;
    const std::vector<Ref::Gap> gaps = ref_.gaps(&highest);
    ASSERT_EQ(tree_.highest_vm_end(), highest);

    // Lookups at random and at boundary addresses.
    for (int q = 0; q < 8; ++q) {
      Addr a = pick(0, top);
      if (!ref_.vmas.empty() && chance(50)) {
        const Vma& v = random_entry()->second.first;
        a = chance(50) ? v.vm_start : v.vm_end - pick(0, 1);
      }
      const Vma* want = ref_.find_vma(a);
      const Vma* got = tree_.find_vma(a);
      ASSERT_EQ(got == nullptr, want == nullptr) << "find_vma " << a;
      if (got) {
        ASSERT_TRUE(same(*got, *want)) << "find_vma " << a;
      }
      const Vma sentinel;
      const Vma* prev = &sentinel;  // must be overwritten
      ASSERT_EQ(std::as_const(tree_).find_vma_prev(a, &prev), got);
      ASSERT_EQ(prev, got ? tree_.prev(got) : tree_.last());
      const Addr end = a + pick(0, 64) * P;
      const Vma* inter = tree_.find_vma_intersection(a, end);
      const bool want_inter = want && want->vm_start < end;
      ASSERT_EQ(inter, want_inter ? got : nullptr) << "find_vma_intersection " << a;
    }
    // Neighbours and gaps of a few VMAs.
    for (int q = 0; q < 4 && !ref_.vmas.empty(); ++q) {
      auto e = random_entry();
      const Vma* h = e->second.second;
      const Vma* want_prev = e == ref_.vmas.begin() ? nullptr : std::prev(e)->second.second;
      const Vma* want_next =
          std::next(e) == ref_.vmas.end() ? nullptr : std::next(e)->second.second;
      ASSERT_EQ(tree_.prev(h), want_prev);
      ASSERT_EQ(tree_.next(h), want_next);
      const Ref::Gap g = gaps[std::distance(ref_.vmas.begin(), e)];
      const Addr want_gap = g.end > g.start ? g.end - g.start : 0;
      ASSERT_EQ(tree_.gap(h), want_gap);
      ASSERT_EQ(tree_.recompute_gap(h), want_gap);
      const Addr prev_end = e == ref_.vmas.begin() ? 0 : std::prev(e)->second.first.vm_end;
      const Addr want_raw = e->first - prev_end;
      ASSERT_EQ(tree_.raw_gap(h), want_raw);
      ASSERT_EQ(tree_.recompute_raw_gap(h), want_raw);
    }
    if (maple_) compare_v618(top);
    // Both gap searches.
    for (int q = 0; q < 12 && classic_; ++q) {
      const GapRequest r = random_request();
      SCOPED_TRACE(describe(r));
      const std::optional<Addr> up = tree_.unmapped_area(r);
      ASSERT_EQ(up, Ref::bottom_up(r, gaps, highest));
      if (up) {
        ASSERT_EQ(ref_.placement_error(r, *up), "");
      }
      const std::optional<Addr> down = tree_.unmapped_area_topdown(r);
      ASSERT_EQ(down, Ref::top_down(r, gaps, highest));
      if (down) {
        ASSERT_EQ(ref_.placement_error(r, *down), "");
      }
      ++searches_;
      if (up) ++found_up_;
      if (down && *down < highest) ++found_down_in_tree_;
    }
    if (!check_first) {
      ASSERT_EQ(checked(tree_), "ok");
    }
    ASSERT_EQ(tree_.kinds(), kinds_);  // still keeping only what it was asked to keep
  }

 public:
  int searches_ = 0, found_up_ = 0, found_down_in_tree_ = 0;
  int v618_searches_ = 0, v618_retries_up_ = 0, v618_retries_down_ = 0, v618_wraps_ = 0;
  int v618_found_down_in_tree_ = 0, v618_differs_down_ = 0, v618_differs_up_ = 0;

 private:
  std::mt19937_64 rng_;
  VmaTree tree_;
  Ref ref_;
  Addr pages_;
  bool guard_heavy_;
  int compare_every_;
  int compares_ = 0;
  GapKinds kinds_;
  bool classic_;  // the classic searches run
  bool maple_;    // the v6.18 searches run
};

// 4 x 3,000 + 2 x 4,000 = 20,000 random operations, compared after every fifth.
TEST(VmaTreeRandom, DifferentialSmallGuard) {
  // A 16-page guard in a 32K-page space: VMAs often sit inside another's guard gap.
  for (std::uint64_t seed : {1u, 2u, 3u, 4u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Differential d(seed, 16 * P, 1 << 15);
    d.run(3000);
    if (HasFatalFailure()) return;
    // The searches must really have found places, in the tree and not only above it.
    EXPECT_GT(d.found_up_, d.searches_ / 4);
    EXPECT_GT(d.found_down_in_tree_, 0);
  }
}

// Long stretches of changes with no reader in between: the list of deferred gap updates fills
// up and is completed by the changes themselves.
TEST(VmaTreeRandom, DifferentialRareComparisons) {
  for (std::uint64_t seed : {5u, 6u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Differential d(seed, 16 * P, 1 << 15, /*guard_heavy=*/false, /*compare_every=*/61);
    d.run(6000);
    if (HasFatalFailure()) return;
  }
}

TEST(VmaTreeRandom, DifferentialKernelGuard) {
  // The kernel's default 256-page guard, in a 64K-page space.
  for (std::uint64_t seed : {11u, 12u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Differential d(seed, 256 * P, 1 << 16);
    d.run(4000);
    if (HasFatalFailure()) return;
    EXPECT_GT(d.found_down_in_tree_, 0);
  }
}

// Trees that keep one kind of maxima (as an Mm does): the searches of that kind stay exact,
// and check_augmentation() checks the maxima kept.
TEST(VmaTreeRandom, ClassicMaximaOnly) {
  for (std::uint64_t seed : {7u, 8u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Differential d(seed, 16 * P, 1 << 15, /*guard_heavy=*/false, /*compare_every=*/5,
                   GapKinds::classic);
    d.run(3000);
    if (HasFatalFailure()) return;
    EXPECT_GT(d.found_down_in_tree_, 0);
  }
}

TEST(VmaTreeRandom618, MapleMaximaOnly) {
  for (std::uint64_t seed : {27u, 28u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Differential d(seed, 16 * P, 1 << 15, /*guard_heavy=*/true, /*compare_every=*/5,
                   GapKinds::maple);
    d.run(3000);
    if (HasFatalFailure()) return;
    EXPECT_GT(d.v618_found_down_in_tree_, 0);
    EXPECT_GT(d.v618_retries_down_, 0);
  }
}

// v6.18 against the literal walk of Ref618, with VMAs pushed into guard gaps. Also checks
// that the interesting paths were really taken: growsdown retries both ways, answers that
// differ from v5.15, and (in a space starting near 0) the top-down window wrapping to
// [low, ULONG_MAX].
void run_v618(std::uint64_t seed, Addr guard, Addr pages, int steps, bool expect_wraps) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  Differential d(seed, guard, pages, /*guard_heavy=*/true);
  d.run(steps);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_GT(d.v618_retries_down_, d.v618_searches_ / 100);
  EXPECT_GT(d.v618_retries_up_, 0);
  EXPECT_GT(d.v618_found_down_in_tree_, d.v618_searches_ / 100);
  EXPECT_GT(d.v618_differs_down_, 0);
  EXPECT_GT(d.v618_differs_up_, 0);
  if (expect_wraps) {
    EXPECT_GT(d.v618_wraps_, 0);
  }
}

TEST(VmaTreeRandom618, GuardHeavySmallGuard) {
  for (std::uint64_t seed : {21u, 22u, 23u}) {
    run_v618(seed, 16 * P, 1 << 15, 3000, false);
    if (HasFatalFailure()) return;
  }
}

TEST(VmaTreeRandom618, GuardHeavyKernelGuard) {
  for (std::uint64_t seed : {31u, 32u}) {
    run_v618(seed, 256 * P, 1 << 16, 3000, false);
    if (HasFatalFailure()) return;
  }
}

TEST(VmaTreeRandom618, GuardHeavyNearZero) {
  // 1,024 pages with a 128-page guard: growsdown VMAs near 0 have vm_start_gap 0.
  for (std::uint64_t seed : {41u, 42u}) {
    run_v618(seed, 128 * P, 1 << 10, 2000, true);
    if (HasFatalFailure()) return;
  }
}

// A tree keeping one kind of maxima answers a search of the other kind as a tree keeping both
// does: the first such search recomputes the missing maxima, and the tree keeps both from then.
TEST(VmaTreeKinds, SearchOfTheOtherKindRecomputesItsMaxima) {
  for (GapKinds kept : {GapKinds::classic, GapKinds::maple}) {
    SCOPED_TRACE(kept == GapKinds::classic ? "classic kept" : "maple kept");
    std::mt19937_64 rng(kept == GapKinds::classic ? 91 : 92);
    auto pick = [&](Addr lo, Addr hi) { return std::uniform_int_distribution<Addr>(lo, hi)(rng); };
    VmaTree one(16 * P, kept);
    VmaTree both(16 * P);
    std::vector<std::pair<Vma*, Vma*>> handles;
    // 400 random changes on both trees alike: inserts in free space (some VM_GROWSDOWN, so that
    // the two kinds of maxima differ), erases, and shrinks.
    for (int step = 0; step < 400; ++step) {
      const Addr start = pick(1, 4000) * P;
      const Addr end = start + pick(1, 8) * P;
      if (handles.empty() || pick(0, 9) < 6) {
        if (both.find_vma_intersection(start, end)) continue;
        const VmFlags f = pick(0, 3) == 0 ? VM_READ | VM_WRITE | VM_GROWSDOWN : VM_READ;
        handles.push_back({one.insert(make(start, end, f)), both.insert(make(start, end, f))});
      } else {
        const std::size_t i = static_cast<std::size_t>(pick(0, handles.size() - 1));
        auto [a, b] = handles[i];
        if (pick(0, 1) && a->vm_end - a->vm_start > P) {
          one.adjust(a, a->vm_start + P, a->vm_end);
          both.adjust(b, b->vm_start + P, b->vm_end);
        } else {
          one.erase(a);
          both.erase(b);
          handles.erase(handles.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
    }
    ASSERT_EQ(checked(one), "ok");
    ASSERT_EQ(one.kinds(), kept);
    for (int q = 0; q < 200; ++q) {
      const GapRequest r{pick(1, 16) * P, pick(0, 2000) * P, pick(2000, 5000) * P,
                         pick(0, 1) ? Addr{0} : 4 * P - 1, 0, 0};
      if (kept == GapKinds::classic) {
        ASSERT_EQ(one.unmapped_area_topdown_v618(r), both.unmapped_area_topdown_v618(r));
        ASSERT_EQ(one.unmapped_area_v618(r), both.unmapped_area_v618(r));
      } else {
        ASSERT_EQ(one.unmapped_area_topdown(r), both.unmapped_area_topdown(r));
        ASSERT_EQ(one.unmapped_area(r), both.unmapped_area(r));
      }
    }
    EXPECT_EQ(one.kinds(), GapKinds::both);
    EXPECT_EQ(checked(one), "ok");
    for (const auto& [a, b] : handles) {
      ASSERT_EQ(one.subtree_gap(a), both.subtree_gap(b));
      ASSERT_EQ(one.subtree_raw_gap(a), both.subtree_raw_gap(b));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The links, the finger, the deferred gap updates and the node storage.

// vm_prev / vm_next, first and last, through inserts and erases at both ends and inside.
TEST(VmaTreeLinks, FollowAddressOrder) {
  VmaTree t;
  EXPECT_EQ(t.first(), nullptr);
  EXPECT_EQ(t.last(), nullptr);
  Vma* b = t.insert(make(0x3000, 0x4000));
  EXPECT_EQ(t.first(), b);
  EXPECT_EQ(t.last(), b);
  Vma* a = t.insert(make(0x1000, 0x2000));
  Vma* d = t.insert(make(0x7000, 0x8000));
  Vma* c = t.insert(make(0x5000, 0x6000));
  EXPECT_EQ(t.first(), a);
  EXPECT_EQ(t.last(), d);
  EXPECT_EQ(t.next(a), b);
  EXPECT_EQ(t.next(b), c);
  EXPECT_EQ(t.next(c), d);
  EXPECT_EQ(t.prev(d), c);
  EXPECT_EQ(t.prev(b), a);
  EXPECT_EQ(t.prev(a), nullptr);
  t.erase(c);
  EXPECT_EQ(t.next(b), d);
  EXPECT_EQ(t.prev(d), b);
  t.erase(a);
  EXPECT_EQ(t.first(), b);
  EXPECT_EQ(t.prev(b), nullptr);
  t.erase(d);
  EXPECT_EQ(t.last(), b);
  EXPECT_EQ(t.next(b), nullptr);
  EXPECT_EQ(t.highest_vm_end(), 0x4000u);
  EXPECT_EQ(checked(t), "ok");
}

// find_vma answers from the finger exactly what the descent from the root answers: for every
// VMA as the finger, at addresses inside, below, above and at the ends of it and its
// neighbours. The copy has no finger, so it always descends.
TEST(VmaTreeFinger, LookupsMatchTheDescent) {
  VmaTree t;
  for (Addr i = 1; i <= 40; ++i) t.insert(make(i * 4 * P, (i * 4 + 1 + i % 3) * P));
  const VmaTree plain(t);
  std::vector<Addr> probes = {0, P, ~Addr{0}};
  for (const Vma& v : plain)
    for (Addr a : {v.vm_start - P, v.vm_start - 1, v.vm_start, v.vm_start + 1, v.vm_end - 1,
                   v.vm_end, v.vm_end + 1})
      probes.push_back(a);
  for (const Vma& f : plain) {
    for (Addr a : probes) {
      ASSERT_NE(t.find_vma(f.vm_start), nullptr);  // moves the finger to f
      const Vma* want = plain.find_vma(a);
      const Vma* got = t.find_vma(a);
      ASSERT_EQ(got == nullptr, want == nullptr) << "finger " << f.vm_start << " a " << a;
      if (got) {
        ASSERT_EQ(got->vm_start, want->vm_start) << "finger " << f.vm_start << " a " << a;
      }
      Vma* prev = nullptr;
      t.find_vma(f.vm_start);
      EXPECT_EQ(t.find_vma_prev(a, &prev), got);
      EXPECT_EQ(prev, got ? t.prev(got) : t.last());
    }
  }
  EXPECT_EQ(checked(t), "ok");
}

// Inserts right next to the finger (as a split does after adjusting the VMA) and far from it
// keep every invariant.
TEST(VmaTreeFinger, InsertsNextToTheFinger) {
  VmaTree t;
  for (Addr i = 0; i < 200; ++i) t.insert(make(i * 8 * P, (i * 8 + 6) * P));
  for (Addr i = 0; i < 200; i += 3) {
    Vma* v = t.find_vma(i * 8 * P);
    ASSERT_NE(v, nullptr);
    // Lower part stays, upper part inserted after it (the finger is its predecessor).
    t.adjust(v, i * 8 * P, (i * 8 + 2) * P);
    Vma* upper = t.insert(make((i * 8 + 2) * P, (i * 8 + 6) * P));
    ASSERT_EQ(t.prev(upper), v);
    // Upper part stays, lower part inserted before it (the finger is its successor).
    t.adjust(upper, (i * 8 + 4) * P, (i * 8 + 6) * P);
    Vma* middle = t.insert(make((i * 8 + 2) * P, (i * 8 + 4) * P));
    ASSERT_EQ(t.next(middle), upper);
    ASSERT_EQ(t.prev(middle), v);
  }
  EXPECT_EQ(t.size(), 200u + 2 * 67u);
  EXPECT_EQ(checked(t), "ok");
}

// A gap that grows for one step and shrinks back (a split, a merge) leaves the maxima as they
// were; one that stays is found by the next search without any explicit update.
TEST(VmaTreeDeferred, TransientAndLastingGaps) {
  VmaTree t;
  for (Addr i = 0; i < 1000; ++i) t.insert(make(i * 4 * P, (i * 4 + 3) * P));  // 1-page holes
  Vma* root_like = t.find_vma(500 * 4 * P);
  const Addr before = t.subtree_gap(root_like);
  EXPECT_EQ(before, P);
  // Split of VMA 700 as the model does it: shrink, then insert the rest.
  Vma* v = t.find_vma(700 * 4 * P);
  t.adjust(v, 700 * 4 * P, (700 * 4 + 1) * P);
  t.insert(make((700 * 4 + 1) * P, (700 * 4 + 3) * P));
  EXPECT_EQ(t.subtree_gap(root_like), P);
  EXPECT_EQ(checked(t), "ok");
  // Now a lasting 5-page hole [1199, 1204) pages: the top-down searches must find it.
  t.erase(t.find_vma(300 * 4 * P));
  const auto a = t.unmapped_area_topdown({3 * P, 0, 4000 * P});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(*a, 1201 * P);
  const auto e = t.empty_area_rev(0, 4000 * P - 1, 4 * P);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->index, 1200 * P);
  EXPECT_EQ(e->last, 1204 * P - 1);
  EXPECT_EQ(checked(t), "ok");
}

// A copy completes the source's deferred updates; a move carries them along.
TEST(VmaTreeDeferred, CopyAndMoveWithPendingUpdates) {
  VmaTree t;
  for (Addr i = 0; i < 300; ++i) t.insert(make(i * 4 * P, (i * 4 + 3) * P));
  for (Addr i = 10; i < 300; i += 37) t.erase(t.find_vma(i * 4 * P));
  VmaTree copy(t);
  EXPECT_EQ(checked(copy), "ok");
  for (Addr i = 20; i < 300; i += 41) t.erase(t.find_vma(i * 4 * P));
  VmaTree moved(std::move(t));
  EXPECT_EQ(checked(moved), "ok");
  EXPECT_EQ(checked(t), "ok");  // moved-from: empty
  EXPECT_TRUE(t.empty());
}

// Leaves that come and go again and again at many places of a tree built in address order
// (the benchmark's pattern): the tree stays valid and shallow.
TEST(VmaTreeShape, RepeatedInsertEraseOfLeaves) {
  constexpr Addr n = 20000;
  VmaTree t;
  for (Addr i = 0; i < n; ++i) t.insert(make(i * 3 * P, (i * 3 + 2) * P));
  const int h0 = t.height();
  for (int round = 0; round < 20; ++round) {
    for (Addr i = round; i < n; i += 97) {
      Vma* x = t.insert(make((i * 3 + 2) * P, (i * 3 + 3) * P));
      if (i % 2) t.erase(x);
    }
    for (Addr i = round; i < n; i += 97) {
      if (i % 2 == 0) t.erase(t.find_vma((i * 3 + 2) * P));
    }
  }
  EXPECT_EQ(t.size(), n);
  EXPECT_EQ(checked(t), "ok");
  EXPECT_LE(t.height(), h0 + 2);
  EXPECT_LE(t.height(), 2 * std::log2(static_cast<double>(n)) + 1);
}

#if defined(__SANITIZE_ADDRESS__)
// The node storage poisons erased nodes in ASan builds: a Vma* used after its erase is caught.
TEST(VmaTreeNodesDeathTest, ErasedVmaIsPoisoned) {
  EXPECT_DEATH(
      {
        VmaTree t;
        t.insert(make(0x1000, 0x2000));
        Vma* v = t.insert(make(0x3000, 0x4000));
        t.erase(v);
        volatile Addr end = v->vm_end;
        (void)end;
      },
      "use-after-poison");
}
#endif

}  // namespace
}  // namespace mmspec
