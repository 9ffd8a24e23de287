// VMA merging: the mergeability rules and the eight cases of the classic vma_merge.
//
//   new range (mmap, brk)                   existing range (mprotect)
//   PPPP RRRR NNNN  -> case 1 (P+R+N)       PPPPPP|NNNNNN  R = tail of P:  case 4
//   PPPP RRRR ....  -> case 2 (P+R)         PPPPPP|NNNNNN  R = head of N:  case 5
//   .... RRRR NNNN  -> case 3 (R+N)         PPPP|NNNN|XXXX R = all of N: P+N+X case 6,
//                                                            P+N case 7, N+X case 8
// linux-5.10 follows mm/mmap.c vma_merge/__vma_adjust (v5.15 read); linux-6.18 follows
// mm/vma.c vma_merge_new_range / vma_merge_existing_range, whose outcomes map onto the same
// eight cases (new ranges reach only 1-3). Profile differences are switches inside the
// mergeability predicate (anon_vma compatibility, close hooks, anon names) and in which VMA
// donates its anon_vma.
//
// The case decision and the pgoff arithmetic are templates over the value type (value.hpp) so
// that proofs/ can check them on Z3.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mmspec/mm.hpp"
#include "mmspec/value.hpp"

namespace mmspec {

// What is being merged: the range and the attributes the merged VMA would have.
struct MergeProposal {
  Addr start = 0, end = 0;
  PgOff pgoff = 0;
  VmFlags flags = 0;
  FileId file = 0;
  AnonVmaId anon_vma = 0;
  std::uint32_t anon_name = 0;
  const Vma* src = nullptr;  // 6.18 vmg->middle: the VMA being modified (null for a new range)
};

// Why a side refused to merge, in the order the kernel tests the conditions.
enum class MergeRefusal : std::uint8_t {
  none,
  special,          // VM_SPECIAL in the proposed flags
  no_neighbour,     // nothing on that side
  not_adjacent,     // a hole between the range and the neighbour
  flags,            // vm_flags differ (ignoring VM_SOFTDIRTY)
  file,             // different struct file
  close_hook,       // classic: the neighbour has vm_ops->close
  anon_name,        // 6.18: different anonymous VMA names
  anon_vma,         // anon_vma incompatible (profile rule)
  pgoff,            // vm_pgoff not continuous
  prev_next_anon,   // both sides mergeable but prev and next anon_vmas differ
  remove_close,     // 6.18: the merge would delete a VMA that has vm_ops->close
  range_inside,     // 6.18: the changed range touches neither end of its VMA
  not_at_start,     // 6.18: the range does not start where its VMA starts (no left merge)
  not_at_end,       // 6.18: the range does not end where its VMA ends (no right merge)
};

std::string_view merge_refusal_text(MergeRefusal r);

// The mergeability predicate of one side: `neighbour` before the range (is_next = false:
// can_vma_merge_after) or after it (is_next = true: can_vma_merge_before).
// mm/mmap.c is_mergeable_vma, is_mergeable_anon_vma, can_vma_merge_before/after (v5.15);
// mm/vma.c is_mergeable_vma, is_mergeable_anon_vma, can_vma_merge_before/after (v6.18).
MergeRefusal can_merge_side(const Mm& mm, const Vma& neighbour, const MergeProposal& p,
                            bool is_next);

// Case decision, classic vma_merge (mm/mmap.c, v5.15). Inputs:
//   left            prev is adjacent and mergeable after
//   right           the following VMA (next) is adjacent and mergeable before, and, if left,
//                   prev and next are anon-compatible with each other
//   area_covers     the range ends exactly where the VMA after prev ends (cases 6, 7, 8)
//   end_inside_area the range ends strictly inside the VMA after prev (case 5)
//   addr_inside_prev the range starts strictly inside prev (case 4)
// Returns 0 (no merge) or the case number 1..8.
template <class V>
V merge_case(BoolOf<V> left, BoolOf<V> right, BoolOf<V> area_covers, BoolOf<V> end_inside_area,
             BoolOf<V> addr_inside_prev, V like) {
  using O = Ops<V>;
  auto k = [&](std::uint64_t c) { return O::lit(like, c); };
  return O::ite(left && right, O::ite(area_covers, k(6), k(1)),
                O::ite(left, O::ite(area_covers, k(7), O::ite(end_inside_area, k(5), k(2))),
                       O::ite(right, O::ite(addr_inside_prev, k(4), O::ite(area_covers, k(8), k(3))),
                              k(0))));
}

// vm_pgoff of the page at `addr` in a VMA that starts at `start` with `pgoff`
// (__split_vma, case 5's adjust_next, copy_vma; mm/mmap.c v5.15, mm/vma.c v6.18).
template <class V>
V pgoff_at(V pgoff, V start, V addr) {
  return pgoff + Ops<V>::lshr(addr - start, PAGE_SHIFT);
}

// vm_pgoff of a VMA that starts at `new_start` below one that starts at `start` with `pgoff`
// (cases 3, 4, 8: next grows downwards; vma_merge next->vm_pgoff - pglen).
template <class V>
V pgoff_below(V pgoff, V start, V new_start) {
  return pgoff - Ops<V>::lshr(start - new_start, PAGE_SHIFT);
}

// pgoff continuity: a VMA [start, end) with `pgoff` is followed, page for page, by `next_pgoff`.
template <class V>
BoolOf<V> pgoff_continues(V pgoff, V start, V end, V next_pgoff) {
  return Ops<V>::eq(pgoff + Ops<V>::lshr(end - start, PAGE_SHIFT), next_pgoff);
}

// Merge a new range [p.start, p.end) that overlaps no VMA. `prev` is the VMA before it (or
// null), `next` the one after (or null). just_expand: brk's mode (6.18), left side only.
// Returns the VMA that now covers the range, or null if no merge happened.
// mm/mmap.c vma_merge (v5.15); mm/vma.c vma_merge_new_range (v6.18)
Vma* vma_merge_new(Mm& mm, Vma* prev, Vma* next, const MergeProposal& p,
                   bool just_expand = false);

// Merge after changing the attributes of [p.start, p.end), which lies inside `middle`; `prev`
// is the VMA before middle (or null). On success the returned VMA covers the range and the
// caller sets its final flags. mm/mmap.c vma_merge (v5.15); mm/vma.c vma_merge_existing_range
// (v6.18).
Vma* vma_merge_existing(Mm& mm, Vma* prev, Vma* middle, const MergeProposal& p);

}  // namespace mmspec
