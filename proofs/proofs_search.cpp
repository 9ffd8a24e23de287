// 1c: the gap searches.
//
// 1c.bu / 1c.td / 1c.618lo / 1c.618hi: the walk over the subtree gaps picks the gap a linear
// scan of the same VMAs picks (the lowest / highest gap that fits), on every tree shape with
// up to kMaxWalkVmas VMAs, symbolic bounds, growsdown flags and guard gap, any request. The
// proof has two layers:
//   * lemmas, over the model's arithmetic on 64-bit values (gap.hpp through gap_walk.hpp's atoms):
//     every fact about the comparisons at the nodes that the walk's correctness rests on --
//     how "fits" relates to the node's own tests, that the pruned subtrees hold no answer,
//     and that the first / last candidate failing the final check means nothing fits;
//   * the walk itself, run on boolean variables standing for those comparisons, under the
//     lemmas as axioms, against the scan: a propositional query per tree shape.
// A 64-bit counterexample to "walk = scan" would give values to the comparisons that satisfy
// every lemma and refute the propositional query; so unsat there is unsat here. (Asking the
// same on 64-bit values directly takes Z3 minutes per tree.) The negative controls run on the
// 64-bit values directly.
//
// 1c.sound / 1c.complete / 1c.618sound: what the scans return is a real fit -- aligned, inside
// [low_limit, high_limit), inside its gap and so clear of every VMA (and of every guard gap
// when no VMA sits inside another's), the lowest / highest aligned address there -- and a fit
// exists exactly when some gap can hold length + align_mask bytes inside the limits.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "mmspec/gap.hpp"
#include "prover.hpp"
#include "walk.hpp"

namespace mmspec::proofs {
namespace {

constexpr int kMaxWalkVmas = 6;   // every BST shape with 0..6 nodes: 1+1+2+5+14+42+132 = 197 trees
constexpr int kSemanticVmas = 4;  // VMAs in the soundness queries
constexpr std::uint64_t kMasks[] = {0, (std::uint64_t{1} << 21) - 4096};  // none; 2 MiB (hugetlb)

std::string mask_text(std::uint64_t m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(m));
  return buf;
}

struct SymVmas {
  std::vector<expr> start, end, sg;
  expr guard;
  std::vector<expr> sorted_upto;  // [k]: VMAs 0..k-1 have start < end <= next start
  expr aligned;                   // every bound and the guard gap page aligned
  expr guards_clear;              // no VMA inside another's guard gap: vm_start_gap(v) >= prev end
  expr sorted() const { return sorted_upto.back(); }
};

SymVmas sym_vmas(Sym& s, int n) {
  SymVmas v{{}, {}, {}, s.bv("stack_guard_gap"), {s.tt()}, s.tt(), s.tt()};
  v.aligned = s.page_aligned(v.guard);
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    v.start.push_back(s.bv("start" + k));
    v.end.push_back(s.bv("end" + k));
    v.sg.push_back(start_gap<expr>(v.start[i], s.boolean("growsdown" + k), v.guard));
    expr so = v.sorted_upto.back() && z3::ult(v.start[i], v.end[i]);
    if (i) so = so && z3::ule(v.end[i - 1], v.start[i]);
    v.sorted_upto.push_back(so);
    v.aligned = v.aligned && s.page_aligned(v.start[i]) && s.page_aligned(v.end[i]);
    if (i) v.guards_clear = v.guards_clear && z3::ule(v.end[i - 1], v.sg[i]);
  }
  return v;
}

// A chain shape (every node the right child of the previous one): the fields that do not
// depend on the shape (all but the subtree summaries) are what the lemmas talk about.
Shape chain(int n) {
  Shape s;
  s.root = n ? 0 : -1;
  s.left.assign(n, -1);
  s.right.assign(n, -1);
  for (int i = 0; i + 1 < n; ++i) s.right[i] = i + 1;
  return s;
}

Augment<expr> model_aug() {
  return [](const expr& own, const expr& l, const expr& r) { return subtree_gap<expr>(own, l, r); };
}
Augment<expr> broken_aug() {
  return [](const expr& own, const expr& l, const expr&) { return subtree_gap<expr>(own, l, l); };
}

// ---- the four walks ----

enum class Walk { bottom_up, top_down, lowest618, highest618 };

const char* walk_name(Walk w) {
  switch (w) {
    case Walk::bottom_up: return "unmapped_area (first_fit)";
    case Walk::top_down: return "unmapped_area_topdown (last_fit)";
    case Walk::lowest618: return "v6.18 mas_empty_area (first_raw_fit)";
    case Walk::highest618: return "v6.18 mas_empty_area_rev (last_raw_fit)";
  }
  return "?";
}

bool is_first(Walk w) { return w == Walk::bottom_up || w == Walk::lowest618; }
bool is_618(Walk w) { return w == Walk::lowest618 || w == Walk::highest618; }

// The symbolic request of a walk, and the model's atoms and facts on n VMAs. The nodes live
// behind a shared_ptr: the atoms and facts refer to them.
struct Concrete {
  std::shared_ptr<const std::vector<Node<expr>>> nodes;
  Atoms<expr> atoms;
  GapFacts<expr> facts;
  expr absent_pruned;  // what an absent child contributes: ult(0, thr) / ult(0, size)
};

Concrete concrete(Sym& s, Walk w, const SymVmas& v, const Shape& sh, const Augment<expr>& aug) {
  const expr zero = s.lit(0), one = s.lit(1);
  auto nodes = std::make_shared<const std::vector<Node<expr>>>(
      build_nodes<expr>(v.start, v.end, v.sg, sh, zero, aug));
  const std::vector<Node<expr>>& t = *nodes;
  if (!is_618(w)) {
    // Any align_mask: the walks and the fit tests see length and align_mask only through
    // L = length + align_mask (search_length), and gap_request_ok refuses the L that wrap;
    // a symbolic mask covers every mask. Placement (which uses the mask) is in 1c.sound.
    const ClassicRequest<expr> r{s.bv("length"), s.bv("low_limit"), s.bv("high_limit"),
                                 s.bv("align_mask"), s.bv("align_offset")};
    const expr L = search_length<expr>(r.len, r.mask);
    const expr thr = O::umax(L, one);
    return {nodes,
            w == Walk::bottom_up ? first_fit_atoms<expr>(t, thr, r.low + L)
                                 : last_fit_atoms<expr>(t, thr, r.high - L),
            classic_facts<expr>(t, r, zero), z3::ult(zero, thr)};
  }
  const expr min = s.bv("min"), max = s.bv("max"), size = s.bv("size");
  return {nodes,
          w == Walk::lowest618 ? first_raw_fit_atoms<expr>(t, size, min + (size - one))
                               : last_raw_fit_atoms<expr>(t, size, max - (size - one)),
          v618_facts<expr>(t, min, max, size, zero), z3::ult(zero, size)};
}

// The searches on 64-bit values (for the controls and for n = 0 in v6.18).
Pick<expr> concrete_model(Sym& s, Walk w, const Concrete& c, const Shape& sh) {
  const expr zero = s.lit(0);
  if (is_618(w) && c.nodes->empty()) return {c.facts.req, s.lit(1)};  // mas_sparse_area
  const expr idx = is_first(w) ? walk_first<expr>(sh, c.atoms, zero)
                               : walk_last<expr>(sh, c.atoms, zero);
  return is_first(w) ? pick_lowest<expr>(idx, c.facts, zero) : pick_highest<expr>(idx, c.facts, zero);
}

Pick<expr> scan(Sym& s, Walk w, const GapFacts<expr>& f) {
  return is_first(w) ? scan_lowest<expr>(f, s.lit(0)) : scan_highest<expr>(f, s.lit(0));
}

expr same_pick(const Pick<expr>& a, const Pick<expr>& b) {
  return a.ok == b.ok && z3::implies(b.ok, a.pick == b.pick);
}

// The lemmas, on 64-bit values, and their statement on boolean variables. Each lemma is
// proved with only the VMAs it talks about (and those between them) in its hypotheses, so
// that it holds in every longer list too.
struct Lemma {
  std::string name;
  int upto;        // VMAs 0..upto-1 are sorted in its hypothesis
  expr concrete;   // on the model's values
  expr abstract;   // on the boolean variables
};

struct Abstract {
  std::vector<expr> descend, big, bound, fits, nonempty;
  expr top_fits, req, absent_pruned;
};

Abstract abstract_vars(Sym& s, Walk w, int n) {
  const std::string p = std::string(is_618(w) ? "v618" : "classic") + (is_first(w) ? ".lo." : ".hi.");
  Abstract a{{}, {}, {}, {}, {}, s.boolean(p + "top_fits"), s.boolean(p + "req"),
             s.boolean(p + "absent_child_pruned")};
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    a.descend.push_back(s.boolean(p + "descend" + k));
    a.big.push_back(s.boolean(p + "big" + k));
    a.bound.push_back(w == Walk::lowest618 ? a.descend.back() : s.boolean(p + "bound" + k));
    a.fits.push_back(s.boolean(p + "fits" + k));
    a.nonempty.push_back(is_618(w) ? s.boolean(p + "nonempty" + k) : s.tt());
  }
  return a;
}

// Every lemma the walk `w` needs on n VMAs (see the proof in the header comment).
std::vector<Lemma> lemmas(Walk w, const Concrete& c, const Abstract& a, int n) {
  std::vector<Lemma> out;
  const Atoms<expr>& at = c.atoms;
  const GapFacts<expr>& f = c.facts;
  auto add = [&](const std::string& name, int upto, const expr& conc, const expr& abs) {
    out.push_back({name, upto, conc, abs});
  };
  const expr Q = f.req, q = a.req;
  add("absent child contributes nothing", 0, z3::implies(Q, c.absent_pruned),
      z3::implies(q, a.absent_pruned));
  for (int i = 0; i < n; ++i) {
    const std::string I = std::to_string(i);
    const expr F = f.nonempty(i) && f.fits(i), Fa = a.nonempty[i] && a.fits[i];
    // A gap that fits passes the node's own tests.
    add("gap " + I + " fits => node " + I + " qualifies", i + 1,
        z3::implies(Q && F, at.big(i) && at.bound(i)), z3::implies(q && Fa, a.big[i] && a.bound[i]));
    if (is_618(w))
      add("raw gap " + I + " >= size => its empty range exists", i + 1,
          z3::implies(Q && at.big(i), f.nonempty(i)), z3::implies(q && a.big[i], a.nonempty[i]));
    if (is_first(w))
      // The first qualifying node failing the final check: nothing later fits.
      add("node " + I + " qualifies but does not fit => the gap above the last VMA does not", n,
          z3::implies(Q && at.big(i) && at.bound(i) && !f.fits(i), !f.top_fits),
          z3::implies(q && a.big[i] && a.bound[i] && !a.fits[i], !a.top_fits));
    for (int j = i + 1; j < n; ++j) {
      const std::string J = std::to_string(j);
      const expr Fj = f.nonempty(j) && f.fits(j), Fja = a.nonempty[j] && a.fits[j];
      if (is_first(w)) {
        // Not descending left at j is right: no node left of j passes the bound test.
        add("no descent at " + J + " => node " + I + " fails the bound", j + 1,
            z3::implies(!at.descend(j), !at.bound(i)), z3::implies(!a.descend[j], !a.bound[i]));
        add("node " + I + " qualifies but does not fit => gap " + J + " does not", j + 1,
            z3::implies(Q && at.big(i) && at.bound(i) && !f.fits(i), !Fj),
            z3::implies(q && a.big[i] && a.bound[i] && !a.fits[i], !Fja));
      } else {
        // Not descending right at i is right: no node right of i passes the bound test.
        add("no descent at " + I + " => node " + J + " fails the bound", j + 1,
            z3::implies(!at.descend(i), !at.bound(j)), z3::implies(!a.descend[i], !a.bound[j]));
        add("node " + J + " qualifies but does not fit => gap " + I + " does not", j + 1,
            z3::implies(Q && at.big(j) && at.bound(j) && !f.fits(j), !F),
            z3::implies(q && a.big[j] && a.bound[j] && !a.fits[j], !Fa));
      }
    }
  }
  return out;
}

// The model's subtree summary test, structurally: pruned(i) iff the node's own gap and both
// subtrees are below the size sought. Lemma "max" below shows this is what subtree_gap gives.
expr abstract_pruned(const Shape& sh, int i, const Abstract& a) {
  if (i < 0) return a.absent_pruned;
  return !a.big[i] && abstract_pruned(sh, sh.left[i], a) && abstract_pruned(sh, sh.right[i], a);
}

Query max_lemma(Sym& s) {
  const expr t = s.bv("t"), g = s.bv("own"), l = s.bv("left"), r = s.bv("right");
  return {"lemma: subtree_gap(own, left, right) < t iff own, left and right are all < t", s.tt(),
          z3::ult(subtree_gap<expr>(g, l, r), t) == (z3::ult(g, t) && z3::ult(l, t) && z3::ult(r, t))};
}

std::vector<Query> walk_proof(Sym& s, Walk w) {
  std::vector<Query> q{max_lemma(s)};
  for (int n = 0; n <= kMaxWalkVmas; ++n) {
    const SymVmas v = sym_vmas(s, n);
    const Concrete c = concrete(s, w, v, chain(n), model_aug());
    const Abstract a = abstract_vars(s, w, n);
    const std::vector<Lemma> ls = lemmas(w, c, a, n);
    expr axioms = s.tt();
    // Lemmas about VMAs below n were already proved for a shorter list (same terms).
    for (const Lemma& l : ls) {
      axioms = axioms && l.abstract;
      if (l.upto == n)
        q.push_back({"lemma (" + std::to_string(n) + " VMAs): " + l.name, v.sorted_upto[l.upto],
                     l.concrete});
    }
    if (n == 0 && is_618(w)) {
      // No VMA: the model answers without a walk (mas_sparse_area); on 64-bit values.
      const Shape sh = chain(0);
      q.push_back({"0 VMAs (mas_sparse_area)", s.tt(), same_pick(concrete_model(s, w, c, sh), scan(s, w, c.facts))});
      continue;
    }
    // The lemmas must not contradict each other (the queries below would hold vacuously): they
    // are consistent with an accepted request and each single gap fitting.
    for (int i = 0; i <= n; ++i)
      q.push_back({"lemmas consistent (" + std::to_string(n) + " VMAs, gap " + std::to_string(i) +
                       " fits)",
                   axioms && a.req && (i < n ? a.nonempty[i] && a.fits[i] : a.top_fits), s.ff(), true, true});
    const GapFacts<expr> fa{static_cast<std::size_t>(n), [&a](int i) { return a.fits[i]; },
                            [&a](int i) { return a.nonempty[i]; }, a.top_fits, a.req};
    const Pick<expr> want = scan(s, w, fa);
    // All shapes of n nodes in one query (a failing one is named by the counterexample's
    // "shape" number).
    const std::vector<Shape> shapes = all_shapes(n);
    const expr shape_no = s.bv("shape" + std::to_string(n));
    std::vector<expr> each;
    for (std::size_t k = 0; k < shapes.size(); ++k) {
      const Shape& sh = shapes[k];
      const Atoms<expr> at{[&sh, &a](int i) { return abstract_pruned(sh, i, a); },
                           [&a](int i) { return a.descend[i]; }, [&a](int i) { return a.big[i]; },
                           [&a](int i) { return a.bound[i]; }};
      const expr zero = s.lit(0);
      const expr idx = is_first(w) ? walk_first<expr>(sh, at, zero)
                                   : walk_last<expr>(sh, at, zero);
      const Pick<expr> got = is_first(w) ? pick_lowest<expr>(idx, fa, zero) : pick_highest<expr>(idx, fa, zero);
      each.push_back(z3::implies(shape_no == s.lit(k + 1), same_pick(got, want)));
    }
    q.push_back({std::to_string(n) + " VMAs, all " + std::to_string(shapes.size()) + " tree shapes",
                 axioms && z3::ule(s.lit(1), shape_no) && z3::ule(shape_no, s.lit(shapes.size())),
                 s.all(each), false, true});
  }
  return q;
}

// The control: the walk on trees augmented by the broken subtree_gap, on 64-bit values.
std::vector<Query> walk_control(Sym& s, Walk w) {
  std::vector<Query> q;
  for (int n = 2; n <= 3; ++n) {
    const SymVmas v = sym_vmas(s, n);
    const std::vector<Shape> shapes = all_shapes(n);
    for (std::size_t k = 0; k < shapes.size(); ++k) {
      const Concrete c = concrete(s, w, v, shapes[k], broken_aug());
      q.push_back({std::to_string(n) + " VMAs, tree shape " + std::to_string(k + 1) + "/" +
                       std::to_string(shapes.size()),
                   v.sorted(), same_pick(concrete_model(s, w, c, shapes[k]), scan(s, w, c.facts))});
    }
  }
  return q;
}

// ---- 1c.sound: the scans' answers are real fits ----

struct Request {
  expr len, low, high, mask, off;
  expr aligned;
};

Request sym_request(Sym& s, std::uint64_t mask) {
  Request r{s.bv("length"), s.bv("low_limit"), s.bv("high_limit"), s.lit(mask),
            s.bv("align_offset"), s.tt()};
  r.aligned = s.page_aligned(r.len) && s.page_aligned(r.low) && s.page_aligned(r.high) &&
              s.page_aligned(r.off);
  return r;
}

// The placement in a gap that fits is a real fit, in three steps:
//   (1) place_bottom_up / place_top_down, for every page-aligned input and mask, give an
//       address aligned to (mask, offset), within mask of the gap's lower bound max(gap start,
//       low_limit) resp. upper bound min(gap end, high_limit) - length, and the lowest /
//       highest aligned address on the right side of that bound;
//   (2) in a gap that fits (gap_fits / highest_gap_fits, request accepted), every address
//       within mask of that bound keeps [a, a + length) inside the gap and the limits;
//   (3) an interval inside a gap is clear of every VMA, and of every guard gap when no VMA
//       sits inside another's (sorted VMAs, for each gap and each VMA).
// bump: the broken variant (top-down placement one page higher), checked against (1).
std::vector<Query> soundness_queries(Sym& s, std::uint64_t bump, bool only_control) {
  std::vector<Query> q;
  const expr zero = s.lit(0);
  for (std::uint64_t m : kMasks) {
    const Request r = sym_request(s, m);
    const expr gs = s.bv("gap_start"), ge = s.bv("gap_end"), b = s.bv("b");
    const expr aligned_in = r.aligned && s.page_aligned(gs) && s.page_aligned(ge) && s.page_aligned(b);
    const expr b_aligned = (b & r.mask) == (r.off & r.mask);
    const std::string M = ", align_mask " + mask_text(m);
    // (1) bottom-up
    const expr base = O::umax(gs, r.low);
    const expr a = place_bottom_up<expr>(gs, r.low, r.mask, r.off);
    const expr bu_hyp = aligned_in && z3::ule(base, base + r.mask);
    if (!only_control) {
      q.push_back({"place_bottom_up aligned" + M, bu_hyp, (a & r.mask) == (r.off & r.mask)});
      q.push_back({"place_bottom_up within mask above max(gap start, low)" + M, bu_hyp,
                   z3::ule(base, a) && z3::ule(a - base, r.mask)});
      q.push_back({"place_bottom_up the lowest aligned address there" + M, bu_hyp,
                   z3::implies(b_aligned && z3::ule(base, b), z3::ule(a, b))});
    }
    // (1) top-down
    const expr top = O::umin(ge, r.high) - r.len;
    const expr t = place_top_down<expr>(ge, r.len, r.high, r.mask, r.off) + s.lit(bump);
    const expr td_hyp = aligned_in && z3::ule(r.mask, top);
    q.push_back({"place_top_down aligned" + M, td_hyp, (t & r.mask) == (r.off & r.mask)});
    q.push_back({"place_top_down within mask below min(gap end, high) - length" + M, td_hyp,
                 z3::ule(t, top) && z3::ule(top - t, r.mask)});
    q.push_back({"place_top_down the highest aligned address there" + M, td_hyp,
                 z3::implies(b_aligned && z3::ule(b, top), z3::ule(b, t))});
    if (only_control) continue;
    // (2) for any address the placement can give (within mask of the bound), in a gap that
    // fits: the bound's no-wrap condition of (1) holds, and [x, x + length) lies in the gap.
    const expr x = s.bv("x");
    const expr req = gap_request_ok<expr>(r.len, r.low, r.high, r.mask);
    const expr fits = req && gap_fits<expr>(gs, ge, r.len, r.low, r.high, r.mask);
    const expr hfits = req && highest_gap_fits<expr>(gs, r.len, r.high, r.mask);
    auto inside = [&](const expr& hi_end) {
      return z3::ule(gs, x) && z3::ule(r.low, x) && z3::ule(x, x + r.len) && z3::ule(x + r.len, hi_end);
    };
    q.push_back({"bottom-up in a gap that fits: inside the gap and the limits" + M,
                 aligned_in && fits && z3::ule(base, x) && z3::ule(x - base, r.mask),
                 z3::ule(base, base + r.mask) && inside(O::umin(ge, r.high))});
    q.push_back({"top-down in a gap that fits: inside the gap and the limits" + M,
                 aligned_in && fits && z3::ule(x, top) && z3::ule(top - x, r.mask),
                 z3::ule(r.mask, top) && inside(O::umin(ge, r.high))});
    // The gap above the last VMA: [highest, inf), placed against high_limit itself.
    const expr top_h = r.high - r.len;
    q.push_back({"bottom-up above the last VMA: inside [highest, high_limit)" + M,
                 aligned_in && hfits && z3::ule(base, x) && z3::ule(x - base, r.mask),
                 z3::ule(base, base + r.mask) && inside(r.high)});
    // (place_top_down(high_limit, ...) there is the gap_end = high_limit case of (1).)
    q.push_back({"top-down above the last VMA: inside [highest, high_limit)" + M,
                 aligned_in && hfits && z3::ule(x, top_h) && z3::ule(top_h - x, r.mask),
                 z3::ule(r.mask, top_h) && inside(r.high)});
  }
  if (only_control) return q;
  // (3) inside a gap => clear of every VMA (and of every guard gap when none is inside another's).
  const int n = kSemanticVmas;
  const SymVmas v = sym_vmas(s, n);
  const expr a = s.bv("a"), len = s.bv("length");
  for (int i = 0; i <= n; ++i) {
    const bool top = i == n;
    const expr gs = i ? v.end[i - 1] : zero;
    const expr in_gap = z3::ule(gs, a) && z3::ule(a, a + len) && (top ? s.tt() : z3::ule(a + len, v.sg[i]));
    for (int j = 0; j < n; ++j) {
      const std::string where = (top ? std::string("gap above the last VMA") : "gap " + std::to_string(i)) +
                                " is clear of VMA " + std::to_string(j);
      q.push_back({where, v.sorted() && in_gap,
                   (z3::ule(a + len, v.start[j]) || z3::ule(v.end[j], a)) &&
                       z3::implies(v.guards_clear, z3::ule(a + len, v.sg[j]) || z3::ule(v.end[j], a))});
    }
  }
  return q;
}

// ---- 1c.complete: the fit tests say exactly "holds the request" ----

using FitFn = std::function<expr(const expr&, const expr&, const expr&, const expr&, const expr&, const expr&)>;

// [gs, ge) (unbounded when ge_inf) holds L bytes inside [low, high).
expr semantic_fit(const expr& gs, const expr& ge, bool ge_inf, const expr& L, const expr& low,
                  const expr& high) {
  const expr a = O::umax(gs, low);
  const expr b = ge_inf ? high : O::umin(ge, high);
  return z3::ule(a, b) && z3::ule(L, b - a);
}

std::vector<Query> completeness_queries(Sym& s, const FitFn& fits) {
  const expr len = s.bv("length"), low = s.bv("low_limit"), high = s.bv("high_limit"),
             mask = s.bv("align_mask"), gs = s.bv("gap_start"), ge = s.bv("gap_end");
  const expr L = search_length<expr>(len, mask);
  const expr req = gap_request_ok<expr>(len, low, high, mask);
  const expr sane = z3::ule(len, L) && z3::ult(s.lit(0), len);  // L does not wrap; length > 0
  return {
      {"gap_fits => the gap holds L bytes inside the limits", req && fits(gs, ge, len, low, high, mask),
       semantic_fit(gs, ge, false, L, low, high)},
      {"the gap holds L bytes inside the limits => request accepted and gap_fits",
       sane && semantic_fit(gs, ge, false, L, low, high), req && fits(gs, ge, len, low, high, mask)},
      {"highest_gap_fits => [highest, inf) holds L bytes inside the limits",
       req && highest_gap_fits<expr>(gs, len, high, mask), semantic_fit(gs, ge, true, L, low, high)},
      {"[highest, inf) holds L bytes inside the limits => accepted and highest_gap_fits",
       sane && semantic_fit(gs, ge, true, L, low, high), req && highest_gap_fits<expr>(gs, len, high, mask)},
  };
}

// ---- 1c.618sound ----

using IndexFn = std::function<expr(const expr&, const expr&)>;

std::vector<Query> sound618_queries(Sym& s, const IndexFn& lowest_index) {
  std::vector<Query> q;
  const expr min = s.bv("min"), max = s.bv("max"), size = s.bv("size");
  const expr one = s.lit(1);
  const expr req = empty_area_request_ok<expr>(min, max, size);
  const expr first = s.bv("first"), last = s.bv("last");
  const expr s1 = size - one;
  // The area picked in an empty range [first, last] that fits lies in the range and the window.
  {
    const expr fits = empty_range_fits<expr>(first, last, min, max, size);
    const expr lo = lowest_index(first, min);
    q.push_back({"mas_empty_area: [index, index + size - 1] inside the range and [min, max]",
                 req && fits,
                 z3::ule(first, lo) && z3::ule(min, lo) && z3::ule(lo, lo + s1) &&
                     z3::ule(lo + s1, last) && z3::ule(lo + s1, max)});
    const expr hl = empty_area_highest_last<expr>(last, max);
    q.push_back({"mas_empty_area_rev: [last - size + 1, last] inside the range and [min, max]",
                 req && fits,
                 z3::ule(hl - s1, hl) && z3::ule(first, hl - s1) && z3::ule(min, hl - s1) &&
                     z3::ule(hl, last) && z3::ule(hl, max)});
    // empty_range_fits = the range shares >= size values with [min, max].
    const expr a = O::umax(first, min), b = O::umin(last, max);
    q.push_back({"empty_range_fits => [first, last] and [min, max] share >= size values", req && fits,
                 z3::ule(first, last) && z3::ule(a, b) && z3::ule(s1, b - a)});
    q.push_back({"[first, last] and [min, max] share >= size values => empty_range_fits",
                 req && z3::ule(first, last) && z3::ule(a, b) && z3::ule(s1, b - a), fits});
    q.push_back({"a range that shares >= size values with a window: the request is accepted",
                 z3::ult(s.lit(0), size) && z3::ule(first, last) && z3::ule(a, b) && z3::ule(s1, b - a),
                 req});
  }
  // The empty ranges between the VMAs are clear of every VMA.
  {
    const int n = kSemanticVmas;
    const SymVmas v = sym_vmas(s, n);
    const expr x = s.bv("x");
    for (int i = 0; i <= n; ++i) {
      const expr f = i ? v.end[i - 1] : s.lit(0);
      const expr l = i < n ? v.start[i] - one : ~s.lit(0);
      const expr ne = i < n ? z3::ult(f, v.start[i]) : s.tt();
      std::vector<expr> clear;
      for (int j = 0; j < n; ++j) clear.push_back(!(z3::ule(v.start[j], x) && z3::ult(x, v.end[j])));
      q.push_back({"empty range " + std::to_string(i) + " is clear of every VMA",
                   v.sorted() && ne && z3::ule(f, x) && z3::ule(x, l), s.all(clear)});
    }
  }
  // The v6.18 candidates inside the area found, and the guard-gap checks after it.
  const expr len = s.bv("length"), start_gap = s.bv("start_gap"), off = s.bv("align_offset");
  for (std::uint64_t m : kMasks) {
    const expr mask = s.lit(m);
    const expr L = search_length_v618<expr>(len, mask, start_gap);
    const expr index = s.bv("area_index");
    const expr alast = index + (L - one);
    // Assumed: length + align_mask + start_gap does not wrap even partially. The kernel's
    // "length < info->length" misses a wrap of align_mask + start_gap that brings the sum back
    // above length (start_gap near 2^64); x86 sets start_gap to 0 or a page (shadow stacks).
    const expr base = s.page_aligned(len) && s.page_aligned(start_gap) && s.page_aligned(off) &&
                      s.page_aligned(index) && z3::ult(s.lit(0), len) &&
                      search_length_ok_v618<expr>(len, mask, start_gap) &&
                      z3::ule(len, len + mask) && z3::ule(len + mask, L) &&
                      z3::ule(index, alast);  // the area [index, alast] does not wrap
    const expr bu = place_bottom_up_v618<expr>(index, start_gap, mask, off);
    q.push_back({"v6.18 bottom-up candidate inside its area, align_mask " + mask_text(m), base,
                 (bu & mask) == (off & mask) && z3::ule(index + start_gap, bu) &&
                     z3::ule(bu, bu + (len - one)) && z3::ule(bu + (len - one), alast)});
    const expr area_end = alast + one;
    const expr td = place_top_down_v618<expr>(area_end, len, mask, off);
    q.push_back({"v6.18 top-down candidate inside its area, align_mask " + mask_text(m),
                 base && !(area_end == s.lit(0)),
                 (td & mask) == (off & mask) && z3::ule(index + start_gap, td) &&
                     z3::ule(td, td + (len - one)) && z3::ule(td + (len - one), alast)});
    // Page aligned, a next VMA that does not block leaves the candidate clear of its guard
    // gap, although the kernel compares against gap + length - 1.
    const expr nsg = s.bv("next_start_gap");
    q.push_back({"v6.18 bottom_up_next_blocks false => clear of the next guard gap, align_mask " +
                     mask_text(m),
                 base && s.page_aligned(nsg) && z3::ule(bu, bu + L),
                 z3::implies(!bottom_up_next_blocks_v618<expr>(nsg, bu, L), z3::ule(bu + len, nsg))});
    q.push_back({"v6.18 top_down_next_blocks false => clear of the next guard gap, align_mask " +
                     mask_text(m),
                 base && !(area_end == s.lit(0)),
                 z3::implies(!top_down_next_blocks_v618<expr>(nsg, area_end), z3::ule(td + len, nsg))});
    // The prev rule never fires on x86 (vm_end_gap is vm_end, at or below the area).
    const expr prev_end = s.bv("prev_vm_end");
    q.push_back({"v6.18 prev_blocks never true above prev's vm_end, align_mask " + mask_text(m),
                 base && z3::ule(prev_end, index), !prev_blocks_v618<expr>(prev_end, bu)});
  }
  return q;
}

}  // namespace

std::vector<Proof> search_proofs() {
  std::vector<Proof> v;
  const struct {
    const char* id;
    Walk w;
    const char* fns;
  } walks[] = {
      {"1c.bu", Walk::bottom_up,
       "gap.hpp gap_request_ok, search_length, gap_fits, highest_gap_fits, vma_gap, subtree_gap; "
       "gap_walk.hpp walk_first, FirstFitAtoms, gap.hpp start_gap (as VmaTree::first_fit runs them); "
       "vma_tree.cpp unmapped_area around the walk (transcribed, cross-checked)"},
      {"1c.td", Walk::top_down,
       "gap.hpp gap_request_ok, search_length, gap_fits, highest_gap_fits, vma_gap, subtree_gap; "
       "gap_walk.hpp walk_last, LastFitAtoms, gap.hpp start_gap (as VmaTree::last_fit runs them); "
       "vma_tree.cpp unmapped_area_topdown around the walk (transcribed, cross-checked)"},
      {"1c.618lo", Walk::lowest618,
       "gap.hpp empty_area_request_ok, empty_range_fits, raw_gap, subtree_gap; "
       "gap_walk.hpp walk_first, FirstRawFitAtoms (as VmaTree::first_raw_fit runs them); "
       "vma_tree.cpp empty_area around the walk (transcribed, cross-checked)"},
      {"1c.618hi", Walk::highest618,
       "gap.hpp empty_area_request_ok, empty_range_fits, raw_gap, subtree_gap; "
       "gap_walk.hpp walk_last, LastRawFitAtoms (as VmaTree::last_raw_fit runs them); "
       "vma_tree.cpp empty_area_rev around the walk (transcribed, cross-checked)"},
  };
  for (const auto& w : walks) {
    const Walk k = w.w;
    v.push_back(Proof{w.id,
                      std::string(walk_name(k)) + " picks the scan's gap, all trees of 0.." +
                          std::to_string(kMaxWalkVmas) + " VMAs",
                      w.fns, [k](Sym& s) { return walk_proof(s, k); },
                      "the walk on subtree_gap ignoring the right child",
                      [k](Sym& s) { return walk_control(s, k); }});
  }
  v.push_back(Proof{
      "1c.sound", "placement: aligned, in the limits and the gap, lowest/highest; gaps clear",
      "gap.hpp gap_fits, highest_gap_fits, place_bottom_up, place_top_down, vma_gap",
      [](Sym& s) { return soundness_queries(s, 0, false); }, "top-down placement one page higher",
      [](Sym& s) {
        std::vector<Query> q = soundness_queries(s, 4096, true);
        return std::vector<Query>{q[1], q[4]};  // "within mask below min(gap end, high) - length"
      }});
  v.push_back(Proof{
      "1c.complete", "gap_fits/highest_gap_fits = 'holds length + align_mask in the limits'",
      "gap.hpp gap_fits, highest_gap_fits, gap_request_ok, search_length",
      [](Sym& s) {
        return completeness_queries(s, [](const expr& gs, const expr& ge, const expr& len,
                                          const expr& low, const expr& high, const expr& mask) {
          return gap_fits<expr>(gs, ge, len, low, high, mask);
        });
      },
      "gap_fits demanding a gap strictly larger than the request",
      [](Sym& s) {
        return completeness_queries(s, [](const expr& gs, const expr& ge, const expr& len,
                                          const expr& low, const expr& high, const expr& mask) {
          return gap_fits<expr>(gs, ge, len, low, high, mask) &&
                 z3::ult(search_length<expr>(len, mask), ge - gs);
        });
      }});
  v.push_back(Proof{
      "1c.618sound", "v6.18 areas inside range and window; candidates and guard checks",
      "gap.hpp empty_range_fits, empty_area_*, search_length_v618, place_*_v618, "
      "bottom_up/top_down_next_blocks_v618, prev_blocks_v618",
      [](Sym& s) {
        return sound618_queries(s, [](const expr& first, const expr& min) {
          return empty_area_lowest_index<expr>(first, min);
        });
      },
      "empty area index not clipped to min",
      [](Sym& s) {
        std::vector<Query> q = sound618_queries(s, [](const expr& first, const expr&) { return first; });
        return std::vector<Query>{q[0]};
      }});
  return v;
}

}  // namespace mmspec::proofs
