// 3: the merge-case decision (vma_merge.hpp merge_case) and the geometry and pgoff arithmetic
// of each case (pgoff_at, pgoff_below, pgoff_continues); 4: split_vma's pgoff (pgoff_at).
//
// Geometry, in address order: P (prev), A (the VMA after P: "area" / "middle"), X (the VMA
// after A), and the range [s, e). Each may be absent (hp, ha, hx). The callers of vma_merge
// pass one of three situations (its preconditions):
//   new      the range lies in the hole between P and A (mmap, brk)
//   in A     the range starts where A starts and ends inside or at A's end (mprotect & co.)
//   in P     the range starts strictly inside P (classic callers then pass prev = P)
// The inputs merge_case gets are derived from that geometry the way model/src/vma_merge.cpp
// derives them (classic_vma_merge; vma_merge_new / vma_merge_existing for v6.18); that
// derivation is not a template and is transcribed here. Whether a side is mergeable at all
// (flags, file, anon_vma, pgoff continuity: can_merge_side) is a free boolean per side.
#include <string>
#include <vector>

#include "mmspec/vma_merge.hpp"
#include "prover.hpp"

namespace mmspec::proofs {
namespace {

struct Geo {
  expr hp, ha, hx;                       // P, A, X exist
  expr ps, pe, as, ae, xs, xe, s, e;     // bounds
  expr mL, mR, anon_ok;                  // mergeable left / right; prev-next anon_vmas compatible
  expr close_next, close_middle, just_expand;  // v6.18 refusals
  expr sorted;
  expr c_new, c_inA, c_inP;              // the three caller situations
  expr pre;                              // sorted && one of them
};

Geo geometry(Sym& s) {
  Geo g{s.boolean("has_prev"), s.boolean("has_area"), s.boolean("has_next_of_area"),
        s.bv("prev_start"), s.bv("prev_end"), s.bv("area_start"), s.bv("area_end"),
        s.bv("next_start"), s.bv("next_end"), s.bv("start"), s.bv("end"),
        s.boolean("prev_mergeable"), s.boolean("next_mergeable"), s.boolean("anon_compatible"),
        s.boolean("next_close_hook"), s.boolean("middle_close_hook"), s.boolean("just_expand"),
        s.tt(), s.tt(), s.tt(), s.tt(), s.tt()};
  g.sorted = z3::implies(g.hp, z3::ult(g.ps, g.pe)) && z3::implies(g.ha, z3::ult(g.as, g.ae)) &&
             z3::implies(g.hx, z3::ult(g.xs, g.xe)) && z3::implies(g.hx, g.ha) &&
             z3::implies(g.hp && g.ha, z3::ule(g.pe, g.as)) &&
             z3::implies(g.ha && g.hx, z3::ule(g.ae, g.xs)) && z3::ult(g.s, g.e);
  g.c_new = z3::implies(g.hp, z3::ule(g.pe, g.s)) && z3::implies(g.ha, z3::ule(g.e, g.as));
  g.c_inA = g.ha && g.s == g.as && z3::ule(g.e, g.ae);
  g.c_inP = g.hp && z3::ult(g.ps, g.s) && z3::ule(g.e, g.pe);
  g.pre = g.sorted && (g.c_new || g.c_inA || g.c_inP);
  return g;
}

// The classification of the kernel's comment above vma_merge (mm/mmap.c v5.15), written out.
struct Classes {
  expr fresh, whole, head, tail, inside;
};

Classes classes(const Geo& g) {
  return {g.c_new, g.c_inA && g.e == g.ae, g.c_inA && z3::ult(g.e, g.ae), g.c_inP && g.e == g.pe,
          g.c_inP && z3::ult(g.e, g.pe)};
}

expr lit_case(Sym& s, int c) { return s.lit(static_cast<std::uint64_t>(c)); }

// The case each situation must give, from the kernel's table: P+R+N 1, P+R 2, R+N 3 for a new
// range; P+A+X 6, P+A 7, A+X 8 when the range is all of A; 5 when it is A's head and P takes it;
// 4 when it is P's tail and A (the next VMA) takes it; nothing when it lies strictly inside.
// v618 adds mm/vma.c's refusals: a close hook on a VMA the merge would delete, brk's
// just_expand (left side only).
expr spec_case(Sym& s, const Geo& g, bool v618) {
  const Classes k = classes(g);
  const expr L = g.hp && g.pe == g.s && g.mL;
  auto right = [&](const expr& has, const expr& start) {
    expr R = has && g.e == start && g.mR && z3::implies(L, g.anon_ok);
    if (v618) R = R && !(L && g.close_next);
    return R;
  };
  const expr Rnew = right(g.ha, g.as) && (v618 ? !g.just_expand : s.tt());
  const expr Rwhole = right(g.hx, g.xs);
  const expr Rtail = g.ha && g.e == g.as && g.mR;
  const expr z = lit_case(s, 0);
  const expr c_new = z3::ite(L && Rnew, lit_case(s, 1),
                             z3::ite(L, lit_case(s, 2), z3::ite(Rnew, lit_case(s, 3), z)));
  expr c_whole = z3::ite(L && Rwhole, lit_case(s, 6),
                         z3::ite(L, lit_case(s, 7), z3::ite(Rwhole, lit_case(s, 8), z)));
  if (v618) c_whole = z3::ite(g.close_middle, z, c_whole);
  return z3::ite(k.fresh, c_new,
                 z3::ite(k.whole, c_whole,
                         z3::ite(k.head, z3::ite(L, lit_case(s, 5), z),
                                 z3::ite(k.tail, z3::ite(Rtail, lit_case(s, 4), z), z))));
}

using CaseFn = std::function<expr(const expr&, const expr&, const expr&, const expr&, const expr&,
                                  const expr&)>;

// vma_merge.cpp classic_vma_merge: prev = P, area = A (P's successor), next = area, or X when
// the range ends where area ends.
expr classic_case(Sym& s, const Geo& g, const CaseFn& mc) {
  const expr area_covers = g.ha && g.ae == g.e;
  const expr n_has = z3::ite(area_covers, g.hx, g.ha);
  const expr n_start = z3::ite(area_covers, g.xs, g.as);
  const expr left = g.hp && g.pe == g.s && g.mL;
  const expr right = n_has && g.e == n_start && g.mR && !(left && !g.anon_ok);
  const expr end_inside_area = g.ha && z3::ult(g.as, g.e) && z3::ult(g.e, g.ae);
  const expr addr_inside_prev = g.hp && z3::ult(g.s, g.pe);
  return mc(left, right, area_covers, end_inside_area, addr_inside_prev, s.lit(0));
}

// vma_merge.cpp vma_merge_new (v6.18): prev = P, next = A.
expr v618_new_case(Sym& s, const Geo& g, const CaseFn& mc) {
  const expr left = g.hp && g.pe == g.s && g.mL;
  expr right = !g.just_expand && g.ha && g.e == g.as && g.mR;
  right = right && !(left && !g.anon_ok);
  right = right && !(left && g.close_next);
  const expr f = s.ff();
  return z3::ite(!g.hp && !g.ha, s.lit(0), mc(left, right, f, f, f, s.lit(0)));
}

// vma_merge.cpp vma_merge_existing (v6.18): middle = A with prev = P (range in A), or
// middle = P (range in P, whose own prev cannot take a range that starts inside P).
expr v618_existing_case(Sym& s, const Geo& g, const CaseFn& mc) {
  const expr inA = g.c_inA;
  const expr m_start = z3::ite(inA, g.as, g.ps), m_end = z3::ite(inA, g.ae, g.pe);
  const expr left_side = g.s == m_start, right_side = g.e == m_end;
  const expr n_has = right_side && z3::ite(inA, g.hx, g.ha);
  const expr n_start = z3::ite(inA, g.xs, g.as);
  const expr prev_ok = inA && g.hp && g.pe == g.s;  // in P: the VMA before P never touches s
  const expr left = left_side && prev_ok && g.mL;
  expr right = right_side && n_has && g.e == n_start && g.mR;
  right = right && !(left && !g.anon_ok);
  const expr remove_middle = left_side && right_side;
  const expr refused = (!left && !right) || (remove_middle && g.close_middle);
  right = right && !(left && g.close_next);
  return z3::ite(refused, s.lit(0),
                 mc(left, right, remove_middle, !right_side, !left_side, s.lit(0)));
}

expr model_merge_case(const expr& l, const expr& r, const expr& ac, const expr& eia,
                      const expr& aip, const expr& like) {
  return merge_case<expr>(l, r, ac, eia, aip, like);
}

expr six_as_seven(const expr& l, const expr& r, const expr& ac, const expr& eia, const expr& aip,
                  const expr& like) {
  const expr c = merge_case<expr>(l, r, ac, eia, aip, like);
  return z3::ite(c == O::lit(like, 6), O::lit(like, 7), c);
}

std::vector<Query> decision_queries(Sym& s, const CaseFn& mc) {
  const Geo g = geometry(s);
  const Classes k = classes(g);
  std::vector<Query> q;
  auto one = [&](const expr& b) { return z3::ite(b, s.lit(1), s.lit(0)); };
  q.push_back({"the five situations partition vma_merge's preconditions", g.pre,
               one(k.fresh) + one(k.whole) + one(k.head) + one(k.tail) + one(k.inside) == s.lit(1)});
  q.push_back({"classic (v5.15) vma_merge picks the case of the table", g.pre,
               classic_case(s, g, mc) == spec_case(s, g, false)});
  q.push_back({"v6.18 vma_merge_new_range picks the case of the table", g.pre && g.c_new,
               v618_new_case(s, g, mc) == spec_case(s, g, true)});
  q.push_back({"v6.18 vma_merge_existing_range picks the case of the table",
               g.pre && (g.c_inA || g.c_inP), v618_existing_case(s, g, mc) == spec_case(s, g, true)});
  return q;
}

// ---- 3b: each case's result ----

struct PVma {
  expr start, end, pgoff;
};

// The file page of address x in a VMA (independent of the model: linear in the address).
expr file_page(const PVma& v, const expr& x) { return v.pgoff + z3::lshr(x - v.start, 12); }
expr in(const PVma& v, const expr& x) { return z3::ule(v.start, x) && z3::ult(x, v.end); }

// Commit one case as vma_merge.cpp commit_case does and check: the result covers exactly the
// pages of the inputs, stays sorted and non-overlapping, and every page keeps its file page.
// broken: case 6 committed as case 7 (prev grows over the middle only, next is removed).
std::vector<Query> case_result(Sym& s, int c, bool broken) {
  const Geo g = geometry(s);
  const PVma P{g.ps, g.pe, s.bv("prev_pgoff")}, A{g.as, g.ae, s.bv("area_pgoff")},
      X{g.xs, g.xe, s.bv("next_pgoff")};
  const expr pgoff = s.bv("range_pgoff");  // MergeProposal::pgoff
  const PVma R{g.s, g.e, pgoff};
  const expr x = s.bv("x");
  const bool fresh = c <= 3, on_A = c >= 5, on_P = c == 4;
  // The VMA after the range (the "next" that can take it): A for 1, 3, 4; X for 6, 8.
  const PVma& N = (c == 6 || c == 8) ? X : A;
  expr hyp = g.pre && spec_case(s, g, false) == lit_case(s, c);
  // What the table's case says about the geometry, stated flat so that Z3 can substitute the
  // equalities before it bit-blasts (checked to follow from the case by the first query).
  std::vector<expr> facts;
  switch (c) {
    case 1: facts = {g.hp, g.ha, g.pe == g.s, g.e == g.as}; break;
    case 2: facts = {g.hp, g.pe == g.s}; break;
    case 3: facts = {g.ha, g.e == g.as}; break;
    case 4: facts = {g.hp, g.ha, z3::ult(g.ps, g.s), g.e == g.pe, g.e == g.as}; break;
    case 5: facts = {g.hp, g.ha, g.pe == g.s, g.s == g.as, z3::ult(g.e, g.ae)}; break;
    case 6: facts = {g.hp, g.ha, g.hx, g.pe == g.s, g.s == g.as, g.e == g.ae, g.e == g.xs}; break;
    case 7: facts = {g.hp, g.ha, g.pe == g.s, g.s == g.as, g.e == g.ae}; break;
    case 8: facts = {g.ha, g.hx, g.s == g.as, g.e == g.ae, g.e == g.xs}; break;
  }
  const expr case_facts = s.all(facts);
  const Query facts_follow{"case " + std::to_string(c) + ": the geometry the table implies", hyp,
                           case_facts};
  hyp = hyp && case_facts;
  // pgoff continuity, as can_merge_side checks it (pgoff_continues), for the sides that merge.
  const bool left_merges = c == 1 || c == 2 || c == 5 || c == 6 || c == 7;
  const bool right_merges = c == 1 || c == 3 || c == 4 || c == 6 || c == 8;
  if (left_merges) hyp = hyp && pgoff_continues<expr>(P.pgoff, P.start, P.end, pgoff);
  if (right_merges) hyp = hyp && pgoff_continues<expr>(pgoff, g.s, g.e, N.pgoff);
  // An existing range's proposal pgoff is its first page's in the VMA holding it (mprotect.cpp).
  if (on_A) hyp = hyp && pgoff == pgoff_at<expr>(A.pgoff, A.start, g.s);
  if (on_P) hyp = hyp && pgoff == pgoff_at<expr>(P.pgoff, P.start, g.s);
  // Page-aligned bounds (vm_start / vm_end always are).
  for (const expr& b : {g.ps, g.pe, g.as, g.ae, g.xs, g.xe, g.s, g.e}) hyp = hyp && s.page_aligned(b);

  // The inputs and, for each page, the VMA that held it.
  std::vector<PVma> before;
  if (c == 1 || c == 2 || c == 4 || c == 5 || c == 6 || c == 7) before.push_back(P);
  if (fresh) before.push_back(R);
  if (c == 1 || c == 3 || c == 4 || c >= 5) before.push_back(A);
  if (c == 6 || c == 8) before.push_back(X);
  // What commit_case leaves.
  std::vector<PVma> after;
  switch (c) {
    case 1: after = {{P.start, A.end, P.pgoff}}; break;
    case 2: after = {{P.start, g.e, P.pgoff}}; break;
    case 3: after = {{g.s, A.end, pgoff_below<expr>(A.pgoff, A.start, g.s)}}; break;
    case 4: after = {{P.start, g.s, P.pgoff}, {g.s, A.end, pgoff_below<expr>(A.pgoff, A.start, g.s)}}; break;
    case 5: after = {{P.start, g.e, P.pgoff}, {g.e, A.end, pgoff_at<expr>(A.pgoff, A.start, g.e)}}; break;
    case 6: after = {{P.start, broken ? A.end : X.end, P.pgoff}}; break;
    case 7: after = {{P.start, A.end, P.pgoff}}; break;
    case 8: after = {{A.start, X.end, pgoff_below<expr>(X.pgoff, X.start, A.start)}}; break;
  }
  // Coverage: a page is in some input iff it is in some result (the inputs are disjoint by the
  // preconditions, the results by the next query).
  expr covered_before = s.ff(), covered_after = s.ff();
  for (const PVma& b : before) covered_before = covered_before || in(b, x);
  for (const PVma& a : after) covered_after = covered_after || in(a, x);
  // Order: the results are non-empty, and they and the VMAs around that the case leaves alone
  // (P, A, X where they exist and are not inputs) do not overlap.
  std::vector<std::pair<PVma, expr>> final_vmas;
  expr order = s.tt();
  for (const PVma& a : after) {
    final_vmas.push_back({a, s.tt()});
    order = order && z3::ult(a.start, a.end);
  }
  const bool p_in = c == 1 || c == 2 || c == 4 || c == 5 || c == 6 || c == 7;
  const bool a_in = c != 2;
  const bool x_in = c == 6 || c == 8;
  if (!p_in) final_vmas.push_back({P, g.hp});
  if (!a_in) final_vmas.push_back({A, g.ha});
  if (!x_in) final_vmas.push_back({X, g.hx});
  for (std::size_t i = 0; i < final_vmas.size(); ++i)
    for (std::size_t j = i + 1; j < final_vmas.size(); ++j) {
      const PVma& u = final_vmas[i].first;
      const PVma& w = final_vmas[j].first;
      order = order && z3::implies(final_vmas[i].second && final_vmas[j].second,
                                   z3::ule(u.end, w.start) || z3::ule(w.end, u.start));
    }
  hyp = hyp && s.page_aligned(x);
  const std::string n = "case " + std::to_string(c);
  std::vector<Query> q{facts_follow,
                       {n + ": results non-empty, not overlapping each other or the VMAs around", hyp, order},
                       {n + ": result covers exactly the input pages", hyp,
                        covered_before == covered_after}};
  // File pages: for each input that held the page and each result that holds it now.
  for (std::size_t i = 0; i < before.size(); ++i)
    for (std::size_t j = 0; j < after.size(); ++j)
      q.push_back({n + ": a page of input " + std::to_string(i + 1) + " in result " +
                       std::to_string(j + 1) + " keeps its file page",
                   hyp && in(before[i], x) && in(after[j], x),
                   file_page(before[i], x) == file_page(after[j], x)});
  return q;
}

// ---- 4: split ----

// vma_adjust.cpp split_vma_nocheck: [start, end) pgoff p -> [start, addr) pgoff p and
// [addr, end) pgoff pgoff_at(p, start, addr). Every address keeps its file offset.
std::vector<Query> split_query(Sym& s, bool broken) {
  const expr start = s.bv("vm_start"), end = s.bv("vm_end"), pgoff = s.bv("vm_pgoff");
  const expr addr = s.bv("split_addr"), x = s.bv("x");
  const expr hyp = s.page_aligned(start) && s.page_aligned(end) && s.page_aligned(addr) &&
                   z3::ult(start, addr) && z3::ult(addr, end);
  expr upper_pgoff = pgoff_at<expr>(pgoff, start, addr);
  if (broken) upper_pgoff = upper_pgoff + s.lit(1);
  const PVma whole{start, end, pgoff}, lower{start, addr, pgoff}, upper{addr, end, upper_pgoff};
  // The byte offset in the file: pgoff * PAGE_SIZE + (x - vm_start), modulo 2^64.
  auto offset = [&](const PVma& v) { return z3::shl(v.pgoff, s.lit(12)) + (x - v.start); };
  return {{"the pieces partition the VMA", hyp,
           (in(whole, x) == (in(lower, x) || in(upper, x))) && !(in(lower, x) && in(upper, x))},
          {"an address of the lower piece keeps its file offset", hyp && in(lower, x),
           offset(lower) == offset(whole) && file_page(lower, x) == file_page(whole, x)},
          {"an address of the upper piece keeps its file offset", hyp && in(upper, x),
           offset(upper) == offset(whole) && file_page(upper, x) == file_page(whole, x)}};
}

}  // namespace

std::vector<Proof> merge_proofs() {
  std::vector<Proof> v;
  v.push_back(Proof{
      "3.case", "merge_case: situations partition the preconditions; the table's case",
      "vma_merge.hpp merge_case (inputs as vma_merge.cpp derives them, classic and v6.18)",
      [](Sym& s) { return decision_queries(s, model_merge_case); }, "case 6 resolved as case 7",
      [](Sym& s) { return decision_queries(s, six_as_seven); }});
  v.push_back(Proof{
      "3.result", "each case covers the inputs exactly, sorted, every page keeps its pgoff",
      "vma_merge.hpp pgoff_continues, pgoff_at, pgoff_below (geometry of commit_case)",
      [](Sym& s) {
        std::vector<Query> q;
        for (int c = 1; c <= 8; ++c)
          for (Query& x : case_result(s, c, false)) q.push_back(x);
        return q;
      },
      "case 6 committed as case 7",
      [](Sym& s) { return case_result(s, 6, true); }});
  v.push_back(Proof{
      "4.split", "split_vma: the pieces cover the VMA, every address keeps its file offset",
      "vma_merge.hpp pgoff_at (as vma_adjust.cpp split_vma_nocheck uses it)",
      [](Sym& s) {
        std::vector<Query> q;
        for (Query& x : split_query(s, false)) q.push_back(x);
        return q;
      },
      "upper piece's pgoff off by one",
      [](Sym& s) { return split_query(s, true); }});
  return v;
}

}  // namespace mmspec::proofs
