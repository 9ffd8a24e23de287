// Pure arithmetic of the gap searches (DESIGN principle 4): the per-VMA gap, the subtree-gap
// augmentation, and the fit and placement rules of unmapped_area / unmapped_area_topdown, in
// their classic (mm/mmap.c v5.15) and maple-tree (mm/vma.c + lib/maple_tree.c v6.18) forms.
// Written once over the value type V (value.hpp): the model runs them on std::uint64_t inside
// VmaTree, proofs/ runs the very same templates on z3::expr.
//
// Vocabulary (mm/mmap.c v5.15):
//   gap of a VMA v      [gap_start, gap_end) = [vm_end_gap(prev) or 0, vm_start_gap(v))
//   search length       L  = length + align_mask      (worst-case alignment slack)
//   search limits       hi = high_limit - L,  lo = low_limit + L
//   a gap fits          gap_start <= hi  &&  gap_end >= lo  &&  gap_end > gap_start
//                       &&  gap_end - gap_start >= L
// Vocabulary (mm/vma.c, lib/maple_tree.c v6.18; see the section at the end):
//   empty range         a maximal run of addresses no VMA covers, guard gaps ignored, written
//                       inclusively [first, last]: [0, first.vm_start - 1], [prev.vm_end,
//                       v.vm_start - 1], [last.vm_end, ULONG_MAX]
//   raw gap of a VMA v  v.vm_start - (prev.vm_end or 0): the size of the empty range below v
//   search length       L  = length + align_mask + start_gap
//   window              [min, max] = [low_limit, high_limit - 1] (inclusive, as the maple tree)
// All arithmetic is modulo 2^64, as in the kernel; gap_request_ok() / empty_area_request_ok()
// rule out the requests whose limits would wrap, and the fit tests are only meaningful for
// requests they accept.
#pragma once

#include "mmspec/value.hpp"

namespace mmspec {

// mm/mmap.c vm_start_gap (v5.15), include/linux/mm.h (v6.18): where the guard zone of a
// VM_GROWSDOWN VMA begins (stack_guard_gap below vm_start, clamped at 0); vm_start otherwise.
template <class V>
constexpr V start_gap(V vm_start, BoolOf<V> growsdown, V stack_guard_gap) {
  using O = Ops<V>;
  return O::branch(
      growsdown,
      [&] {
        return O::ite(O::ult(stack_guard_gap, vm_start), vm_start - stack_guard_gap,
                      O::lit(vm_start, 0));
      },
      [&] { return vm_start; });
}

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

// ---- v6.18: empty ranges on the maple tree, guard gaps applied by retrying ----

// The size of the empty range below a VMA (guard gaps ignored): vm_start - prev.vm_end, with
// prev_vm_end = 0 for the lowest VMA. 0 when the VMAs touch. The maple tree keeps this as the
// size of the NULL slot before the VMA's slot (lib/maple_tree.c v6.18, ma_gaps / mas_update_gap
// keep its maximum per subtree, which subtree_gap() above computes just as well).
template <class V>
V raw_gap(V vm_start, V prev_vm_end) {
  return vm_start - prev_vm_end;
}

// mm/vma.c unmapped_area / unmapped_area_topdown (v6.18): "length = info->length +
// info->align_mask + info->start_gap".
template <class V>
V search_length_v618(V length, V align_mask, V start_gap) {
  return length + align_mask + start_gap;
}

// mm/vma.c unmapped_area / unmapped_area_topdown (v6.18): the only up-front -ENOMEM, "length <
// info->length" (the sum wrapped). Unlike v5.15 the limits are not checked here: a window
// that cannot hold L is refused by empty_area_request_ok().
template <class V>
BoolOf<V> search_length_ok_v618(V length, V align_mask, V start_gap) {
  using O = Ops<V>;
  return !O::ult(search_length_v618(length, align_mask, start_gap), length);
}

// lib/maple_tree.c mas_empty_area / mas_empty_area_rev (v6.18): the argument checks; false is
// their -EINVAL, which unmapped_area(_topdown) turns into -ENOMEM: size == 0, min > max, or
// the window [min, max] holds fewer than size values. mm/vma.h vma_iter_area_lowest /
// vma_iter_area_highest pass max = high_limit - 1 (wrapping to ULONG_MAX for high_limit 0).
template <class V>
BoolOf<V> empty_area_request_ok(V min, V max, V size) {
  using O = Ops<V>;
  const V zero = O::lit(size, 0);
  const V one = O::lit(size, 1);
  return !O::eq(size, zero) && O::ule(min, max) && O::ule(size - one, max - min);
}

// lib/maple_tree.c mas_empty_area / mas_empty_area_rev (v6.18): whether the empty range
// [first, last] can hold size values inside the window [min, max], i.e. its intersection
// with the window has at least size values. mas_anode_descend tests that on the clipped range
// ("min(pivot, mas->last) - max(mas->index, min) + 1 >= size"); mas_rev_awalk tests the slot
// size and "size <= mas->last - min + 1", then refuses "size - 1 > max - mas->index": the
// same three conditions as here. first > last (touching VMAs) never fits.
// Precondition: empty_area_request_ok(min, max, size).
// Both conditions on the ends are monotone in address order, which is what lets VmaTree find
// the lowest / highest fitting range in O(log n).
template <class V>
BoolOf<V> empty_range_fits(V first, V last, V min, V max, V size) {
  using O = Ops<V>;
  const V s1 = size - O::lit(size, 1);
  return O::ule(first, last) && O::ule(s1, last - first) && O::ule(first, max - s1) &&
         O::ule(min + s1, last);
}

// lib/maple_tree.c mas_empty_area (v6.18): the area returned in the lowest fitting range,
// [index, index + size - 1] with index = max(first, min) ("if (mas->index < min) mas->index
// = min" with the roles of the names as there).
template <class V>
V empty_area_lowest_index(V first, V min) {
  using O = Ops<V>;
  return O::umax(first, min);
}

// lib/maple_tree.c mas_empty_area_rev (v6.18): the area returned in the highest fitting range,
// [last - size + 1, last] with last = min(range last, max) ("Trim the upper limit to the
// max"). mm/vma.h vma_iter_end is that last + 1 (0 when last is ULONG_MAX).
template <class V>
V empty_area_highest_last(V range_last, V max) {
  using O = Ops<V>;
  return O::umin(range_last, max);
}

// mm/vma.c unmapped_area (v6.18): the candidate in the area found bottom-up: its start plus
// start_gap, then rounded up to the next a with (a & align_mask) == (align_offset & align_mask).
template <class V>
V place_bottom_up_v618(V area_index, V start_gap, V align_mask, V align_offset) {
  const V a = area_index + start_gap;
  return a + ((align_offset - a) & align_mask);
}

// mm/vma.c unmapped_area_topdown (v6.18): the candidate in the area found top-down: its end
// (vma_iter_end) minus length, rounded down to the alignment.
template <class V>
V place_top_down_v618(V area_end, V length, V align_mask, V align_offset) {
  const V a = area_end - length;
  return a - ((a - align_offset) & align_mask);
}

// mm/vma.c unmapped_area (v6.18): the VMA after the area has VM_STARTGAP_FLAGS and its guard
// gap reaches below the worst-case end of the request: "vm_start_gap(tmp) < gap + length - 1"
// with length = L. The retry raises low_limit to that VMA's vm_end.
template <class V>
BoolOf<V> bottom_up_next_blocks_v618(V next_start_gap, V candidate, V L) {
  using O = Ops<V>;
  return O::ult(next_start_gap, candidate + L - O::lit(L, 1));
}

// mm/vma.c unmapped_area_topdown (v6.18): the VMA after the area has VM_STARTGAP_FLAGS and its
// guard gap reaches below the area's end: "vm_start_gap(tmp) < gap_end". The retry lowers
// high_limit to vm_start_gap(tmp).
template <class V>
BoolOf<V> top_down_next_blocks_v618(V next_start_gap, V area_end) {
  using O = Ops<V>;
  return O::ult(next_start_gap, area_end);
}

// mm/vma.c unmapped_area / unmapped_area_topdown (v6.18), checked only when the next VMA has
// no VM_STARTGAP_FLAGS: the VMA before the area has an end gap above the candidate,
// "vm_end_gap(tmp) > gap". The retry raises low_limit to vm_end_gap(tmp) (bottom-up) or lowers
// high_limit to tmp->vm_start (top-down). Never true while vm_end_gap is vm_end (x86: no
// VM_GROWSUP), since the candidate lies inside the empty range above tmp.
template <class V>
BoolOf<V> prev_blocks_v618(V prev_end_gap, V candidate) {
  using O = Ops<V>;
  return O::ult(candidate, prev_end_gap);
}

}  // namespace mmspec
