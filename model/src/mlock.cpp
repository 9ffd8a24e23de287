// mlock, mlock2 and munlock: set or clear VM_LOCKED (and VM_LOCKONFAULT) on a range, with the
// per-VMA merge-or-split of mlock_fixup, locked_vm accounting, and (for mlock) the populate
// that follows.
#include "mmspec/accounting.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/vma_adjust.hpp"

namespace mmspec {
namespace {

// mm/mlock.c mlock_fixup (v5.15; v6.18 with vma_modify_flags). [start, end) lies inside vma;
// *pprev is the VMA before the range (or vma itself when the range starts inside it). On
// return *pprev is the VMA that now covers the range (vma itself when nothing was done).
int mlock_fixup(Mm& mm, Vma* vma, Vma** pprev, Addr start, Addr end, VmFlags newflags) {
  const VmFlags oldflags = vma->vm_flags;
  // VM_SPECIAL mappings ([vdso], [vvar], VM_IO / VM_PFNMAP), and on 6.18 MAP_DROPPABLE ones, are
  // left alone and not counted. (hugetlb, DAX, secretmem and the gate VMA: none in the model.)
  if (newflags == oldflags || (oldflags & VM_SPECIAL) ||
      (mm.map_droppable() && (oldflags & VM_DROPPABLE))) {
    if (newflags != oldflags)
      MMSPEC_NOTE(mm, EventKind::flags, vma_str(*vma) + " is special: not locked, not counted");
    *pprev = vma;
    return 0;
  }
  const ModifiedVma m = vma_modify_flags(mm, vma, start, end, newflags);
  if (m.error) {
    *pprev = m.vma;
    return m.error;
  }
  Vma* target = m.vma;
  // Keep track of the locked pages: + when locking an unlocked range, - when unlocking.
  std::int64_t nr_pages = static_cast<std::int64_t>((end - start) >> PAGE_SHIFT);
  if (!(newflags & VM_LOCKED))
    nr_pages = -nr_pages;
  else if (oldflags & VM_LOCKED)
    nr_pages = 0;
  mm.locked_vm += static_cast<std::uint64_t>(nr_pages);
  target->vm_flags = newflags;
  *pprev = target;
  if (mm.narrating())
    MMSPEC_NOTE(mm, EventKind::flags, "[" + hex(start) + "-" + hex(end) + ") now {" +
                                          vm_flags_mnemonics(newflags) + "} in " +
                                          vma_str(*target));
  return 0;
}

// mm/mlock.c apply_vma_lock_flags (v5.15, v6.18). start and len are page aligned.
int apply_vma_lock_flags(Mm& mm, Addr start, std::uint64_t len, VmFlags flags) {
  const Addr end = start + len;
  if (end < start) {
    MMSPEC_NOTE(mm, EventKind::check, "range wraps: EINVAL");
    return -EINVAL;
  }
  if (end == start) return 0;
  Vma* vma = mm.vmas.find_vma(start);
  if (!vma || vma->vm_start > start) {
    MMSPEC_NOTE(mm, EventKind::check, "start is not mapped: ENOMEM");
    return -ENOMEM;
  }
  Vma* prev = start > vma->vm_start ? vma : mm.vmas.prev(vma);
  Addr nstart = start;
  Addr tmp = vma->vm_start;
  while (vma && vma->vm_start < end) {
    if (vma->vm_start != tmp) {
      MMSPEC_NOTE(mm, EventKind::check, "hole at " + hex(tmp) + ": ENOMEM (earlier VMAs already changed)");
      return -ENOMEM;
    }
    const VmFlags newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | flags;
    tmp = vma->vm_end < end ? vma->vm_end : end;
    if (int e = mlock_fixup(mm, vma, &prev, nstart, tmp, newflags)) return e;
    tmp = prev->vm_end;
    nstart = tmp;
    vma = mm.vmas.next(prev);
  }
  if (tmp < end) {
    MMSPEC_NOTE(mm, EventKind::check, "range ends in a hole: ENOMEM");
    return -ENOMEM;
  }
  return 0;
}

// mm/mlock.c count_mm_mlocked_page_nr (v5.15, v6.18): locked pages already inside the range.
std::uint64_t count_mm_mlocked_page_nr(const Mm& mm, Addr start, std::uint64_t len) {
  const Addr end = ~Addr{0} - len < start ? ~Addr{0} : start + len;
  std::uint64_t count = 0;
  for (const Vma* v = mm.vmas.find_vma_intersection(start, end); v && v->vm_start < end;
       v = mm.vmas.next(v)) {
    if (!(v->vm_flags & VM_LOCKED)) continue;
    if (start > v->vm_start) count -= start - v->vm_start;
    if (end < v->vm_end) {
      count += end - v->vm_start;
      break;
    }
    count += v->vm_end - v->vm_start;
  }
  return count >> PAGE_SHIFT;
}

// mm/mlock.c __mlock_posix_error_return (v5.15, v6.18)
int mlock_posix_error(int e) { return e == -EFAULT ? -ENOMEM : e == -ENOMEM ? -EAGAIN : e; }

// mm/mlock.c do_mlock (v5.15, v6.18)
SysRet do_mlock(Mm& mm, Addr start, std::uint64_t len, VmFlags flags) {
  if (!can_do_mlock(mm)) {
    MMSPEC_NOTE(mm, EventKind::check, "RLIMIT_MEMLOCK is 0 and no CAP_IPC_LOCK: EPERM");
    return -EPERM;
  }
  len = page_align(len + (start & ~PAGE_MASK));
  start &= PAGE_MASK;
  const std::uint64_t lock_limit = mm.cfg.rlimits.memlock >> PAGE_SHIFT;
  std::uint64_t locked = (len >> PAGE_SHIFT) + mm.locked_vm;
  if (locked > lock_limit && !mm.cfg.caps.ipc_lock) locked -= count_mm_mlocked_page_nr(mm, start, len);
  int error = -ENOMEM;
  if (locked <= lock_limit || mm.cfg.caps.ipc_lock)
    error = apply_vma_lock_flags(mm, start, len, flags);
  else
    MMSPEC_NOTE(mm, EventKind::account, "locking " + hex(len) + " bytes would exceed RLIMIT_MEMLOCK: ENOMEM");
  if (error) return error;
  if (int e = mm_populate(mm, start, len, /*ignore_errors=*/false)) {
    MMSPEC_NOTE(mm, EventKind::fault, "populating the locked range failed: " +
                                          std::string(mlock_posix_error(e) == -ENOMEM ? "ENOMEM" : "EAGAIN"));
    return mlock_posix_error(e);
  }
  return 0;
}

// mm/mlock.c apply_mlockall_flags (v5.15, v6.18)
void apply_mlockall_flags(Mm& mm, std::uint64_t flags) {
  mm.def_flags &= ~VM_LOCKED_MASK;
  if (flags & MCL_FUTURE) {
    mm.def_flags |= VM_LOCKED;
    if (flags & MCL_ONFAULT) mm.def_flags |= VM_LOCKONFAULT;
    MMSPEC_NOTE(mm, EventKind::flags, "later mappings get {" + vm_flags_mnemonics(mm.def_flags) + "}");
    if (!(flags & MCL_CURRENT)) return;
  }
  VmFlags to_add = 0;
  if (flags & MCL_CURRENT) {
    to_add |= VM_LOCKED;
    if (flags & MCL_ONFAULT) to_add |= VM_LOCKONFAULT;
  }
  // Every VMA from the lowest: mlock_fixup over the whole VMA; its errors are ignored.
  Vma* prev = nullptr;
  for (Vma* vma = mm.vmas.first(); vma; vma = mm.vmas.next(prev)) {
    const VmFlags newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | to_add;
    if (mlock_fixup(mm, vma, &prev, vma->vm_start, vma->vm_end, newflags)) prev = vma;
  }
}

}  // namespace

// mm/mlock.c SYSCALL_DEFINE1(mlockall) (v5.15, v6.18)
SysRet sys_mlockall(Mm& mm, std::uint64_t flags) {
  if (!flags || (flags & ~static_cast<std::uint64_t>(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) ||
      flags == MCL_ONFAULT) {
    MMSPEC_NOTE(mm, EventKind::check, "no flags, unknown flags or MCL_ONFAULT alone: EINVAL");
    return -EINVAL;
  }
  if (!can_do_mlock(mm)) {
    MMSPEC_NOTE(mm, EventKind::check, "RLIMIT_MEMLOCK is 0 and no CAP_IPC_LOCK: EPERM");
    return -EPERM;
  }
  const std::uint64_t lock_limit = mm.cfg.rlimits.memlock >> PAGE_SHIFT;
  if ((flags & MCL_CURRENT) && mm.total_vm > lock_limit && !mm.cfg.caps.ipc_lock) {
    MMSPEC_NOTE(mm, EventKind::account, "MCL_CURRENT with total_vm above RLIMIT_MEMLOCK: ENOMEM");
    return -ENOMEM;
  }
  apply_mlockall_flags(mm, flags);
  if (flags & MCL_CURRENT) mm_populate(mm, 0, mm.layout.task_size);
  return 0;
}

// mm/mlock.c SYSCALL_DEFINE0(munlockall) (v5.15, v6.18)
SysRet sys_munlockall(Mm& mm) {
  apply_mlockall_flags(mm, 0);
  return 0;
}

// mm/mlock.c SYSCALL_DEFINE3(mlock2) (v5.15, v6.18); mlock(2) is mlock2 with flags 0.
SysRet sys_mlock2(Mm& mm, Addr start, std::uint64_t len, std::uint64_t flags) {
  if (flags & ~static_cast<std::uint64_t>(MLOCK_ONFAULT)) {
    MMSPEC_NOTE(mm, EventKind::check, "unknown mlock2 flags: EINVAL");
    return -EINVAL;
  }
  return do_mlock(mm, start, len, (flags & MLOCK_ONFAULT) ? VM_LOCKED | VM_LOCKONFAULT : VM_LOCKED);
}

SysRet sys_mlock(Mm& mm, Addr start, std::uint64_t len) { return sys_mlock2(mm, start, len, 0); }

// mm/mlock.c SYSCALL_DEFINE2(munlock) (v5.15, v6.18)
SysRet sys_munlock(Mm& mm, Addr start, std::uint64_t len) {
  len = page_align(len + (start & ~PAGE_MASK));
  start &= PAGE_MASK;
  return apply_vma_lock_flags(mm, start, len, 0);
}

}  // namespace mmspec
