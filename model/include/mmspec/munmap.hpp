// munmap's two halves, shared by munmap, MAP_FIXED replacement (6.18 __mmap_region) and brk:
// gather (split the boundary VMAs and collect what lies inside) and complete (remove them and
// release their pages from the counters).
#pragma once

#include <vector>

#include "mmspec/mm.hpp"

namespace mmspec {

struct MunmapGather {
  Addr start = 0, end = 0;
  std::vector<Vma> vmas;     // copies of the VMAs inside [start, end), in address order
  std::vector<Vma*> nodes;   // the same VMAs in the tree (valid until detached)
  std::uint64_t nr_pages = 0, locked = 0, nr_accounted = 0;
};

// mm/vma.c vms_gather_munmap_vmas (v6.18); the split part of mm/mmap.c __do_munmap (v5.15).
// `first` is the first VMA intersecting [start, end). Splits stay even when it fails.
int munmap_gather(Mm& mm, Vma* first, Addr start, Addr end, MunmapGather& g);

// Take the gathered VMAs out of the tree (they can be re-attached with munmap_reattach).
void munmap_detach(Mm& mm, const MunmapGather& g);
void munmap_reattach(Mm& mm, const MunmapGather& g);

// mm/vma.c vms_complete_munmap_vmas (v6.18); remove_vma_list (v5.15): counters and charge.
void munmap_complete(Mm& mm, const MunmapGather& g);

}  // namespace mmspec
