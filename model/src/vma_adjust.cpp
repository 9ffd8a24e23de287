#include "mmspec/vma_adjust.hpp"

#include "mmspec/vma_merge.hpp"

namespace mmspec {

// mm/mmap.c __split_vma (v5.15); mm/vma.c __split_vma (v6.18)
int split_vma_nocheck(Mm& mm, Vma* vma, Addr addr, Vma** upper_out) {
  if (vma->kind == VmaKind::special) {  // special_mapping_split
    MMSPEC_NOTE(mm, EventKind::split, "split of special mapping " + vma_str(*vma) + " refused: EINVAL");
    return -EINVAL;
  }
  if ((vma->vm_flags & VM_HUGETLB) && (addr & (PMD_SIZE - 1))) {  // hugetlb_vm_op_split
    MMSPEC_NOTE(mm, EventKind::split, "split of hugetlb " + vma_str(*vma) + " off a huge page boundary: EINVAL");
    return -EINVAL;
  }
  Vma upper = *vma;  // the copy shares file, flags, anon_vma and the whole chain
  upper.vm_start = addr;
  upper.vm_pgoff = pgoff_at<Addr>(vma->vm_pgoff, vma->vm_start, addr);
  mm.vmas.adjust(vma, vma->vm_start, addr);
  Vma* inserted = mm.vmas.insert(upper);
  if (vma->kind == VmaKind::shmem) mm.world->inodes[mm.world->file(vma->vm_file)->inode - 1].map_refs++;
  if (upper_out) *upper_out = inserted;
  mm.map_count++;
  if (mm.narrating())
    MMSPEC_NOTE(mm, EventKind::split, "split at " + hex(addr) + ": " + vma_str(*vma) + " + " + vma_str(upper));
  return 0;
}

// mm/mmap.c split_vma (v5.15); mm/vma.c split_vma (v6.18)
int split_vma(Mm& mm, Vma* vma, Addr addr, Vma** upper) {
  if (mm.map_count >= mm.cfg.sysctl.max_map_count) {
    MMSPEC_NOTE(mm, EventKind::split, "split at " + hex(addr) + " refused: map_count " +
                                  std::to_string(mm.map_count) + " >= max_map_count: ENOMEM");
    return -ENOMEM;
  }
  return split_vma_nocheck(mm, vma, addr, upper);
}

ModifiedVma vma_modify_flags(Mm& mm, Vma* vma, Addr start, Addr end, VmFlags flags) {
  MergeProposal p;
  p.start = start;
  p.end = end;
  p.pgoff = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT);
  p.flags = flags;
  p.file = vma->vm_file;
  p.anon_vma = vma->anon_vma;
  p.anon_name = vma->anon_name;
  p.src = vma;
  if (Vma* merged = vma_merge_existing(mm, mm.vmas.prev(vma), vma, p)) return {merged, 0};
  if (start != vma->vm_start)
    if (int e = split_vma(mm, vma, start, &vma)) return {vma, e};
  if (end != vma->vm_end)
    if (int e = split_vma(mm, vma, end)) return {vma, e};
  return {vma, 0};
}

}  // namespace mmspec
