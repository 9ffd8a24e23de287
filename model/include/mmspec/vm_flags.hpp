// vm_flags bits and the mmap/mprotect argument constants, with the values Linux uses on x86-64
// (include/linux/mm.h, include/uapi/asm-generic/mman*.h, arch/x86/include/uapi/asm/mman.h).
#pragma once

#include <cstdint>
#include <string>

namespace mmspec {

using VmFlags = std::uint64_t;

// include/linux/mm.h (v5.15 and v6.18 agree on these bit positions for x86-64)
inline constexpr VmFlags VM_NONE = 0;
inline constexpr VmFlags VM_READ = 0x00000001;
inline constexpr VmFlags VM_WRITE = 0x00000002;
inline constexpr VmFlags VM_EXEC = 0x00000004;
inline constexpr VmFlags VM_SHARED = 0x00000008;
inline constexpr VmFlags VM_MAYREAD = 0x00000010;
inline constexpr VmFlags VM_MAYWRITE = 0x00000020;
inline constexpr VmFlags VM_MAYEXEC = 0x00000040;
inline constexpr VmFlags VM_MAYSHARE = 0x00000080;
inline constexpr VmFlags VM_GROWSDOWN = 0x00000100;
inline constexpr VmFlags VM_UFFD_MISSING = 0x00000200;
inline constexpr VmFlags VM_PFNMAP = 0x00000400;
// Before 5.15 only (include/linux/mm.h v5.10; ELF and a.out images mapped with MAP_DENYWRITE).
inline constexpr VmFlags VM_DENYWRITE = 0x00000800;
inline constexpr VmFlags VM_UFFD_WP = 0x00001000;
inline constexpr VmFlags VM_LOCKED = 0x00002000;
inline constexpr VmFlags VM_IO = 0x00004000;
inline constexpr VmFlags VM_SEQ_READ = 0x00008000;
inline constexpr VmFlags VM_RAND_READ = 0x00010000;
inline constexpr VmFlags VM_DONTCOPY = 0x00020000;
inline constexpr VmFlags VM_DONTEXPAND = 0x00040000;
inline constexpr VmFlags VM_LOCKONFAULT = 0x00080000;
inline constexpr VmFlags VM_ACCOUNT = 0x00100000;
inline constexpr VmFlags VM_NORESERVE = 0x00200000;
inline constexpr VmFlags VM_HUGETLB = 0x00400000;
inline constexpr VmFlags VM_SYNC = 0x00800000;
inline constexpr VmFlags VM_ARCH_1 = 0x01000000;
inline constexpr VmFlags VM_WIPEONFORK = 0x02000000;
inline constexpr VmFlags VM_DONTDUMP = 0x04000000;
inline constexpr VmFlags VM_SOFTDIRTY = 0x08000000;
inline constexpr VmFlags VM_MIXEDMAP = 0x10000000;
inline constexpr VmFlags VM_HUGEPAGE = 0x20000000;
inline constexpr VmFlags VM_NOHUGEPAGE = 0x40000000;
inline constexpr VmFlags VM_MERGEABLE = 0x80000000;
inline constexpr VmFlags VM_DROPPABLE = VmFlags{1} << 40;  // 6.12+, MAP_DROPPABLE
inline constexpr VmFlags VM_SEALED = VmFlags{1} << 42;  // 6.10+, 64-bit only

inline constexpr VmFlags VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
inline constexpr VmFlags VM_STACK = VM_GROWSDOWN;
inline constexpr VmFlags VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
inline constexpr VmFlags VM_LOCKED_MASK = VM_LOCKED | VM_LOCKONFAULT;
inline constexpr VmFlags VM_DATA_DEFAULT_FLAGS =
    VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
inline constexpr VmFlags VM_STACK_FLAGS = VM_GROWSDOWN | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT;

// mmap/mprotect arguments (x86-64 uapi values).
inline constexpr int PROT_NONE = 0x0;
inline constexpr int PROT_READ = 0x1;
inline constexpr int PROT_WRITE = 0x2;
inline constexpr int PROT_EXEC = 0x4;
inline constexpr int PROT_SEM = 0x8;
inline constexpr int PROT_GROWSDOWN = 0x01000000;
inline constexpr int PROT_GROWSUP = 0x02000000;

inline constexpr int MAP_SHARED = 0x01;
inline constexpr int MAP_PRIVATE = 0x02;
inline constexpr int MAP_SHARED_VALIDATE = 0x03;
inline constexpr int MAP_TYPE = 0x0f;
inline constexpr int MAP_DROPPABLE = 0x08;
inline constexpr int MAP_FIXED = 0x10;
inline constexpr int MAP_ANONYMOUS = 0x20;
inline constexpr int MAP_32BIT = 0x40;
inline constexpr int MAP_ABOVE4G = 0x80;
inline constexpr int MAP_GROWSDOWN = 0x0100;
inline constexpr int MAP_DENYWRITE = 0x0800;
inline constexpr int MAP_EXECUTABLE = 0x1000;
inline constexpr int MAP_LOCKED = 0x2000;
inline constexpr int MAP_NORESERVE = 0x4000;
inline constexpr int MAP_POPULATE = 0x8000;
inline constexpr int MAP_NONBLOCK = 0x10000;
inline constexpr int MAP_STACK = 0x20000;
inline constexpr int MAP_HUGETLB = 0x40000;
inline constexpr int MAP_SYNC = 0x80000;
inline constexpr int MAP_FIXED_NOREPLACE = 0x100000;
inline constexpr int MAP_UNINITIALIZED = 0x4000000;
// madvise advice (include/uapi/asm-generic/mman-common.h)
inline constexpr int MADV_NORMAL = 0;
inline constexpr int MADV_RANDOM = 1;
inline constexpr int MADV_SEQUENTIAL = 2;
inline constexpr int MADV_WILLNEED = 3;
inline constexpr int MADV_DONTNEED = 4;
inline constexpr int MADV_FREE = 8;
inline constexpr int MADV_REMOVE = 9;
inline constexpr int MADV_DONTFORK = 10;
inline constexpr int MADV_DOFORK = 11;
inline constexpr int MADV_HUGEPAGE = 14;
inline constexpr int MADV_NOHUGEPAGE = 15;
inline constexpr int MADV_DONTDUMP = 16;
inline constexpr int MADV_DODUMP = 17;
inline constexpr int MADV_WIPEONFORK = 18;
inline constexpr int MADV_KEEPONFORK = 19;
inline constexpr int MADV_COLD = 20;
inline constexpr int MADV_PAGEOUT = 21;
// mlock2 flags (include/uapi/asm-generic/mman-common.h)
inline constexpr int MLOCK_ONFAULT = 0x01;
// mlockall flags (arch/x86: include/uapi/asm-generic/mman.h)
inline constexpr int MCL_CURRENT = 1;
inline constexpr int MCL_FUTURE = 2;
inline constexpr int MCL_ONFAULT = 4;
// mremap flags (include/uapi/linux/mman.h)
inline constexpr int MREMAP_MAYMOVE = 1;
inline constexpr int MREMAP_FIXED = 2;
inline constexpr int MREMAP_DONTUNMAP = 4;
// Flags a MAP_SHARED_VALIDATE file mapping accepts (include/linux/mman.h LEGACY_MAP_MASK).
inline constexpr int LEGACY_MAP_MASK = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS |
                                       MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED |
                                       MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |
                                       MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT |
                                       (21 << 26) /* MAP_HUGE_2MB */ | (30 << 26) /* MAP_HUGE_1GB */;
// v6.3+ adds MAP_ABOVE4G to the legacy mask on x86 (mm/mmap.c do_mmap uses it for 6.18).

// smaps "VmFlags:" mnemonics, in bit order as the kernel prints them
// (fs/proc/task_mmu.c show_smap_vma_flags).
// lockonfault_named false: VM_LOCKONFAULT prints as "??" (kernels before its name, v6.1 and older).
std::string vm_flags_mnemonics(VmFlags f, bool lockonfault_named = true);
// Bit for one two-letter mnemonic ("ac" -> VM_ACCOUNT); 0 if unknown.
VmFlags vm_flag_from_mnemonic(const std::string& m);

}  // namespace mmspec
