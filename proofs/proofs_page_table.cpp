// 5: page-table index decomposition (page_table.hpp) for 4- and 5-level paging.
#include <string>
#include <vector>

#include "mmspec/page_table.hpp"
#include "prover.hpp"

namespace mmspec::proofs {
namespace {

std::vector<Query> page_table_queries(Sym& s, const PagingMode& m, const std::string& name) {
  std::vector<Query> q;
  const expr a = s.bv("address");
  const PtIndices<expr> ix = pt_indices<expr>(a, m);
  const expr canonical = is_canonical_address<expr>(a, m);
  // Canonical addresses: the indices put them back together.
  q.push_back({name + ": pt_address(pt_indices(a)) == a for canonical a", canonical,
               pt_address<expr>(ix, m) == a});
  // Non-canonical ones are not translated: no index tuple gives them back.
  q.push_back({name + ": non-canonical a is never pt_address(pt_indices(a))", !canonical,
               pt_address<expr>(ix, m) != a});
  // Which addresses are canonical, stated independently: below 2^shift or at/above 2^64-2^shift.
  const std::uint64_t half = std::uint64_t{1} << m.virtual_mask_shift;
  q.push_back({name + ": canonical = lower half or upper half", s.tt(),
               canonical == (z3::ult(a, s.lit(half)) || z3::uge(a, s.lit(0 - half)))});
  // canonical_address() agrees with the kernel's ((s64)a << (64 - bits)) >> (64 - bits).
  const unsigned sh = 64 - (m.virtual_mask_shift + 1);
  q.push_back({name + ": canonical_address = the kernel's sign-extending shifts", s.tt(),
               canonical_address<expr>(a, m) == z3::ashr(z3::shl(a, s.lit(sh)), s.lit(sh))});
  // Every index tuple within the tables' sizes is the decomposition of exactly one canonical
  // address: pt_indices(pt_address(i)) == i (so pt_address is injective), and it is canonical.
  const PtIndices<expr> in{s.bv("pgd"), s.bv("p4d"), s.bv("pud"), s.bv("pmd"), s.bv("pte"),
                           s.bv("offset")};
  const expr ranges = z3::ult(in.pgd, s.lit(PTRS_PER_PGD)) && z3::ult(in.p4d, s.lit(m.ptrs_per_p4d)) &&
                      z3::ult(in.pud, s.lit(PTRS_PER_PUD)) && z3::ult(in.pmd, s.lit(PTRS_PER_PMD)) &&
                      z3::ult(in.pte, s.lit(PTRS_PER_PTE)) && z3::ult(in.offset, s.lit(PAGE_SIZE));
  const expr back = pt_address<expr>(in, m);
  const PtIndices<expr> again = pt_indices<expr>(back, m);
  q.push_back({name + ": pt_indices(pt_address(i)) == i, and pt_address(i) canonical", ranges,
               again.pgd == in.pgd && again.p4d == in.p4d && again.pud == in.pud &&
                   again.pmd == in.pmd && again.pte == in.pte && again.offset == in.offset &&
                   is_canonical_address<expr>(back, m)});
  // The indices are within their tables (the 4-level p4d index is always 0).
  q.push_back({name + ": every index within its table", s.tt(),
               z3::ult(ix.pgd, s.lit(PTRS_PER_PGD)) && z3::ult(ix.p4d, s.lit(m.ptrs_per_p4d)) &&
                   z3::ult(ix.pud, s.lit(PTRS_PER_PUD)) && z3::ult(ix.pmd, s.lit(PTRS_PER_PMD)) &&
                   z3::ult(ix.pte, s.lit(PTRS_PER_PTE)) && z3::ult(ix.offset, s.lit(PAGE_SIZE))});
  return q;
}

}  // namespace

std::vector<Proof> page_table_proofs() {
  std::vector<Proof> v;
  v.push_back(Proof{
      "5.pt", "page-table indices: bijection on canonical addresses, 4- and 5-level",
      "page_table.hpp pgd/p4d/pud/pmd/pte_index, page_offset, pt_indices, pt_address, "
      "canonical_address, is_canonical_address",
      [](Sym& s) {
        std::vector<Query> q = page_table_queries(s, PAGING_4LEVEL, "4-level");
        for (Query& x : page_table_queries(s, PAGING_5LEVEL, "5-level")) q.push_back(x);
        return q;
      },
      "5-level decomposition with PGDIR_SHIFT 47 instead of 48",
      [](Sym& s) {
        const PagingMode wrong{5, 47, 512, 56};
        std::vector<Query> q = page_table_queries(s, wrong, "5-level, PGDIR_SHIFT 47");
        return std::vector<Query>{q[0]};
      }});
  return v;
}

}  // namespace mmspec::proofs
