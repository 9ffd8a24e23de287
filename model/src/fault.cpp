// User page faults at VMA level: find the VMA (growing a VM_GROWSDOWN one if needed), check the
// access against vm_flags, and run the parts of handle_mm_fault that VMAs can observe
// (anon_vma_prepare on the first write to a private mapping, SIGBUS past end of file).
#include "mmspec/accounting.hpp"
#include "mmspec/syscalls.hpp"

namespace mmspec {
namespace {

bool vma_is_accessible(const Vma& v) { return (v.vm_flags & VM_ACCESS_FLAGS) != 0; }

// mm/mmap.c anon_vma_compatible (v5.15); mm/vma.c (v6.18). `a` lies directly below `b`.
bool anon_vma_compatible(const Vma& a, const Vma& b) {
  return a.vm_end == b.vm_start && a.vm_file == b.vm_file &&
         !((a.vm_flags ^ b.vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) &&
         b.vm_pgoff == a.vm_pgoff + ((b.vm_start - a.vm_start) >> PAGE_SHIFT);
}

// mm/mmap.c reusable_anon_vma (v5.15); mm/vma.c (v6.18)
AnonVmaId reusable_anon_vma(const Vma& old, const Vma& a, const Vma& b) {
  if (anon_vma_compatible(a, b) && old.anon_vma && old.anon_vma_chain == 1) return old.anon_vma;
  return 0;
}

// Whether the page at addr of a file or shmem VMA lies beyond the end of its file, where a
// fault gets SIGBUS (mm/filemap.c filemap_fault / mm/shmem.c shmem_fault: index >= the file's
// pages).
bool beyond_eof(const Mm& mm, const Vma& vma, Addr addr) {
  if (vma.kind != VmaKind::file && vma.kind != VmaKind::shmem) return false;
  const Inode* ino = mm.world->inode_of(vma.vm_file);
  if (!ino) return false;
  const PgOff index = vma.vm_pgoff + ((addr - vma.vm_start) >> PAGE_SHIFT);
  return index >= (ino->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

// mm/mmap.c acct_stack_growth (v5.15); mm/vma.c (v6.18)
int acct_stack_growth(Mm& mm, const Vma& vma, std::uint64_t size, std::uint64_t grow) {
  if (!may_expand_vm(mm, vma.vm_flags, grow)) return -ENOMEM;
  if (size > mm.cfg.rlimits.stack) return -ENOMEM;
  if (!mlock_future_ok(mm, vma.vm_flags, grow << PAGE_SHIFT)) return -ENOMEM;
  if (vm_enough_memory(mm, grow)) return -ENOMEM;
  return 0;
}

// mm/mmap.c expand_downwards (v5.15); mm/vma.c expand_downwards (v6.18)
int expand_downwards(Mm& mm, Vma* vma, Addr address) {
  address &= PAGE_MASK;
  if (address < mm.cfg.layout.mmap_min_addr) {
    MMSPEC_NOTE(mm, EventKind::fault, "stack growth below mmap_min_addr: EPERM");
    return -EPERM;
  }
  if (const Vma* prev = mm.vmas.prev(vma)) {
    if (!(prev->vm_flags & VM_GROWSDOWN) && vma_is_accessible(*prev) &&
        address - prev->vm_end < mm.cfg.layout.stack_guard_gap) {
      MMSPEC_NOTE(mm, EventKind::fault, "stack growth into the guard gap above " + vma_str(*prev) + ": ENOMEM");
      return -ENOMEM;
    }
  }
  anon_vma_prepare(mm, *vma);
  if (address < vma->vm_start) {
    const std::uint64_t size = vma->vm_end - address;
    const std::uint64_t grow = (vma->vm_start - address) >> PAGE_SHIFT;
    if (grow > vma->vm_pgoff) {
      MMSPEC_NOTE(mm, EventKind::fault, "stack growth would make vm_pgoff negative: ENOMEM");
      return -ENOMEM;
    }
    if (int e = acct_stack_growth(mm, *vma, size, grow)) {
      MMSPEC_NOTE(mm, EventKind::fault, "stack growth refused by RLIMIT_STACK/RLIMIT_AS/overcommit: ENOMEM");
      return e;
    }
    if (vma->vm_flags & VM_LOCKED) mm.locked_vm += grow;
    vm_stat_account(mm, vma->vm_flags, static_cast<std::int64_t>(grow));
    vma->vm_pgoff -= grow;
    mm.vmas.adjust(vma, address, vma->vm_end);
    if (mm.narrating())
      MMSPEC_NOTE(mm, EventKind::fault, "stack grew by " + std::to_string(grow) + " pages to " + vma_str(*vma));
  }
  return 0;
}

}  // namespace

// mm/rmap.c __anon_vma_prepare, mm/mmap.c find_mergeable_anon_vma (v5.15); mm/vma.c (v6.18)
void anon_vma_prepare(Mm& mm, Vma& vma) {
  if (vma.anon_vma) return;
  AnonVmaId a = 0;
  if (const Vma* next = mm.vmas.next(&vma)) a = reusable_anon_vma(*next, vma, *next);
  if (!a)
    if (const Vma* prev = mm.vmas.prev(&vma)) a = reusable_anon_vma(*prev, *prev, vma);
  if (a) {
    MMSPEC_NOTE(mm, EventKind::fault, "anon_vma_prepare: shares the neighbour's anon_vma #" + std::to_string(a));
  } else {
    a = mm.world->next_anon_vma++;
    MMSPEC_NOTE(mm, EventKind::fault, "anon_vma_prepare: new anon_vma #" + std::to_string(a));
  }
  vma.anon_vma = a;
  vma.anon_vma_chain = 1;
}

// mm/gup.c __mm_populate, populate_vma_page_range (v5.15, v6.18)
int mm_populate(Mm& mm, Addr start, std::uint64_t len, bool ignore_errors) {
  const Addr end = start + len;
  for (Vma* v = mm.vmas.find_vma_intersection(start, end); v && v->vm_start < end; v = mm.vmas.next(v)) {
    if (v->vm_flags & (VM_IO | VM_PFNMAP)) continue;
    int error = 0;
    if (v->vm_flags & VM_LOCKONFAULT) {
      // No page is faulted in. v6.1 on return at once; v5.15 still runs get_user_pages, whose
      // VMA check refuses a PROT_NONE VMA (no FOLL_FORCE) with -EFAULT.
      if (!mm.populate_checks_lockonfault() || vma_is_accessible(*v)) continue;
      error = -EFAULT;
    } else if (!vma_is_accessible(*v)) {
      error = -EFAULT;  // populate_vma_page_range never faults PROT_NONE pages in
    } else {
      if ((v->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE && v->kind != VmaKind::special) {
        MMSPEC_NOTE(mm, EventKind::fault, "populate " + vma_str(*v) + " with write faults");
        anon_vma_prepare(mm, *v);  // at the first page's fault, also if that page fails
      }
      // get_user_pages stops at the first page the fault cannot bring in: beyond the file's
      // end. Pages go in order, so that is the case iff the range's last page is beyond it.
      if (beyond_eof(mm, *v, (end < v->vm_end ? end : v->vm_end) - PAGE_SIZE)) error = -EFAULT;
    }
    if (error) {
      MMSPEC_NOTE(mm, EventKind::fault, "populating " + vma_str(*v) + " fails (PROT_NONE or beyond the end of the file)" +
                                            (ignore_errors ? ": ignored" : ": EFAULT"));
      if (!ignore_errors) return error;
    }
  }
  return 0;
}

// arch/x86/mm/fault.c do_user_addr_fault, access_error; mm/memory.c handle_pte_fault (v5.15, v6.18)
FaultOutcome touch(Mm& mm, Addr addr, AccessKind access) {
  Vma* vma = mm.vmas.find_vma(addr);
  if (!vma || addr >= mm.layout.task_size) {
    MMSPEC_NOTE(mm, EventKind::fault, "no VMA at or above " + hex(addr) + ": SIGSEGV/SEGV_MAPERR");
    return FaultOutcome::segv_maperr;
  }
  if (vma->vm_start > addr) {
    if (!(vma->vm_flags & VM_GROWSDOWN)) {
      MMSPEC_NOTE(mm, EventKind::fault, hex(addr) + " is in the hole below " + vma_str(*vma) + ": SIGSEGV/SEGV_MAPERR");
      return FaultOutcome::segv_maperr;
    }
    if (expand_downwards(mm, vma, addr)) return FaultOutcome::segv_maperr;
  }
  // access_error: writes need VM_WRITE; reads and instruction fetches need an accessible VMA.
  // An instruction fetch from a page without VM_EXEC is handled as a read fault first (the page
  // is brought in, or SIGBUS), and then faults again on protection (NX): SEGV_ACCERR below.
  const bool denied = access == AccessKind::write ? !(vma->vm_flags & VM_WRITE)
                                                  : !vma_is_accessible(*vma);
  const bool nx = access == AccessKind::exec && !(vma->vm_flags & VM_EXEC);
  if (denied) {
    MMSPEC_NOTE(mm, EventKind::fault, "access not allowed by " + vma_str(*vma) + ": SIGSEGV/SEGV_ACCERR");
    return FaultOutcome::segv_accerr;
  }
  const bool private_cow = !(vma->vm_flags & VM_SHARED);
  if (access == AccessKind::write && private_cow && vma->kind != VmaKind::special)
    anon_vma_prepare(mm, *vma);  // do_anonymous_page / do_cow_fault / do_wp_page
  if (vma->vm_flags & VM_HUGETLB) {  // mm/hugetlb.c hugetlb_no_page: the pool is empty
    MMSPEC_NOTE(mm, EventKind::fault, "no huge page can be allocated: SIGBUS");
    return FaultOutcome::sigbus;
  }
  if (beyond_eof(mm, *vma, addr)) {
    MMSPEC_NOTE(mm, EventKind::fault, hex(addr) + " is beyond the end of the file: SIGBUS");
    return FaultOutcome::sigbus;
  }
  if (nx) {
    MMSPEC_NOTE(mm, EventKind::fault, "instruction fetch from " + vma_str(*vma) + " without VM_EXEC: the page is present now, the fetch faults on NX: SIGSEGV/SEGV_ACCERR");
    return FaultOutcome::segv_accerr;
  }
  MMSPEC_NOTE(mm, EventKind::fault, std::string(access == AccessKind::write ? "write" : access == AccessKind::exec ? "exec" : "read") + " at " + hex(addr) + " in " + vma_str(*vma) + ": ok");
  return FaultOutcome::ok;
}

}  // namespace mmspec
