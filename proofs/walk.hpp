// The gap searches of VmaTree on trees of fixed shape, for the search proofs (1c).
//
// The node-local arithmetic (vma_gap, subtree_gap, raw_gap, start_gap, gap_fits, place_*,
// empty_range_fits, ...) is the model's own, from gap.hpp, and so are the descents and the
// tests they make at a node: walk_first / walk_last and the four atom sets of gap_walk.hpp,
// which VmaTree::first_fit, last_fit, first_raw_fit and last_raw_fit run on its nodes. Here
// they run on a Shape (ShapeTree: node i is the i-th VMA in address order, the result is the
// 1-based number of the node found, 0 for none) with the node values as VmaTree computes them
// (NodeValues over build_nodes). The proofs also run the same walks on boolean variables
// standing for the atoms (see proofs_search.cpp).
//
// What is still transcribed here: the code of VmaTree::unmapped_area(_topdown) and
// empty_area(_rev) around the walks (pick_lowest / pick_highest and the model_* functions:
// which gap is checked after the walk, and the address computed from it). The cross-checks in
// cross_check.cpp run them on std::uint64_t against VmaTree itself on random VMA sets.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "mmspec/gap.hpp"
#include "mmspec/gap_walk.hpp"
#include "mmspec/value.hpp"

namespace mmspec::proofs {

// A binary-search-tree shape over in-order positions 0..n-1 (-1: no child).
struct Shape {
  int root = -1;
  std::vector<int> left, right;
};

// Every BST shape with n nodes (Catalan(n) of them).
std::vector<Shape> all_shapes(int n);

// The values VmaTree keeps or derives per node, in address order (vma_tree.cpp struct Node
// stores raw_gap and the two maxima; prev_end_of(n) = vm_start - raw_gap, which is prev's
// vm_end for every 64-bit value, and gap_of(n) are derived from it).
template <class V>
struct Node {
  V start, end, sg;           // vm_start, vm_end, vm_start_gap
  V gap_start, gap, sub_gap;  // classic: vm_end_gap(prev) (= prev_end), gap_of, subtree_gap
  V prev_end, raw, sub_raw;   // v6.18: prev_end_of, raw_gap, subtree_raw_gap
};

template <class V>
using Augment = std::function<V(const V&, const V&, const V&)>;

// The nodes VmaTree keeps for the VMAs [start[i], end[i]) (sorted) with vm_start_gap sg[i],
// arranged as `shape`: every value as VmaTree computes it (raw_gap, gap_of, and the maxima as
// update() computes them once every deferred update is flushed), with `aug` as the
// augmentation (the model's subtree_gap, or a broken one for a negative control).
template <class V>
std::vector<Node<V>> build_nodes(const std::vector<V>& start, const std::vector<V>& end,
                                 const std::vector<V>& sg, const Shape& shape, const V& zero,
                                 const Augment<V>& aug) {
  std::vector<Node<V>> t;
  for (std::size_t i = 0; i < start.size(); ++i) {
    const V pe = i ? end[i - 1] : zero;  // vm_end_gap(prev) = vm_end on x86
    t.push_back(Node<V>{start[i], end[i], sg[i], pe, vma_gap<V>(sg[i], pe), zero, pe,
                        raw_gap<V>(start[i], pe), zero});
  }
  std::function<void(int)> fill = [&](int i) {
    if (i < 0) return;
    const int l = shape.left[i], r = shape.right[i];
    fill(l);
    fill(r);
    t[i].sub_gap = aug(t[i].gap, l >= 0 ? t[l].sub_gap : zero, r >= 0 ? t[r].sub_gap : zero);
    t[i].sub_raw = aug(t[i].raw, l >= 0 ? t[l].sub_raw : zero, r >= 0 ? t[r].sub_raw : zero);
  };
  fill(shape.root);
  return t;
}

// What a walk tests at node i.
//   pruned(i)   the subtree's summary is below the size sought: nothing to find below i
//   descend(i)  the subtree searched first (left for first_*, right for last_*) may hold it
//   big(i)      the node's own gap is large enough
//   bound(i)    the node's own gap lies on the right side of the limit
template <class V>
struct Atoms {
  std::function<BoolOf<V>(int)> pruned, descend, big, bound;
};

// gap_walk.hpp's tree (T) on a Shape: node i is the i-th VMA; a result is the 1-based
// number of the node found, 0 for none.
template <class V>
struct ShapeTree {
  using Ref = int;
  using Result = V;
  const Shape& shape;
  V zero;
  static bool null(int i) { return i < 0; }
  int left(int i) const { return shape.left[i]; }
  int right(int i) const { return shape.right[i]; }
  V none() const { return zero; }
  V self(int i) const { return Ops<V>::lit(zero, static_cast<std::uint64_t>(i) + 1); }
  BoolOf<V> found(const V& r) const { return !Ops<V>::eq(r, zero); }
};

// The model's descents (gap_walk.hpp) on a shape, from its root.
template <class V>
V walk_first(const Shape& sh, const Atoms<V>& a, const V& zero) {
  return mmspec::walk_first<V>(ShapeTree<V>{sh, zero}, sh.root, a);
}
template <class V>
V walk_last(const Shape& sh, const Atoms<V>& a, const V& zero) {
  return mmspec::walk_last<V>(ShapeTree<V>{sh, zero}, sh.root, a);
}

// gap_walk.hpp's node values (N) on the nodes of build_nodes.
template <class V>
struct NodeValues {
  using Ref = int;
  const std::vector<Node<V>>* t;
  V vm_start(int i) const { return (*t)[i].start; }
  V vm_end(int i) const { return (*t)[i].end; }
  V subtree_gap(int i) const { return (*t)[i].sub_gap; }
  V gap(int i) const { return (*t)[i].gap; }
  V start_gap(int i) const { return (*t)[i].sg; }
  V gap_start(int i) const { return (*t)[i].gap_start; }
  V subtree_raw_gap(int i) const { return (*t)[i].sub_raw; }
  V raw_gap(int i) const { return (*t)[i].raw; }
  V prev_end(int i) const { return (*t)[i].prev_end; }
};

// One of gap_walk.hpp's atom sets M (FirstFitAtoms, ...) as an Atoms, on the nodes t.
template <class V, template <class, class> class M>
Atoms<V> model_atoms(const std::vector<Node<V>>& t, const V& x, const V& y) {
  auto nv = std::make_shared<const NodeValues<V>>(NodeValues<V>{&t});
  const M<V, NodeValues<V>> m{*nv, x, y};
  return {[nv, m](int i) { return m.pruned(i); }, [nv, m](int i) { return m.descend(i); },
          [nv, m](int i) { return m.big(i); }, [nv, m](int i) { return m.bound(i); }};
}

// The comparisons VmaTree makes, on the values of the nodes: gap_walk.hpp's atom sets.
template <class V>
Atoms<V> first_fit_atoms(const std::vector<Node<V>>& t, const V& thr, const V& lo) {
  return model_atoms<V, FirstFitAtoms>(t, thr, lo);
}
template <class V>
Atoms<V> last_fit_atoms(const std::vector<Node<V>>& t, const V& thr, const V& hi) {
  return model_atoms<V, LastFitAtoms>(t, thr, hi);
}
template <class V>
Atoms<V> first_raw_fit_atoms(const std::vector<Node<V>>& t, const V& size, const V& lo) {
  return model_atoms<V, FirstRawFitAtoms>(t, size, lo);
}
template <class V>
Atoms<V> last_raw_fit_atoms(const std::vector<Node<V>>& t, const V& size, const V& hi) {
  return model_atoms<V, LastRawFitAtoms>(t, size, hi);
}

// The value f(i) of the node numbered idx (1-based). Selecting the node first and applying a
// function to its fields, as VmaTree does, is the same function as applying it to every node
// and selecting the result.
template <class V, class R, class F>
R select_each(std::size_t n, const V& idx, F f, const R& none) {
  using O = Ops<V>;
  R r = none;
  for (std::size_t i = n; i-- > 0;) {
    const BoolOf<V> here = O::eq(idx, O::lit(idx, i + 1));
    if constexpr (std::is_same_v<R, V>)
      r = O::ite(here, f(i), r);
    else
      r = (here && f(i)) || (!here && r);
  }
  return r;
}

// Which gap a search picks: ok, and then gap number pick (1..n: the gap below VMA pick - 1,
// i.e. the gap / empty range that ends at that VMA; n + 1: the gap above the last VMA).
template <class V>
struct Pick {
  BoolOf<V> ok;
  V pick;
};

// The per-gap facts the searches and scans decide on (functions of the node number).
template <class V>
struct GapFacts {
  std::size_t n;
  std::function<BoolOf<V>(int)> fits;  // the gap below node i fits (gap_fits / empty_range_fits)
  std::function<BoolOf<V>(int)> nonempty;  // v6.18 scans: the empty range below i exists
  BoolOf<V> top_fits;                  // the gap above the last VMA fits
  BoolOf<V> req;                       // the request is accepted
};

// vma_tree.cpp VmaTree::unmapped_area / empty_area (bottom-up / lowest): walk, then check the
// node found, else the gap above the last VMA.
template <class V>
Pick<V> pick_lowest(const V& idx, const GapFacts<V>& f, const V& zero) {
  using O = Ops<V>;
  const BoolOf<V> has = !O::eq(idx, zero);
  const BoolOf<V> node_fits = select_each<V, BoolOf<V>>(f.n, idx, f.fits, f.req && !f.req);
  return {f.req && ((has && node_fits) || (!has && f.top_fits)),
          O::ite(has, idx, O::lit(zero, f.n + 1))};
}

// vma_tree.cpp VmaTree::unmapped_area_topdown / empty_area_rev (top-down / highest): the gap
// above the last VMA first, then walk and check the node found.
template <class V>
Pick<V> pick_highest(const V& idx, const GapFacts<V>& f, const V& zero) {
  using O = Ops<V>;
  const BoolOf<V> has = !O::eq(idx, zero);
  const BoolOf<V> node_fits = select_each<V, BoolOf<V>>(f.n, idx, f.fits, f.req && !f.req);
  return {f.req && (f.top_fits || (has && node_fits)),
          O::ite(f.top_fits, O::lit(zero, f.n + 1), idx)};
}

// The contracts (vma_tree.hpp "Gap search contract") as linear scans: the lowest gap that
// fits, else the one above the last VMA ...
template <class V>
Pick<V> scan_lowest(const GapFacts<V>& f, const V& zero) {
  using O = Ops<V>;
  BoolOf<V> ok = f.top_fits;
  V pick = O::lit(zero, f.n + 1);
  for (std::size_t i = f.n; i-- > 0;) {
    const BoolOf<V> g = f.nonempty(static_cast<int>(i)) && f.fits(static_cast<int>(i));
    pick = O::ite(g, O::lit(zero, i + 1), pick);
    ok = g || ok;
  }
  return {f.req && ok, pick};
}

// ... and the gap above the last VMA first, else the highest gap that fits.
template <class V>
Pick<V> scan_highest(const GapFacts<V>& f, const V& zero) {
  using O = Ops<V>;
  BoolOf<V> ok = f.top_fits;
  V pick = zero;
  for (std::size_t i = 0; i < f.n; ++i) {
    const BoolOf<V> g = f.nonempty(static_cast<int>(i)) && f.fits(static_cast<int>(i));
    pick = O::ite(g, O::lit(zero, i + 1), pick);
    ok = g || ok;
  }
  return {f.req && ok, O::ite(f.top_fits, O::lit(zero, f.n + 1), pick)};
}

// ---- the concrete searches (the model's arithmetic on the nodes' values) ----

template <class V>
struct ClassicRequest {
  V len, low, high, mask, off;
};

template <class V>
GapFacts<V> classic_facts(const std::vector<Node<V>>& t, const ClassicRequest<V>& r,
                          const V& zero) {
  using O = Ops<V>;
  const V highest = t.empty() ? zero : t.back().end;
  return {t.size(),
          [&t, r](int i) {
            return gap_fits<V>(t[i].gap_start, t[i].sg, r.len, r.low, r.high, r.mask);
          },
          [zero](int) { return O::tt(zero); },
          highest_gap_fits<V>(highest, r.len, r.high, r.mask),
          gap_request_ok<V>(r.len, r.low, r.high, r.mask)};
}

template <class V>
GapFacts<V> v618_facts(const std::vector<Node<V>>& t, const V& min, const V& max, const V& size,
                       const V& zero) {
  using O = Ops<V>;
  const V one = O::lit(zero, 1);
  const V top_first = t.empty() ? zero : t.back().end;
  return {t.size(),
          [&t, min, max, size, one](int i) {
            return empty_range_fits<V>(t[i].prev_end, t[i].start - one, min, max, size);
          },
          [&t](int i) { return O::ult(t[i].prev_end, t[i].start); },
          empty_range_fits<V>(top_first, ~zero, min, max, size),
          empty_area_request_ok<V>(min, max, size)};
}

// VmaTree::unmapped_area (v5.15 mm/mmap.c unmapped_area): gap and address.
template <class V>
std::pair<Pick<V>, V> model_bottom_up(const std::vector<Node<V>>& t, const Shape& sh,
                                      const ClassicRequest<V>& r, const V& zero) {
  using O = Ops<V>;
  const V L = search_length<V>(r.len, r.mask);
  const V idx = walk_first<V>(sh, first_fit_atoms<V>(t, O::umax(L, O::lit(zero, 1)), r.low + L), zero);
  const Pick<V> p = pick_lowest<V>(idx, classic_facts<V>(t, r, zero), zero);
  const V highest = t.empty() ? zero : t.back().end;
  const V addr = select_each<V, V>(
      t.size(), p.pick,
      [&](std::size_t i) { return place_bottom_up<V>(t[i].gap_start, r.low, r.mask, r.off); },
      place_bottom_up<V>(highest, r.low, r.mask, r.off));
  return {p, addr};
}

// VmaTree::unmapped_area_topdown (v5.15 mm/mmap.c unmapped_area_topdown): gap and address.
template <class V>
std::pair<Pick<V>, V> model_top_down(const std::vector<Node<V>>& t, const Shape& sh,
                                     const ClassicRequest<V>& r, const V& zero) {
  using O = Ops<V>;
  const V L = search_length<V>(r.len, r.mask);
  const V idx = walk_last<V>(sh, last_fit_atoms<V>(t, O::umax(L, O::lit(zero, 1)), r.high - L), zero);
  const Pick<V> p = pick_highest<V>(idx, classic_facts<V>(t, r, zero), zero);
  const V addr = select_each<V, V>(
      t.size(), p.pick,
      [&](std::size_t i) { return place_top_down<V>(t[i].sg, r.len, r.high, r.mask, r.off); },
      place_top_down<V>(r.high, r.len, r.high, r.mask, r.off));
  return {p, addr};
}

// VmaTree::empty_area (v6.18 lib/maple_tree.c mas_empty_area): range and the area's index.
template <class V>
std::pair<Pick<V>, V> model_empty_area(const std::vector<Node<V>>& t, const Shape& sh,
                                       const V& min, const V& max, const V& size, const V& zero) {
  using O = Ops<V>;
  const GapFacts<V> f = v618_facts<V>(t, min, max, size, zero);
  if (t.empty()) return {Pick<V>{f.req, O::lit(zero, 1)}, min};  // mas_sparse_area
  const V one = O::lit(zero, 1);
  const V idx = walk_first<V>(sh, first_raw_fit_atoms<V>(t, size, min + (size - one)), zero);
  const Pick<V> p = pick_lowest<V>(idx, f, zero);
  const V index = select_each<V, V>(
      t.size(), p.pick, [&](std::size_t i) { return empty_area_lowest_index<V>(t[i].prev_end, min); },
      empty_area_lowest_index<V>(t.back().end, min));
  return {p, index};
}

// VmaTree::empty_area_rev (v6.18 lib/maple_tree.c mas_empty_area_rev): range and area's last.
template <class V>
std::pair<Pick<V>, V> model_empty_area_rev(const std::vector<Node<V>>& t, const Shape& sh,
                                           const V& min, const V& max, const V& size,
                                           const V& zero) {
  using O = Ops<V>;
  const GapFacts<V> f = v618_facts<V>(t, min, max, size, zero);
  if (t.empty()) return {Pick<V>{f.req, O::lit(zero, 1)}, max};  // mas_sparse_area
  const V one = O::lit(zero, 1);
  const V idx = walk_last<V>(sh, last_raw_fit_atoms<V>(t, size, max - (size - one)), zero);
  const Pick<V> p = pick_highest<V>(idx, f, zero);
  const V last = select_each<V, V>(
      t.size(), p.pick, [&](std::size_t i) { return empty_area_highest_last<V>(t[i].start - one, max); },
      empty_area_highest_last<V>(~zero, max));
  return {p, last};
}

}  // namespace mmspec::proofs
