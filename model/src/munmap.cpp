#include "mmspec/munmap.hpp"

#include <utility>

#include "mmspec/accounting.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/vma_adjust.hpp"

namespace mmspec {

// mm/vma.c vms_gather_munmap_vmas (v6.18); mm/mmap.c __do_munmap (v5.15), do_mas_align_munmap (v6.1)
int munmap_gather(Mm& mm, Vma* first, Addr start, Addr end, MunmapGather& g) {
  g = MunmapGather{};
  g.start = start;
  g.end = end;
  if (start > first->vm_start) {
    // A hole punch needs one more VMA: refused at the limit (map_count may pass it briefly).
    if (end < first->vm_end && mm.map_count >= mm.cfg.sysctl.max_map_count) {
      MMSPEC_NOTE(mm, EventKind::split, "munmap would split " + vma_str(*first) +
                                    " in three at max_map_count: ENOMEM");
      return -ENOMEM;
    }
    if (mm.mseal() && (first->vm_flags & VM_SEALED)) return -EPERM;
    Vma* upper = nullptr;
    if (int e = split_vma_nocheck(mm, first, start, &upper)) return e;
    first = upper;
  }
  if (mm.munmap_splits_end_first()) {
    // v5.15 splits the VMA containing `end` before collecting.
    Vma* last = mm.vmas.find_vma(end);
    if (last && end > last->vm_start)
      if (int e = split_vma_nocheck(mm, last, end)) return e;
  }
  Vma* v = mm.munmap_splits_end_first() ? mm.vmas.find_vma(start) : first;
  for (; v && v->vm_start < end; v = mm.vmas.next(v)) {
    if (mm.mseal() && (v->vm_flags & VM_SEALED)) return -EPERM;
    if (v->vm_end > end)
      if (int e = split_vma_nocheck(mm, v, end)) return e;
    g.vmas.push_back(*v);
    g.nodes.push_back(v);
    g.nr_pages += v->npages();
    if (v->vm_flags & VM_LOCKED) g.locked += v->npages();
    if (v->vm_flags & VM_ACCOUNT) g.nr_accounted += v->npages();
  }
  return 0;
}

void munmap_detach(Mm& mm, const MunmapGather& g) {
  for (Vma* v : g.nodes) mm.vmas.erase(v);
}

void munmap_reattach(Mm& mm, const MunmapGather& g) {
  for (const Vma& v : g.vmas) mm.vmas.insert(v);
}

// mm/vma.c vms_complete_munmap_vmas (v6.18); mm/mmap.c remove_vma_list (v5.15)
void munmap_complete(Mm& mm, const MunmapGather& g) {
  for (const Vma& v : g.vmas) {
    vm_stat_account(mm, v.vm_flags, -static_cast<std::int64_t>(v.npages()));
    if (v.kind == VmaKind::shmem) {  // the shmem object goes with its last mapping
      Inode& in = mm.world->inodes[mm.world->file(v.vm_file)->inode - 1];
      if (in.map_refs && --in.map_refs == 0) vm_unacct_memory(mm, std::exchange(in.charged_pages, 0));
    }
    if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::remove, "unmapped " + vma_str(v));
  }
  mm.map_count -= g.vmas.size();
  mm.locked_vm -= g.locked;
  vm_unacct_memory(mm, g.nr_accounted);
}

// mm/mmap.c __do_munmap (v5.15); mm/vma.c do_vmi_align_munmap (v6.18)
int do_munmap(Mm& mm, Addr start, Addr end) {
  Vma* first = mm.vmas.find_vma_intersection(start, end);
  if (!first) return 0;
  MunmapGather g;
  if (int e = munmap_gather(mm, first, start, end, g)) return e;
  munmap_detach(mm, g);
  munmap_complete(mm, g);
  return 0;
}

// mm/mmap.c __do_munmap (v5.15); mm/vma.c do_vmi_munmap (v6.18)
SysRet sys_munmap(Mm& mm, Addr start, std::uint64_t len) {
  const Addr task_size = mm.layout.task_size;
  if (!page_aligned(start) || start > task_size || len > task_size - start) {
    MMSPEC_NOTE(mm, EventKind::check, "start unaligned or range beyond TASK_SIZE: EINVAL");
    return -EINVAL;
  }
  const Addr end = start + page_align(len);
  if (end == start) {
    MMSPEC_NOTE(mm, EventKind::check, "length 0: EINVAL");
    return -EINVAL;
  }
  return do_munmap(mm, start, end);
}

}  // namespace mmspec
