// mprotect: per-VMA loop of do_mprotect_pkey and mprotect_fixup (merge first, else split).
#include <algorithm>

#include "mmspec/accounting.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/vma_adjust.hpp"

namespace mmspec {
namespace {

// mm/mprotect.c mprotect_fixup (v5.15, v6.18). [start, end) lies inside `vma`; *pprev is the
// VMA before the range (or vma itself when the range starts inside it). On success *pprev is
// the VMA that now covers the range.
int mprotect_fixup(Mm& mm, Vma* vma, Vma** pprev, Addr start, Addr end, VmFlags newflags) {
  const VmFlags oldflags = vma->vm_flags;
  const std::uint64_t nrpages = (end - start) >> PAGE_SHIFT;
  std::uint64_t charged = 0;
  if (mm.mseal() && (oldflags & VM_SEALED)) return -EPERM;
  if (newflags == oldflags) {
    *pprev = vma;
    return 0;
  }
  if (newflags & VM_WRITE) {
    if (!may_expand_vm(mm, newflags, nrpages) && may_expand_vm(mm, oldflags, nrpages)) {
      MMSPEC_NOTE(mm, EventKind::account, "becoming writable data would exceed RLIMIT_DATA: ENOMEM");
      return -ENOMEM;
    }
    if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) {
      charged = nrpages;
      if (vm_enough_memory(mm, charged)) {
        MMSPEC_NOTE(mm, EventKind::account, "overcommit refused the charge: ENOMEM");
        return -ENOMEM;
      }
      newflags |= VM_ACCOUNT;
      MMSPEC_NOTE(mm, EventKind::flags, "private range becomes writable: charged, VM_ACCOUNT set");
    }
  } else if (mm.mprotect_unaccounts_unfaulted() && (oldflags & VM_ACCOUNT) && vma->is_anonymous() && !vma->anon_vma) {
    // 6.18: a never-written anonymous range that loses write access gives its charge back.
    newflags &= ~VM_ACCOUNT;
    MMSPEC_NOTE(mm, EventKind::flags, "never-written anonymous range loses write: VM_ACCOUNT dropped");
  }

  const ModifiedVma m = vma_modify_flags(mm, vma, start, end, newflags);
  if (m.error) {
    if (charged) vm_unacct_memory(mm, charged);
    return m.error;
  }
  Vma* target = m.vma;
  target->vm_flags = newflags;
  *pprev = target;
  if ((oldflags & VM_ACCOUNT) && !(newflags & VM_ACCOUNT)) vm_unacct_memory(mm, nrpages);
  // A locked private range that becomes writable is pre-COWed (populate with write faults).
  if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
    mm_populate(mm, start, end - start);
  vm_stat_account(mm, oldflags, -static_cast<std::int64_t>(nrpages));
  vm_stat_account(mm, newflags, static_cast<std::int64_t>(nrpages));
  if (mm.narrating())
    MMSPEC_NOTE(mm, EventKind::flags, "[" + hex(start) + "-" + hex(end) + ") now {" +
                                  vm_flags_mnemonics(newflags) + "} in " + vma_str(*target));
  return 0;
}

}  // namespace

// mm/mprotect.c do_mprotect_pkey (v5.15, v6.18), pkey -1.
SysRet sys_mprotect(Mm& mm, Addr start, std::uint64_t len, std::uint64_t prot) {
  const std::uint64_t grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  prot &= ~static_cast<std::uint64_t>(PROT_GROWSDOWN | PROT_GROWSUP);
  if (grows == (PROT_GROWSDOWN | PROT_GROWSUP)) {
    MMSPEC_NOTE(mm, EventKind::check, "PROT_GROWSDOWN and PROT_GROWSUP together: EINVAL");
    return -EINVAL;
  }
  if (!page_aligned(start)) {
    MMSPEC_NOTE(mm, EventKind::check, "start not page aligned: EINVAL");
    return -EINVAL;
  }
  if (len == 0) {
    MMSPEC_NOTE(mm, EventKind::check, "length 0: nothing to do");
    return 0;
  }
  len = page_align(len);
  Addr end = start + len;
  if (end <= start) {
    MMSPEC_NOTE(mm, EventKind::check, "range wraps: ENOMEM");
    return -ENOMEM;
  }
  if (prot & ~static_cast<std::uint64_t>(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) {
    MMSPEC_NOTE(mm, EventKind::check, "unknown protection bits: EINVAL");
    return -EINVAL;
  }
  Vma* vma = mm.vmas.find_vma_intersection(start, end);
  if (!vma) {
    MMSPEC_NOTE(mm, EventKind::check, "no VMA in the range: ENOMEM");
    return -ENOMEM;
  }
  if (grows & PROT_GROWSDOWN) {
    start = vma->vm_start;
    if (!(vma->vm_flags & VM_GROWSDOWN)) {
      MMSPEC_NOTE(mm, EventKind::check, "PROT_GROWSDOWN on a VMA without VM_GROWSDOWN: EINVAL");
      return -EINVAL;
    }
  } else {
    if (vma->vm_start > start) {
      MMSPEC_NOTE(mm, EventKind::check, "start is not mapped: ENOMEM");
      return -ENOMEM;
    }
    if (grows & PROT_GROWSUP) {  // no VM_GROWSUP on x86
      MMSPEC_NOTE(mm, EventKind::check, "PROT_GROWSUP on x86: EINVAL");
      return -EINVAL;
    }
  }
  Vma* prev = start > vma->vm_start ? vma : mm.vmas.prev(vma);
  Addr nstart = start;
  Addr tmp = vma->vm_start;
  int error = 0;
  const VmFlags prot_bits = ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
                            ((prot & PROT_EXEC) ? VM_EXEC : 0);
  while (vma && vma->vm_start < end) {
    if (vma->vm_start != tmp) {
      MMSPEC_NOTE(mm, EventKind::check, "hole at " + hex(tmp) + ": ENOMEM (earlier VMAs already changed)");
      error = -ENOMEM;
      break;
    }
    const VmFlags newflags = prot_bits | (vma->vm_flags & ~VM_ACCESS_FLAGS);
    if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
      MMSPEC_NOTE(mm, EventKind::check, "protection beyond the VM_MAY* rights of " + vma_str(*vma) + ": EACCES");
      error = -EACCES;
      break;
    }
    tmp = std::min(vma->vm_end, end);
    error = mprotect_fixup(mm, vma, &prev, nstart, tmp, newflags);
    if (error) break;
    tmp = prev->vm_end;
    nstart = tmp;
    vma = mm.vmas.next(prev);
  }
  if (!error && tmp < end) {
    MMSPEC_NOTE(mm, EventKind::check, "range ends in a hole: ENOMEM");
    error = -ENOMEM;
  }
  return error;
}

}  // namespace mmspec
