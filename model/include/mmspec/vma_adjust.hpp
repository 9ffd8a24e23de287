// Splitting a VMA (and the boundary moves of __vma_adjust that are not merges).
//
//   split at addr, both pieces keep file, flags, anon_vma and chain:
//   [start ........ end) pgoff p   ->   [start, addr) pgoff p  +  [addr, end) pgoff p + (addr-start)/P
#pragma once

#include "mmspec/mm.hpp"

namespace mmspec {

// mm/mmap.c __split_vma (v5.15); mm/vma.c __split_vma (v6.18). No map_count check.
// vm_ops->may_split: special mappings refuse with -EINVAL. Returns 0 or -errno; `vma` keeps
// the lower part and *upper (if given) receives the new upper part.
int split_vma_nocheck(Mm& mm, Vma* vma, Addr addr, Vma** upper = nullptr);

// mm/mmap.c split_vma (v5.15); mm/vma.c split_vma (v6.18): -ENOMEM when map_count has
// reached vm.max_map_count (note >=), else __split_vma.
int split_vma(Mm& mm, Vma* vma, Addr addr, Vma** upper = nullptr);

// mm/vma.c vma_modify_flags (v6.18); in v5.15 the vma_merge-then-split steps that
// mprotect_fixup, mlock_fixup and madvise_behavior each take. [start, end) lies inside vma:
// merge the range, with vm_flags `flags`, into a neighbour if the profile's vma_merge allows,
// else split vma at start and at end. `vma` is the VMA that now covers exactly the range (the
// caller sets its flags), or, with an error (-errno from split_vma), what is left of the
// original.
struct ModifiedVma {
  Vma* vma;
  int error;
};
ModifiedVma vma_modify_flags(Mm& mm, Vma* vma, Addr start, Addr end, VmFlags flags);

}  // namespace mmspec
