// madvise at VMA level: the advice that sets or clears vm_flags (merge-or-split of each VMA in
// the range, as mprotect does), and the checks of the advice that works on pages (which change
// no VMA). Holes in the range do not stop the walk: they make the result ENOMEM at the end.
#include "mmspec/syscalls.hpp"
#include "mmspec/vma_adjust.hpp"

namespace mmspec {
namespace {

// mm/madvise.c madvise_behavior_valid (v5.15, v6.18), for the advice the model knows; the
// others (MADV_MERGEABLE / UNMERGEABLE, POPULATE_*, COLLAPSE, GUARD_*, HWPOISON) are outside it.
bool advice_known(std::uint64_t advice) {
  switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK: case MADV_DOFORK:
    case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
    case MADV_WIPEONFORK: case MADV_KEEPONFORK: case MADV_COLD: case MADV_PAGEOUT:
      return true;
    default:
      return false;
  }
}

// mm/madvise.c can_madv_lru_vma (v5.15, v6.18)
bool can_madv_lru_vma(const Vma& v) { return !(v.vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB)); }

// mm/madvise.c madvise_update_vma (v6.18; madvise_behavior's tail in v5.15): [start, end) lies
// in vma; merge with a neighbour or split, then set the flags. *pprev: the VMA before the range
// (vma itself when the range starts inside it); on return the VMA that covers the range.
int madvise_update_vma(Mm& mm, Vma* vma, Vma** pprev, Addr start, Addr end, VmFlags new_flags) {
  if (new_flags == vma->vm_flags) {
    *pprev = vma;
    return 0;
  }
  const ModifiedVma m = vma_modify_flags(mm, vma, start, end, new_flags);
  *pprev = m.vma;
  if (m.error) return m.error;
  Vma* target = m.vma;
  target->vm_flags = new_flags;
  *pprev = target;
  if (mm.narrating())
    MMSPEC_NOTE(mm, EventKind::flags, "[" + hex(start) + "-" + hex(end) + ") now {" +
                                          vm_flags_mnemonics(new_flags) + "} in " +
                                          vma_str(*target));
  return 0;
}

// mm/madvise.c madvise_vma_behavior (v6.18), madvise_vma + madvise_behavior (v5.15): one VMA.
int madvise_vma(Mm& mm, Vma* vma, Vma** pprev, Addr start, Addr end, std::uint64_t advice) {
  VmFlags f = vma->vm_flags;
  auto refuse = [&](int e, const char* why) {
    MMSPEC_NOTE(mm, EventKind::check, std::string(why) + " (" + vma_str(*vma) + ")");
    *pprev = vma;
    return e;
  };
  switch (advice) {
    case MADV_WILLNEED:
      *pprev = vma;
      return 0;
    case MADV_DONTNEED:
    case MADV_COLD:
    case MADV_PAGEOUT:
      if (!can_madv_lru_vma(*vma)) return refuse(-EINVAL, "locked, VM_PFNMAP or hugetlb: EINVAL");
      *pprev = vma;
      return 0;
    case MADV_FREE:
      if (!can_madv_lru_vma(*vma)) return refuse(-EINVAL, "locked, VM_PFNMAP or hugetlb: EINVAL");
      if (!vma->is_anonymous()) return refuse(-EINVAL, "MADV_FREE on a VMA that is not anonymous: EINVAL");
      *pprev = vma;
      return 0;
    case MADV_REMOVE: {
      if (f & VM_LOCKED) return refuse(-EINVAL, "MADV_REMOVE on a locked VMA: EINVAL");
      if (!vma->vm_file) return refuse(-EINVAL, "MADV_REMOVE without a file: EINVAL");
      // v6.18 (and Debian's 6.1) ask vma_is_shared_maywrite (VM_SHARED and VM_MAYWRITE); v5.15
      // VM_WRITE.
      const VmFlags need = VM_SHARED | (mm.madv_remove_needs_maywrite() ? VM_MAYWRITE : VM_WRITE);
      if ((f & need) != need) return refuse(-EACCES, "MADV_REMOVE on a mapping that is not shared and writable: EACCES");
      *pprev = vma;
      return 0;  // the pages are punched out of the file; no VMA changes
    }
    case MADV_NORMAL: f &= ~(VM_RAND_READ | VM_SEQ_READ); break;
    case MADV_SEQUENTIAL: f = (f & ~VM_RAND_READ) | VM_SEQ_READ; break;
    case MADV_RANDOM: f = (f & ~VM_SEQ_READ) | VM_RAND_READ; break;
    case MADV_DONTFORK: f |= VM_DONTCOPY; break;
    case MADV_DOFORK:
      if (f & VM_IO) return refuse(-EINVAL, "MADV_DOFORK on a VM_IO mapping: EINVAL");
      f &= ~VM_DONTCOPY;
      break;
    case MADV_WIPEONFORK:
      if (vma->vm_file || (f & VM_SHARED))
        return refuse(-EINVAL, "MADV_WIPEONFORK on a file or shared mapping: EINVAL");
      f |= VM_WIPEONFORK;
      break;
    case MADV_KEEPONFORK:
      if (mm.map_droppable() && (f & VM_DROPPABLE)) return refuse(-EINVAL, "MADV_KEEPONFORK on a droppable mapping: EINVAL");
      f &= ~VM_WIPEONFORK;
      break;
    case MADV_DONTDUMP: f |= VM_DONTDUMP; break;
    case MADV_DODUMP:
      if (!(f & VM_HUGETLB) && (f & VM_SPECIAL)) return refuse(-EINVAL, "MADV_DODUMP on a special mapping: EINVAL");
      if (mm.map_droppable() && (f & VM_DROPPABLE)) return refuse(-EINVAL, "MADV_DODUMP on a droppable mapping: EINVAL");
      f &= ~VM_DONTDUMP;
      break;
    // mm/khugepaged.c hugepage_madvise (v5.15, v6.18)
    case MADV_HUGEPAGE: f = (f & ~VM_NOHUGEPAGE) | VM_HUGEPAGE; break;
    case MADV_NOHUGEPAGE: f = (f & ~VM_HUGEPAGE) | VM_NOHUGEPAGE; break;
  }
  const int e = madvise_update_vma(mm, vma, pprev, start, end, f);
  return e == -ENOMEM ? -EAGAIN : e;  // "kernel resources temporarily unavailable"
}

}  // namespace

// mm/madvise.c do_madvise (v5.15), madvise_do_behavior + madvise_walk_vmas (v6.18)
SysRet sys_madvise(Mm& mm, Addr start, std::uint64_t len_in, std::uint64_t advice) {
  if (!advice_known(advice)) {
    MMSPEC_NOTE(mm, EventKind::check, "advice " + std::to_string(advice) + " is not valid (or not modelled): EINVAL");
    return -EINVAL;
  }
  if (!page_aligned(start)) {
    MMSPEC_NOTE(mm, EventKind::check, "start not page aligned: EINVAL");
    return -EINVAL;
  }
  const std::uint64_t len = page_align(len_in);
  if (len_in && !len) {
    MMSPEC_NOTE(mm, EventKind::check, "length rounds up to 0: EINVAL");
    return -EINVAL;
  }
  const Addr end = start + len;
  if (end < start) {
    MMSPEC_NOTE(mm, EventKind::check, "range wraps: EINVAL");
    return -EINVAL;
  }
  if (end == start) return 0;
  Vma* prev = nullptr;
  Vma* vma = mm.vmas.find_vma_prev(start, &prev);
  if (vma && start > vma->vm_start) prev = vma;
  int unmapped_error = 0;
  Addr at = start;
  for (;;) {
    if (!vma) {
      MMSPEC_NOTE(mm, EventKind::check, "no VMA from " + hex(at) + " on: ENOMEM");
      return -ENOMEM;
    }
    if (at < vma->vm_start) {
      // A hole: remembered, the walk goes on.
      MMSPEC_NOTE(mm, EventKind::check, "hole at " + hex(at) + ": ENOMEM at the end");
      unmapped_error = -ENOMEM;
      at = vma->vm_start;
      if (at >= end) break;
    }
    const Addr tmp = vma->vm_end < end ? vma->vm_end : end;
    if (int e = madvise_vma(mm, vma, &prev, at, tmp, advice)) return e;
    at = prev->vm_end > tmp ? prev->vm_end : tmp;
    if (at >= end) break;
    vma = mm.vmas.find_vma(at);
  }
  return unmapped_error;
}

}  // namespace mmspec
