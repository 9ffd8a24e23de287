// The gap searches of VmaTree on trees of fixed shape, for the search proofs (1c).
//
// The node-local arithmetic (vma_gap, subtree_gap, raw_gap, gap_fits, place_*, empty_range_fits,
// ...) is the model's own, from gap.hpp. The descent that VmaTree runs over its nodes
// (model/src/vma_tree.cpp first_fit, last_fit, first_raw_fit, last_raw_fit, and the code of
// unmapped_area(_topdown), empty_area(_rev) around them) works on VmaTree's private uint64_t
// nodes and is not a template, so it is transcribed here, line for line, as a template. The
// transcription takes the comparisons it makes at a node as "atoms" (functions of the node
// number): on concrete values they are the model's comparisons; the proofs also run it on
// boolean variables standing for them (see proofs_search.cpp). The cross-checks in
// cross_check.cpp run the concrete form on std::uint64_t against VmaTree itself on random VMA
// sets, which ties the transcription to the model's code. vm_start_gap (vma.hpp) is transcribed
// for the same reason and cross-checked the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

#include "mmspec/gap.hpp"
#include "mmspec/value.hpp"

namespace mmspec::proofs {

// vma.hpp vm_start_gap on (vm_start, VM_GROWSDOWN, stack_guard_gap).
template <class V>
V start_gap_of(const V& start, const BoolOf<V>& growsdown, const V& guard) {
  using O = Ops<V>;
  return O::ite(growsdown, O::ite(O::ult(guard, start), start - guard, O::lit(start, 0)), start);
}

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

// vma_tree.cpp first_fit / first_raw_fit: the first node in address order with big && bound.
// Returns its 1-based in-order number, 0 for nullptr. Both subtrees' answers are built once and
// selected, which is the same function as the model's lazy walk.
template <class V>
V walk_first(const Shape& sh, int i, const Atoms<V>& a, const V& zero) {
  using O = Ops<V>;
  if (i < 0) return zero;
  const V l = walk_first(sh, sh.left[i], a, zero);
  const V r = walk_first(sh, sh.right[i], a, zero);
  const V rest = O::ite(a.big(i) && a.bound(i), O::lit(zero, i + 1), r);
  const V body = O::ite(a.descend(i) && !O::eq(l, zero), l, rest);
  return O::ite(a.pruned(i), zero, body);
}

// vma_tree.cpp last_fit / last_raw_fit: the last node in address order with big && bound.
template <class V>
V walk_last(const Shape& sh, int i, const Atoms<V>& a, const V& zero) {
  using O = Ops<V>;
  if (i < 0) return zero;
  const V l = walk_last(sh, sh.left[i], a, zero);
  const V r = walk_last(sh, sh.right[i], a, zero);
  const V rest = O::ite(a.big(i) && a.bound(i), O::lit(zero, i + 1), l);
  const V body = O::ite(a.descend(i) && !O::eq(r, zero), r, rest);
  return O::ite(a.pruned(i), zero, body);
}

// The comparisons VmaTree makes, on the values of the nodes.
template <class V>
Atoms<V> first_fit_atoms(const std::vector<Node<V>>& t, const V& thr, const V& lo) {
  using O = Ops<V>;
  return {[&t, thr](int i) { return O::ult(t[i].sub_gap, thr); },
          [&t, lo](int i) { return O::ult(lo, t[i].start); },
          [&t, thr](int i) { return O::ule(thr, t[i].gap); },
          [&t, lo](int i) { return O::ule(lo, t[i].sg); }};
}
template <class V>
Atoms<V> last_fit_atoms(const std::vector<Node<V>>& t, const V& thr, const V& hi) {
  using O = Ops<V>;
  return {[&t, thr](int i) { return O::ult(t[i].sub_gap, thr); },
          [&t, hi](int i) { return O::ule(t[i].end, hi); },
          [&t, thr](int i) { return O::ule(thr, t[i].gap); },
          [&t, hi](int i) { return O::ule(t[i].gap_start, hi); }};
}
template <class V>
Atoms<V> first_raw_fit_atoms(const std::vector<Node<V>>& t, const V& size, const V& lo) {
  using O = Ops<V>;
  return {[&t, size](int i) { return O::ult(t[i].sub_raw, size); },
          [&t, lo](int i) { return O::ult(lo, t[i].start); },
          [&t, size](int i) { return O::ule(size, t[i].raw); },
          [&t, lo](int i) { return O::ult(lo, t[i].start); }};
}
template <class V>
Atoms<V> last_raw_fit_atoms(const std::vector<Node<V>>& t, const V& size, const V& hi) {
  using O = Ops<V>;
  return {[&t, size](int i) { return O::ult(t[i].sub_raw, size); },
          [&t, hi](int i) { return O::ule(t[i].end, hi); },
          [&t, size](int i) { return O::ule(size, t[i].raw); },
          [&t, hi](int i) { return O::ule(t[i].prev_end, hi); }};
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
  const V idx = walk_first<V>(sh, sh.root, first_fit_atoms<V>(t, O::umax(L, O::lit(zero, 1)), r.low + L), zero);
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
  const V idx = walk_last<V>(sh, sh.root, last_fit_atoms<V>(t, O::umax(L, O::lit(zero, 1)), r.high - L), zero);
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
  const V idx = walk_first<V>(sh, sh.root, first_raw_fit_atoms<V>(t, size, min + (size - one)), zero);
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
  const V idx = walk_last<V>(sh, sh.root, last_raw_fit_atoms<V>(t, size, max - (size - one)), zero);
  const Pick<V> p = pick_highest<V>(idx, f, zero);
  const V last = select_each<V, V>(
      t.size(), p.pick, [&](std::size_t i) { return empty_area_highest_last<V>(t[i].start - one, max); },
      empty_area_highest_last<V>(~zero, max));
  return {p, last};
}

}  // namespace mmspec::proofs
