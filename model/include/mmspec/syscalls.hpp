// The system calls and the memory access the model executes, with the kernel's arguments and
// return conventions: a non-negative result or -errno (brk returns the break, never an errno).
// File descriptors are the model's FileId values (World::open); -1 means none.
#pragma once

#include <cstdint>

#include "mmspec/mm.hpp"

namespace mmspec {

// arch/x86/kernel/sys_x86_64.c sys_mmap -> mm/mmap.c ksys_mmap_pgoff, do_mmap (v5.15, v6.18)
SysRet sys_mmap(Mm& mm, Addr addr, std::uint64_t len, std::uint64_t prot, std::uint64_t flags,
                std::int64_t fd, std::uint64_t off);
// mm/mmap.c __do_munmap (v5.15); mm/vma.c do_vmi_munmap (v6.18)
SysRet sys_munmap(Mm& mm, Addr addr, std::uint64_t len);
// mm/mprotect.c do_mprotect_pkey (v5.15, v6.18)
SysRet sys_mprotect(Mm& mm, Addr addr, std::uint64_t len, std::uint64_t prot);
// mm/mremap.c SYSCALL_DEFINE5(mremap) (v5.15, v6.1, v6.18). MREMAP_DONTUNMAP is not modelled:
// the model answers -ENOSYS for it (docs/deviations.md).
SysRet sys_mremap(Mm& mm, Addr addr, std::uint64_t old_len, std::uint64_t new_len,
                  std::uint64_t flags, Addr new_addr);
// mm/mlock.c SYSCALL_DEFINE3(mlock2), SYSCALL_DEFINE2(mlock) and SYSCALL_DEFINE2(munlock)
// (v5.15, v6.18): VM_LOCKED (mlock2 with MLOCK_ONFAULT: also VM_LOCKONFAULT) set or cleared on
// every VMA of the range, which must be mapped without holes; mlock then populates the range.
SysRet sys_mlock2(Mm& mm, Addr start, std::uint64_t len, std::uint64_t flags);
SysRet sys_mlock(Mm& mm, Addr start, std::uint64_t len);
SysRet sys_munlock(Mm& mm, Addr start, std::uint64_t len);
// mm/mlock.c SYSCALL_DEFINE1(mlockall), SYSCALL_DEFINE0(munlockall) (v5.15, v6.18):
// MCL_FUTURE sets VM_LOCKED (MCL_ONFAULT: and VM_LOCKONFAULT) in mm->def_flags for later
// mappings; MCL_CURRENT locks every VMA now (errors ignored) and populates the whole space.
SysRet sys_mlockall(Mm& mm, std::uint64_t flags);
SysRet sys_munlockall(Mm& mm);
// mm/madvise.c do_madvise (v5.15), madvise_do_behavior (v6.18), at VMA level: the advice that
// sets or clears vm_flags (NORMAL, RANDOM, SEQUENTIAL, DONTFORK, DOFORK, WIPEONFORK, KEEPONFORK,
// DONTDUMP, DODUMP, HUGEPAGE, NOHUGEPAGE) merges or splits like mprotect; WILLNEED, DONTNEED,
// FREE, REMOVE, COLD and PAGEOUT change no VMA but have their checks. A hole in the range gives
// ENOMEM after the rest was advised. Other advice values are EINVAL here (not modelled).
SysRet sys_madvise(Mm& mm, Addr start, std::uint64_t len, std::uint64_t advice);
// mm/mmap.c sys_brk (v5.15, v6.18)
SysRet sys_brk(Mm& mm, Addr brk);

// The munmap core shared with mmap (classic MAP_FIXED), brk and later mremap: the range is
// page aligned and non-empty. Returns 0 or -errno.
int do_munmap(Mm& mm, Addr start, Addr end);

enum class AccessKind : std::uint8_t { read, write, exec };
enum class FaultOutcome : std::uint8_t { ok, segv_maperr, segv_accerr, sigbus };

// arch/x86/mm/fault.c do_user_addr_fault + mm/memory.c handle_mm_fault (v5.15, v6.18), at VMA
// level: the outcome of one access, stack expansion of VM_GROWSDOWN VMAs, anon_vma_prepare on
// the first write to a private mapping.
FaultOutcome touch(Mm& mm, Addr addr, AccessKind access);

// mm/gup.c __mm_populate / populate_vma_page_range (v5.15, v6.18), at VMA level: faulting in
// a private writable range is a write fault per page, so such VMAs get their anon_vma;
// VM_IO/VM_PFNMAP and VM_LOCKONFAULT ranges are not touched. A PROT_NONE VMA, or a file page
// beyond the end of its file, fails with -EFAULT: with ignore_errors (mm_populate, MAP_POPULATE)
// the walk goes on with the next VMA, without (mlock) it stops there and returns -EFAULT.
int mm_populate(Mm& mm, Addr start, std::uint64_t len, bool ignore_errors = true);

// mm/rmap.c __anon_vma_prepare with find_mergeable_anon_vma (v5.15, v6.18)
void anon_vma_prepare(Mm& mm, Vma& vma);

}  // namespace mmspec
