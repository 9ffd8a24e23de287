// The descents of the gap searches over a gap-augmented binary search tree (DESIGN principle
// 4): which node's gap a search settles on. VmaTree runs them on its nodes with std::uint64_t
// values; proofs/ runs the very same templates on trees of fixed shape with z3::expr values.
//
// A walk is written once over three things:
//   V  the value type (value.hpp). Ops<V>::branch is where the walk decides: on std::uint64_t
//      it really branches, so a walk visits O(height) nodes; on z3::expr it builds both sides
//      and selects inside the formula.
//   T  the tree: T::Ref names a node (null() for an absent child), T::Result is what a walk
//      returns (none(), self(Ref), found(Result)). VmaTree: const Node* both. Proofs: an int
//      index and a bit-vector holding the 1-based in-order number (0 for none).
//   A  the atoms: the four tests a walk makes at a node n,
//        pruned(n)   the subtree's maximum is below the size sought: no answer below n
//        descend(n)  the subtree searched first (left for first_*, right for last_*) may hold it
//        big(n)      n's own gap is large enough
//        bound(n)    n's own gap lies on the right side of the limit
//      The four atom sets below are the model's tests on the node values; the proofs also run
//      the walks on atoms that are free boolean variables (proofs/proofs_search.cpp).
// Why a walk that visits O(height) nodes finds the right node is explained above the searches
// in vma_tree.cpp ("Gap search contract").
#pragma once

#include "mmspec/gap.hpp"
#include "mmspec/value.hpp"

// The lambdas of a walk are inlined into it, so that on std::uint64_t the descent into the
// last subtree is a tail call (a loop), as in a hand-written walk.
#define MMSPEC_WALK_INLINE __attribute__((always_inline))

namespace mmspec {

template <class V, class T, class A>
typename T::Result walk_first(const T& t, typename T::Ref n, const A& a);
template <class V, class T, class A>
typename T::Result walk_last(const T& t, typename T::Ref n, const A& a);

// walk_first below a node n that is present and not pruned.
template <class V, class T, class A>
typename T::Result walk_first_at(const T& t, typename T::Ref n, const A& a) {
  using O = Ops<V>;
  const typename T::Result l = O::branch(
      a.descend(n), [&]() MMSPEC_WALK_INLINE { return walk_first<V>(t, t.left(n), a); },
      [&]() MMSPEC_WALK_INLINE { return t.none(); });
  return O::branch(
      t.found(l), [&]() MMSPEC_WALK_INLINE { return l; },
      [&]() MMSPEC_WALK_INLINE {
        return O::branch(
            a.big(n) && a.bound(n), [&]() MMSPEC_WALK_INLINE { return t.self(n); },
            [&]() MMSPEC_WALK_INLINE { return walk_first<V>(t, t.right(n), a); });
      });
}

// mm/mmap.c unmapped_area (v5.15) and lib/maple_tree.c mas_empty_area (v6.18), the descent:
// the first node in address order (in-order) whose own gap is big enough and on the right
// side of the bound.
template <class V, class T, class A>
MMSPEC_WALK_INLINE inline typename T::Result walk_first(const T& t, typename T::Ref n,
                                                      const A& a) {
  if (t.null(n)) return t.none();
  return Ops<V>::branch(
      a.pruned(n), [&]() MMSPEC_WALK_INLINE { return t.none(); },
      [&]() MMSPEC_WALK_INLINE { return walk_first_at<V>(t, n, a); });
}

// walk_last below a node n that is present and not pruned.
template <class V, class T, class A>
typename T::Result walk_last_at(const T& t, typename T::Ref n, const A& a) {
  using O = Ops<V>;
  const typename T::Result r = O::branch(
      a.descend(n), [&]() MMSPEC_WALK_INLINE { return walk_last<V>(t, t.right(n), a); },
      [&]() MMSPEC_WALK_INLINE { return t.none(); });
  return O::branch(
      t.found(r), [&]() MMSPEC_WALK_INLINE { return r; },
      [&]() MMSPEC_WALK_INLINE {
        return O::branch(
            a.big(n) && a.bound(n), [&]() MMSPEC_WALK_INLINE { return t.self(n); },
            [&]() MMSPEC_WALK_INLINE { return walk_last<V>(t, t.left(n), a); });
      });
}

// mm/mmap.c unmapped_area_topdown (v5.15) and lib/maple_tree.c mas_empty_area_rev (v6.18), the
// descent: the last node in address order whose own gap is big enough and on the right side
// of the bound.
template <class V, class T, class A>
MMSPEC_WALK_INLINE inline typename T::Result walk_last(const T& t, typename T::Ref n,
                                                      const A& a) {
  if (t.null(n)) return t.none();
  return Ops<V>::branch(
      a.pruned(n), [&]() MMSPEC_WALK_INLINE { return t.none(); },
      [&]() MMSPEC_WALK_INLINE { return walk_last_at<V>(t, n, a); });
}

// The atom sets. N gives a node's values: subtree_gap, gap (gap_of), start_gap
// (vm_start_gap), gap_start (vm_end_gap of the VMA before), subtree_raw_gap, raw_gap,
// prev_end (vm_end of the VMA before), vm_start, vm_end.

// mm/mmap.c unmapped_area (v5.15): threshold = max(L, 1), lo = low_limit + L. A node qualifies
// if its gap holds threshold bytes and ends at or above lo; the left subtree can hold one only
// if n starts above lo.
template <class V, class N>
struct FirstFitAtoms {
  const N& nodes;
  V threshold, lo;
  using Ref = typename N::Ref;
  BoolOf<V> pruned(Ref n) const { return Ops<V>::ult(nodes.subtree_gap(n), threshold); }
  BoolOf<V> descend(Ref n) const { return Ops<V>::ult(lo, nodes.vm_start(n)); }
  BoolOf<V> big(Ref n) const { return Ops<V>::ule(threshold, nodes.gap(n)); }
  BoolOf<V> bound(Ref n) const { return Ops<V>::ule(lo, nodes.start_gap(n)); }
};

// mm/mmap.c unmapped_area_topdown (v5.15): threshold = max(L, 1), hi = high_limit - L. A node
// qualifies if its gap holds threshold bytes and starts at or below hi; the right subtree can
// hold one only if n ends at or below hi.
template <class V, class N>
struct LastFitAtoms {
  const N& nodes;
  V threshold, hi;
  using Ref = typename N::Ref;
  BoolOf<V> pruned(Ref n) const { return Ops<V>::ult(nodes.subtree_gap(n), threshold); }
  BoolOf<V> descend(Ref n) const { return Ops<V>::ule(nodes.vm_end(n), hi); }
  BoolOf<V> big(Ref n) const { return Ops<V>::ule(threshold, nodes.gap(n)); }
  BoolOf<V> bound(Ref n) const { return Ops<V>::ule(nodes.gap_start(n), hi); }
};

// lib/maple_tree.c mas_empty_area (v6.18): size values, lo = min + size - 1. A node qualifies
// if the empty range below it has size values and its last value (vm_start - 1) is >= lo.
template <class V, class N>
struct FirstRawFitAtoms {
  const N& nodes;
  V size, lo;
  using Ref = typename N::Ref;
  BoolOf<V> pruned(Ref n) const { return Ops<V>::ult(nodes.subtree_raw_gap(n), size); }
  BoolOf<V> descend(Ref n) const { return Ops<V>::ult(lo, nodes.vm_start(n)); }
  BoolOf<V> big(Ref n) const { return Ops<V>::ule(size, nodes.raw_gap(n)); }
  BoolOf<V> bound(Ref n) const { return Ops<V>::ult(lo, nodes.vm_start(n)); }
};

// lib/maple_tree.c mas_empty_area_rev (v6.18): size values, hi = max - (size - 1). A node
// qualifies if the empty range below it has size values and its first value (prev_end) is <=
// hi; the right subtree can hold one only if n ends at or below hi.
template <class V, class N>
struct LastRawFitAtoms {
  const N& nodes;
  V size, hi;
  using Ref = typename N::Ref;
  BoolOf<V> pruned(Ref n) const { return Ops<V>::ult(nodes.subtree_raw_gap(n), size); }
  BoolOf<V> descend(Ref n) const { return Ops<V>::ule(nodes.vm_end(n), hi); }
  BoolOf<V> big(Ref n) const { return Ops<V>::ule(size, nodes.raw_gap(n)); }
  BoolOf<V> bound(Ref n) const { return Ops<V>::ule(nodes.prev_end(n), hi); }
};

}  // namespace mmspec
