// 1a, 1b: the subtree-gap augmentation (gap.hpp vma_gap, raw_gap, subtree_gap) and what the
// VMA tree's update steps (vma_tree.cpp) do with it.
#include <string>
#include <vector>

#include "mmspec/gap.hpp"
#include "prover.hpp"
#include "walk.hpp"

namespace mmspec::proofs {
namespace {

using Aug3 = std::function<expr(const expr&, const expr&, const expr&)>;

expr model_subtree_gap(const expr& own, const expr& l, const expr& r) {
  return subtree_gap<expr>(own, l, r);
}

// ---- 1a ----

// vma_gap / raw_gap are the sizes of the free intervals they describe: for every address a,
// a lies in [end_gap(prev), start_gap(v)) iff a - end_gap(prev) < vma_gap(...), modulo 2^64.
Query gap_is_interval_size(Sym& s) {
  const expr sg = s.bv("start_gap"), eg = s.bv("prev_end_gap"), a = s.bv("a");
  const expr g = vma_gap<expr>(sg, eg);
  const expr in = z3::ule(eg, a) && z3::ult(a, sg);
  const expr st = s.bv("vm_start"), pe = s.bv("prev_end");
  const expr rg = raw_gap<expr>(st, pe);
  const expr in_raw = z3::ule(pe, a) && z3::ult(a, st);
  return {"vma_gap and raw_gap measure their free interval",
          z3::ule(pe, st),  // raw_gap: the VMAs are sorted (prev ends at or below v's start)
          (in == z3::ult(a - eg, g)) && (in_raw == z3::ult(a - pe, rg))};
}

// The inductive step: children whose summaries are the maximum (0 when empty) of the gaps in
// their subtrees give a node whose summary is the maximum of its own gap and both subtrees.
// The subtrees' gap sets are arbitrary (uninterpreted membership predicates); the universally
// quantified hypotheses are instantiated at the goal's witness x, which is sound.
Query inductive_step(Sym& s, const Aug3& aug) {
  z3::context& c = s.ctx();
  const z3::sort bv = c.bv_sort(Z3_WORD_BITS);
  const z3::func_decl inL = c.function("in_left_subtree", bv, c.bool_sort());
  const z3::func_decl inR = c.function("in_right_subtree", bv, c.bool_sort());
  const expr own = s.bv("own_gap"), sl = s.bv("left_subtree_gap"), sr = s.bv("right_subtree_gap");
  const expr x = s.bv("x");
  const expr zero = s.lit(0);
  const expr hyp = (z3::implies(inL(x), z3::ule(x, sl))) && (z3::implies(inR(x), z3::ule(x, sr))) &&
                   (inL(sl) || sl == zero) && (inR(sr) || sr == zero);
  const expr res = aug(own, sl, sr);
  const expr in_node = x == own || inL(x) || inR(x);
  const expr goal = z3::implies(in_node, z3::ule(x, res)) &&
                    (res == own || inL(res) || inR(res) || res == zero);
  return {"subtree_gap(own, left, right) is the maximum of the node's subtree", hyp, goal};
}

// ---- 1b: rotations ----

// vma_tree.cpp rotate_left: x with right child y becomes y's left child; B (y's left subtree)
// moves to x's right; then update(x), update(y). `update_x` false is the broken variant.
Query rotation(Sym& s, bool left, bool update_x) {
  const expr gx = s.bv("gap_x"), gy = s.bv("gap_y");
  const expr A = s.bv("subtree_A"), B = s.bv("subtree_B"), C = s.bv("subtree_C");
  // Before (the invariant holds): rotate_left: x(A, y(B, C)); rotate_right: x(y(A, B), C).
  const expr y_before = left ? subtree_gap<expr>(gy, B, C) : subtree_gap<expr>(gy, A, B);
  const expr x_before =
      left ? subtree_gap<expr>(gx, A, y_before) : subtree_gap<expr>(gx, y_before, C);
  // After: rotate_left: y(x(A, B), C); rotate_right: y(A, x(B, C)).
  const expr x_after = update_x ? (left ? subtree_gap<expr>(gx, A, B) : subtree_gap<expr>(gx, B, C))
                                : x_before;
  const expr y_after = left ? subtree_gap<expr>(gy, x_after, C) : subtree_gap<expr>(gy, A, x_after);
  // Goal: the local invariant at both nodes, and the subtree's summary unchanged (so the
  // ancestors need no update).
  const expr goal = (left ? x_after == subtree_gap<expr>(gx, A, B) : x_after == subtree_gap<expr>(gx, B, C)) &&
                    (left ? y_after == subtree_gap<expr>(gy, x_after, C)
                          : y_after == subtree_gap<expr>(gy, A, x_after)) &&
                    y_after == x_before;
  return {left ? "rotate_left" : "rotate_right", s.tt(), goal};
}

// ---- 1b: gap bookkeeping of insert / erase / adjust / refresh ----
//
// VmaTree stores one gap per node, raw_gap = vm_start - vm_end(prev); prev_end and the classic
// gap are derived from it (vma_tree.cpp prev_end_of, gap_of). A step must leave every node's
// raw_gap as a recomputation from scratch gives it; then the derived values are right too.

struct SymVma {
  expr start, end, gd;  // vm_start, vm_end, VM_GROWSDOWN
};

// What a node's gaps are, from its stored raw_gap (vma_tree.cpp prev_end_of, gap_of).
struct Derived {
  expr raw, prev_end, gap;
};

Derived derive(const SymVma& v, const expr& guard, const expr& raw) {
  const expr prev_end = v.start - raw;
  return {raw, prev_end, vma_gap<expr>(start_gap<expr>(v.start, v.gd, guard), prev_end)};
}

// The gaps as check_augmentation defines them, from the neighbours.
std::vector<Derived> from_scratch(const std::vector<SymVma>& vs, const expr& guard, const expr& zero) {
  std::vector<Derived> f;
  for (std::size_t i = 0; i < vs.size(); ++i) {
    const expr pe = i ? vs[i - 1].end : zero;
    f.push_back({raw_gap<expr>(vs[i].start, pe), pe,
                 vma_gap<expr>(start_gap<expr>(vs[i].start, vs[i].gd, guard), pe)});
  }
  return f;
}

expr all_equal(Sym& s, const std::vector<Derived>& a, const std::vector<Derived>& b) {
  std::vector<expr> eqs;
  for (std::size_t i = 0; i < a.size(); ++i)
    eqs.push_back(a[i].raw == b[i].raw && a[i].prev_end == b[i].prev_end && a[i].gap == b[i].gap);
  return s.all(eqs);
}

constexpr int kListSize = 5;

struct List {
  std::vector<SymVma> v;
  expr guard;
  expr sorted;
};

List sym_list(Sym& s, int n) {
  List l{{}, s.bv("stack_guard_gap"), s.tt()};
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    l.v.push_back({s.bv("start" + k), s.bv("end" + k), s.boolean("growsdown" + k)});
    l.sorted = l.sorted && z3::ult(l.v[i].start, l.v[i].end);
    if (i) l.sorted = l.sorted && z3::ule(l.v[i - 1].end, l.v[i].start);
  }
  return l;
}

enum class Step { insert, erase, adjust, refresh };

// The gaps after one step, as vma_tree.cpp leaves them, against a recomputation from scratch
// over the VMAs after the step. broken: erase refreshing the successor's raw_gap from the
// erased VMA's end (as if it were still there) instead of from its predecessor's.
Query step_query(Sym& s, Step step, int k, bool broken = false) {
  const List l = sym_list(s, kListSize);
  const expr zero = s.lit(0);
  const int n = kListSize;
  // The stored raw gaps before the step (the invariant holds).
  std::vector<expr> raw;
  for (const Derived& d : from_scratch(l.v, l.guard, zero)) raw.push_back(d.raw);
  auto end_of = [&](int i) { return i >= 0 ? l.v[i].end : zero; };  // vma_tree.cpp end_of
  std::vector<SymVma> after_v;
  std::vector<expr> after_raw;
  expr hyp = l.sorted;
  std::string what;
  switch (step) {
    case Step::insert: {
      // VmaTree::insert: the new node's raw_gap from its predecessor's end, the successor's
      // from the new node's end; every other node keeps its raw_gap.
      const SymVma w{s.bv("new_start"), s.bv("new_end"), s.boolean("new_growsdown")};
      hyp = hyp && z3::ult(w.start, w.end);
      if (k > 0) hyp = hyp && z3::ule(l.v[k - 1].end, w.start);
      if (k < n) hyp = hyp && z3::ule(w.end, l.v[k].start);
      for (int i = 0; i < k; ++i) {
        after_v.push_back(l.v[i]);
        after_raw.push_back(raw[i]);
      }
      after_v.push_back(w);
      after_raw.push_back(raw_gap<expr>(w.start, end_of(k - 1)));
      for (int i = k; i < n; ++i) {
        after_v.push_back(l.v[i]);
        after_raw.push_back(i == k ? raw_gap<expr>(l.v[i].start, w.end) : raw[i]);
      }
      what = "insert before VMA " + std::to_string(k);
      break;
    }
    case Step::erase: {
      // VmaTree::erase: the successor's raw_gap from the erased node's predecessor's end.
      for (int i = 0; i < n; ++i) {
        if (i == k) continue;
        after_v.push_back(l.v[i]);
        if (i == k + 1)
          after_raw.push_back(raw_gap<expr>(l.v[i].start, broken ? l.v[k].end : end_of(k - 1)));
        else
          after_raw.push_back(raw[i]);
      }
      what = "erase VMA " + std::to_string(k);
      break;
    }
    case Step::adjust:
    case Step::refresh: {
      // VmaTree::adjust (new vm_start / vm_end) and VmaTree::refresh (new vm_flags): the
      // node's raw_gap from its predecessor's end, the successor's from the node's new end.
      SymVma x = l.v[k];
      if (step == Step::adjust) {
        x.start = s.bv("new_start");
        x.end = s.bv("new_end");
        hyp = hyp && z3::ult(x.start, x.end);
        if (k > 0) hyp = hyp && z3::ule(l.v[k - 1].end, x.start);
        if (k + 1 < n) hyp = hyp && z3::ule(x.end, l.v[k + 1].start);
      } else {
        x.gd = s.boolean("new_growsdown");
      }
      for (int i = 0; i < n; ++i) {
        if (i == k) {
          after_v.push_back(x);
          after_raw.push_back(raw_gap<expr>(x.start, end_of(k - 1)));
        } else {
          after_v.push_back(l.v[i]);
          after_raw.push_back(i == k + 1 ? raw_gap<expr>(l.v[i].start, x.end) : raw[i]);
        }
      }
      what = (step == Step::adjust ? "adjust VMA " : "refresh VMA ") + std::to_string(k);
      break;
    }
  }
  std::vector<Derived> stored;
  for (std::size_t i = 0; i < after_v.size(); ++i) stored.push_back(derive(after_v[i], l.guard, after_raw[i]));
  return {what, hyp, all_equal(s, stored, from_scratch(after_v, l.guard, zero))};
}

}  // namespace

std::vector<Proof> gap_proofs() {
  std::vector<Proof> v;
  v.push_back(Proof{
      "1a", "gap augmentation: vma_gap/raw_gap exact, subtree_gap inductive step",
      "gap.hpp vma_gap, raw_gap, subtree_gap",
      [](Sym& s) {
        return std::vector<Query>{gap_is_interval_size(s), inductive_step(s, model_subtree_gap)};
      },
      "subtree_gap ignoring the right child",
      [](Sym& s) {
        return std::vector<Query>{inductive_step(s, [](const expr& own, const expr& l, const expr&) {
          return subtree_gap<expr>(own, l, l);
        })};
      }});
  v.push_back(Proof{
      "1b.rot", "rotations keep every subtree_gap and the subtree's summary",
      "gap.hpp subtree_gap in vma_tree.cpp rotate_left/right (update(x), update(y))",
      [](Sym& s) { return std::vector<Query>{rotation(s, true, true), rotation(s, false, true)}; },
      "rotate_left without update(x)",
      [](Sym& s) { return std::vector<Query>{rotation(s, true, false)}; }});
  v.push_back(Proof{
      "1b.gaps", "insert/erase/adjust/refresh leave every node's gaps exact (5 VMAs)",
      "gap.hpp raw_gap, vma_gap as vma_tree.cpp insert/erase/adjust/refresh, prev_end_of, gap_of use them",
      [](Sym& s) {
        std::vector<Query> q;
        for (int k = 0; k <= kListSize; ++k) q.push_back(step_query(s, Step::insert, k));
        for (int k = 0; k < kListSize; ++k) {
          q.push_back(step_query(s, Step::erase, k));
          q.push_back(step_query(s, Step::adjust, k));
          q.push_back(step_query(s, Step::refresh, k));
        }
        return q;
      },
      "erase computing the successor's raw_gap from the erased VMA's end",
      [](Sym& s) {
        std::vector<Query> q;
        for (int k = 0; k + 1 < kListSize; ++k) q.push_back(step_query(s, Step::erase, k, true));
        return q;
      }});
  return v;
}

}  // namespace mmspec::proofs
