// x86-64 page-table index arithmetic: how a virtual address splits into the pgd / p4d / pud /
// pmd / pte indices and the offset in the page, how the indices put it back together, and which
// addresses are canonical -- for 4-level and 5-level (LA57) paging. The page tables themselves
// (frames, walk, faults) come later and use these functions.
//
//   4-level: 63..48 sign | 47..39 pgd | 38..30 pud | 29..21 pmd | 20..12 pte | 11..0 offset
//            (the p4d level is folded: PTRS_PER_P4D = 1, p4d index always 0)
//   5-level: 63..57 sign | 56..48 pgd | 47..39 p4d | 38..30 pud | 29..21 pmd | 20..12 pte | 11..0
//
// Sources (v6.18):
//   arch/x86/include/asm/pgtable_64_types.h  PGDIR_SHIFT (pgdir_shift: 39 or 48), PTRS_PER_PGD,
//       P4D_SHIFT, PTRS_PER_P4D (ptrs_per_p4d: 1 or 512), PUD_SHIFT, PMD_SHIFT, PTRS_PER_*
//   include/linux/pgtable.h                  pte_index, pmd_index, pud_index, pgd_index
//   arch/x86/include/asm/pgtable.h           p4d_index
//   include/linux/mm.h                       offset_in_page
//   arch/x86/include/asm/page.h              __canonical_address, __is_canonical_address
//   arch/x86/include/asm/page_64_types.h     __VIRTUAL_MASK_SHIFT (47, or 56 with LA57)
//
// Written once over the value type V (value.hpp) so that proofs/ checks the very same functions
// on Z3 (index decomposition and recomposition are inverse on canonical addresses, and only
// there). The paging mode is a plain value, not symbolic: the kernel fixes it at boot.
#pragma once

#include <cstdint>

#include "mmspec/types.hpp"
#include "mmspec/value.hpp"

namespace mmspec {

// arch/x86/include/asm/pgtable_64_types.h (v6.18): the fixed levels.
inline constexpr unsigned PMD_SHIFT = 21;
inline constexpr unsigned PUD_SHIFT = 30;
inline constexpr unsigned P4D_SHIFT = 39;
inline constexpr std::uint64_t PTRS_PER_PTE = 512;
inline constexpr std::uint64_t PTRS_PER_PMD = 512;
inline constexpr std::uint64_t PTRS_PER_PUD = 512;
inline constexpr std::uint64_t PTRS_PER_PGD = 512;

// What the kernel decides at boot from CR4.LA57 (arch/x86/kernel/head64.c pgdir_shift,
// ptrs_per_p4d; page_64_types.h __VIRTUAL_MASK_SHIFT).
struct PagingMode {
  unsigned levels;              // 4 or 5
  unsigned pgdir_shift;         // PGDIR_SHIFT
  std::uint64_t ptrs_per_p4d;   // PTRS_PER_P4D: 1 when the p4d level is folded
  unsigned virtual_mask_shift;  // __VIRTUAL_MASK_SHIFT: the highest implemented address bit
};

inline constexpr PagingMode PAGING_4LEVEL{4, 39, 1, 47};
inline constexpr PagingMode PAGING_5LEVEL{5, 48, 512, 56};

constexpr const PagingMode& paging_mode(bool la57) { return la57 ? PAGING_5LEVEL : PAGING_4LEVEL; }

// include/linux/pgtable.h pte_index (v6.18)
template <class V>
V pte_index(V a) {
  using O = Ops<V>;
  return O::lshr(a, PAGE_SHIFT) & O::lit(a, PTRS_PER_PTE - 1);
}

// include/linux/pgtable.h pmd_index (v6.18)
template <class V>
V pmd_index(V a) {
  using O = Ops<V>;
  return O::lshr(a, PMD_SHIFT) & O::lit(a, PTRS_PER_PMD - 1);
}

// include/linux/pgtable.h pud_index (v6.18)
template <class V>
V pud_index(V a) {
  using O = Ops<V>;
  return O::lshr(a, PUD_SHIFT) & O::lit(a, PTRS_PER_PUD - 1);
}

// arch/x86/include/asm/pgtable.h p4d_index (v6.18): always 0 when the level is folded.
template <class V>
V p4d_index(V a, const PagingMode& m) {
  using O = Ops<V>;
  return O::lshr(a, P4D_SHIFT) & O::lit(a, m.ptrs_per_p4d - 1);
}

// include/linux/pgtable.h pgd_index (v6.18)
template <class V>
V pgd_index(V a, const PagingMode& m) {
  using O = Ops<V>;
  return O::lshr(a, m.pgdir_shift) & O::lit(a, PTRS_PER_PGD - 1);
}

// include/linux/mm.h offset_in_page (v6.18)
template <class V>
V page_offset(V a) {
  using O = Ops<V>;
  return a & O::lit(a, PAGE_SIZE - 1);
}

// The five indices and the offset of an address, as a walk from mm->pgd uses them.
template <class V>
struct PtIndices {
  V pgd, p4d, pud, pmd, pte, offset;
};

template <class V>
PtIndices<V> pt_indices(V a, const PagingMode& m) {
  return PtIndices<V>{pgd_index(a, m), p4d_index(a, m), pud_index(a), pmd_index(a), pte_index(a),
                      page_offset(a)};
}

// arch/x86/include/asm/page.h __canonical_address (v6.18): the address with bit
// __VIRTUAL_MASK_SHIFT copied into every bit above it. The kernel writes this as
// ((s64)a << (64 - bits)) >> (64 - bits); here as (((a & low) + sign) & low) - sign (the sum
// flips the sign bit, the mask drops its carry), which needs neither an arithmetic shift nor
// xor (proofs/ checks that the two agree).
template <class V>
V canonical_address(V a, const PagingMode& m) {
  using O = Ops<V>;
  const std::uint64_t sign = std::uint64_t{1} << m.virtual_mask_shift;
  const std::uint64_t low = (sign << 1) - 1;
  return (((a & O::lit(a, low)) + O::lit(a, sign)) & O::lit(a, low)) - O::lit(a, sign);
}

// arch/x86/include/asm/page.h __is_canonical_address (v6.18): only canonical addresses are
// translated by the page tables; any other one raises #GP before a walk starts.
template <class V>
BoolOf<V> is_canonical_address(V a, const PagingMode& m) {
  return Ops<V>::eq(canonical_address(a, m), a);
}

// The address that the indices (each within its table, offset within the page) translate:
// the inverse of pt_indices() on canonical addresses.
template <class V>
V pt_address(const PtIndices<V>& i, const PagingMode& m) {
  using O = Ops<V>;
  const V raw = O::shl(i.pgd, m.pgdir_shift) | O::shl(i.p4d, P4D_SHIFT) |
                O::shl(i.pud, PUD_SHIFT) | O::shl(i.pmd, PMD_SHIFT) |
                O::shl(i.pte, PAGE_SHIFT) | i.offset;
  return canonical_address(raw, m);
}

}  // namespace mmspec
