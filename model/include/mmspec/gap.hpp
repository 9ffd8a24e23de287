// Pure arithmetic of the classic gap search (DESIGN principle 4): the per-VMA gap, the
// subtree-gap augmentation, and the fit and placement rules of unmapped_area /
// unmapped_area_topdown. Written once over the value type V (value.hpp): the model runs them on
// std::uint64_t inside VmaTree, proofs/ runs the very same templates on z3::expr.
//
// Vocabulary (mm/mmap.c v5.15):
//   gap of a VMA v      [gap_start, gap_end) = [vm_end_gap(prev) or 0, vm_start_gap(v))
//   search length       L  = length + align_mask      (worst-case alignment slack)
//   search limits       hi = high_limit - L,  lo = low_limit + L
//   a gap fits          gap_start <= hi  &&  gap_end >= lo  &&  gap_end > gap_start
//                       &&  gap_end - gap_start >= L
// All arithmetic is modulo 2^64, as in the kernel; gap_request_ok() rules out the requests
// whose limits would wrap, and the fit tests are only meaningful for requests it accepts.
#pragma once

#include "mmspec/value.hpp"

namespace mmspec {

// mm/mmap.c vma_compute_gap (v5.15): the free space a VMA has below itself, 0 if its guard
// gap reaches into (or past) the previous VMA.
template <class V>
V vma_gap(V start_gap_of_vma, V end_gap_of_prev) {
  using O = Ops<V>;
  return O::ite(O::ult(end_gap_of_prev, start_gap_of_vma), start_gap_of_vma - end_gap_of_prev,
                O::lit(start_gap_of_vma, 0));
}

// mm/mmap.c vma_gap_callbacks / RB_DECLARE_CALLBACKS_MAX (v5.15): the augmented value of a
// node; an absent child contributes 0.
template <class V>
V subtree_gap(V own_gap, V left_subtree_gap, V right_subtree_gap) {
  using O = Ops<V>;
  return O::umax(own_gap, O::umax(left_subtree_gap, right_subtree_gap));
}

// mm/mmap.c unmapped_area (v5.15): search length, the request plus worst-case alignment slack.
template <class V>
V search_length(V length, V align_mask) {
  return length + align_mask;
}

// mm/mmap.c unmapped_area / unmapped_area_topdown (v5.15): the up-front checks; false is the
// kernel's immediate -ENOMEM (L overflows, high_limit < L, or low_limit > high_limit - L).
template <class V>
BoolOf<V> gap_request_ok(V length, V low_limit, V high_limit, V align_mask) {
  using O = Ops<V>;
  const V L = search_length(length, align_mask);
  return !O::ult(L, length) && O::ule(L, high_limit) && O::ule(low_limit, high_limit - L);
}

// mm/mmap.c unmapped_area / unmapped_area_topdown (v5.15): "check_current" on the gap that
// precedes a VMA. Precondition: gap_request_ok(length, low_limit, high_limit, align_mask).
template <class V>
BoolOf<V> gap_fits(V gap_start, V gap_end, V length, V low_limit, V high_limit, V align_mask) {
  using O = Ops<V>;
  const V L = search_length(length, align_mask);
  const V hi = high_limit - L;
  const V lo = low_limit + L;
  return O::ule(gap_start, hi) && O::ule(lo, gap_end) && O::ult(gap_start, gap_end) &&
         O::ule(L, gap_end - gap_start);
}

// mm/mmap.c unmapped_area / unmapped_area_topdown (v5.15): "check_highest", the unbounded gap
// [highest_vm_end, inf) above the last VMA. Precondition: gap_request_ok(...).
template <class V>
BoolOf<V> highest_gap_fits(V highest_vm_end, V length, V high_limit, V align_mask) {
  using O = Ops<V>;
  return O::ule(highest_vm_end, high_limit - search_length(length, align_mask));
}

// mm/mmap.c unmapped_area (v5.15): the address chosen in a fitting gap, bottom-up: the gap
// start clipped to low_limit, then rounded up to the next a with
// (a & align_mask) == (align_offset & align_mask).
template <class V>
V place_bottom_up(V gap_start, V low_limit, V align_mask, V align_offset) {
  using O = Ops<V>;
  const V a = O::umax(gap_start, low_limit);
  return a + ((align_offset - a) & align_mask);
}

// mm/mmap.c unmapped_area_topdown (v5.15): the address chosen in a fitting gap, top-down: the
// gap end clipped to high_limit, minus length, then rounded down to the alignment. For the
// highest gap the kernel passes gap_end = high_limit.
template <class V>
V place_top_down(V gap_end, V length, V high_limit, V align_mask, V align_offset) {
  using O = Ops<V>;
  const V a = O::umin(gap_end, high_limit) - length;
  return a - ((a - align_offset) & align_mask);
}

}  // namespace mmspec
