// struct mm_struct and the world around it: the machine, sysctls, credentials, open files.
//
// An Mm owns its VMAs (a VmaTree, O(log n) for every lookup and update), the counters the
// kernel keeps (map_count, total_vm, data_vm, exec_vm, stack_vm, locked_vm), the program
// break and the layout (mmap_base, legacy base, top-down or bottom-up). Things shared between
// processes — files, inodes, the global overcommit counter, anon_vma identities — live in a
// World that forked Mms share.
//
// Invariants (invariants/validate_mm): map_count == number of VMAs; each counter equals the sum
// over VMAs of the pages of its class (vm_stat_account); VMAs sorted, disjoint, page aligned,
// inside [mmap_min_addr, task_size) (imported special VMAs aside).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mmspec/events.hpp"
#include "mmspec/layout.hpp"
#include "mmspec/types.hpp"
#include "mmspec/vma.hpp"
#include "mmspec/vma_tree.hpp"

namespace mmspec {

inline constexpr std::uint64_t RLIM_INFINITY = ~std::uint64_t{0};

struct Rlimits {  // soft limits, in bytes
  std::uint64_t as = RLIM_INFINITY;
  std::uint64_t data = RLIM_INFINITY;
  std::uint64_t memlock = 8ull << 20;
  std::uint64_t stack = 8ull << 20;
  std::uint64_t data_hard = RLIM_INFINITY;  // only the RLIMIT_DATA == 0 Valgrind rule reads it
};

struct Caps {  // the capabilities the model consults
  bool sys_rawio = true;   // mmap below vm.mmap_min_addr
  bool ipc_lock = true;    // RLIMIT_MEMLOCK does not apply
  bool sys_admin = true;   // overcommit admin reserve
  bool sys_resource = false;
};

struct Sysctl {
  std::uint64_t max_map_count = 65530;  // vm.max_map_count
  int overcommit_memory = 0;            // vm.overcommit_memory: 0 guess, 1 always, 2 never
  std::uint64_t overcommit_ratio = 50;
  std::uint64_t admin_reserve_kbytes = 8192;
  std::uint64_t user_reserve_kbytes = 131072;
};

struct Machine {
  std::uint64_t totalram_pages = (24ull << 30) >> PAGE_SHIFT;
  std::uint64_t total_swap_pages = 0;
  bool thp = true;  // CONFIG_TRANSPARENT_HUGEPAGE (6.18 aligns anonymous 2 MiB multiples)
  // CONFIG_MEM_SOFT_DIRTY: without it VM_SOFTDIRTY is 0 (include/linux/mm.h) and smaps never
  // shows "sd". Debian's kernels have it; some minimal kernels do not.
  bool soft_dirty = true;
};

// An inode the model knows: a trace file (memfd, shmem-backed), the shmem object behind a
// shared anonymous mapping, or a file imported from a live process's maps.
struct Inode {
  InodeId id = 0;
  std::uint64_t size = 0;
  std::string path;  // as /proc/PID/maps prints it
  std::uint32_t dev_major = 0, dev_minor = 0;
  std::uint64_t ino = 0;
  bool shmem = false;      // shmem/tmpfs (memfd, /dev/zero shared mappings)
  bool directory = false;  // no mmap operation: ENODEV
  bool hugetlb = false;    // hugetlbfs (2 MiB pages; the pool is empty: nothing can be reserved)
  // Shared anonymous objects: VMAs that map it and the pages shmem charged for it
  // (shmem_acct_size), given back when the last mapping goes.
  std::uint64_t map_refs = 0;
  std::uint64_t charged_pages = 0;
};

struct OpenFile {
  FileId id = 0;
  InodeId inode = 0;
  bool readable = true;
  bool writable = true;
};

// State shared by all processes of one run.
struct World {
  std::vector<Inode> inodes;     // index = id - 1
  std::vector<OpenFile> files;   // index = id - 1
  std::uint64_t committed = 0;   // vm_committed_as, pages
  AnonVmaId next_anon_vma = 1;
  std::uint64_t next_shmem_ino = 1000;

  InodeId create_inode(std::uint64_t size, std::string path, bool shmem);
  FileId open(InodeId inode, bool readable, bool writable);
  const OpenFile* file(FileId id) const;
  const Inode* inode(InodeId id) const;
  const Inode* inode_of(FileId id) const;
};

struct MmConfig {
  Profile profile = default_profile;
  LayoutParams layout;
  Rlimits rlimits;
  Caps caps;
  Sysctl sysctl;
  Machine machine;
};

class Mm {
 public:
  explicit Mm(const MmConfig& cfg = {}, std::shared_ptr<World> world = nullptr);

  Profile profile() const { return cfg.profile; }
  // The vma_merge / __vma_adjust generation (linux-5.10 and linux-6.1) as opposed to mm/vma.c.
  bool classic() const { return cfg.profile != Profile::linux_6_18; }
  // VMAs in the maple tree (6.1 on): gap searches run mas_empty_area(_rev) and retry for guard
  // gaps, instead of the rb_subtree_gap walk.
  bool maple_tree() const { return cfg.profile != Profile::linux_5_10; }
  // mmap_region merges a new range by vma_expand, checking next (with no anon_vma) before prev
  // (with next's anon_vma), instead of calling vma_merge (mm/mmap.c __mmap_region, v6.1).
  bool mmap_expands_next_first() const { return cfg.profile == Profile::linux_6_1; }
  // brk on the maple tree (mm/mmap.c brk and do_brk_flags, v6.1; mm/vma.c, v6.18): shrinking
  // needs a VMA between the new and the old break, growing only extends the VMA that ends at
  // the old break above start_brk (never vma_merge), after check_brk_limits.
  bool brk_maple() const { return cfg.profile != Profile::linux_5_10; }
  // mmap_region unmaps what the range replaces before the charge and the merge, so a refused
  // charge leaves a hole (mm/mmap.c mmap_region v5.15, __mmap_region v6.1; 6.18 gathers,
  // detaches and restores in mm/vma.c __mmap_region).
  bool mmap_unmaps_first() const { return cfg.profile != Profile::linux_6_18; }
  // munmap splits the VMA holding the end before it collects (mm/mmap.c __do_munmap, v5.15);
  // 6.1 (do_mas_align_munmap) and 6.18 split it while collecting. Not observable from user space.
  bool munmap_splits_end_first() const { return cfg.profile == Profile::linux_5_10; }
  // /proc/PID/maps labels [heap] inclusively, vm_start <= brk && vm_end >= start_brk
  // (fs/proc/task_mmu.c show_map_vma, v5.15, v6.1); 6.18 uses the strict vma_is_initial_heap.
  bool heap_label_inclusive() const { return cfg.profile != Profile::linux_6_18; }
  // The gap search never starts below mmap_min_addr (mm/vma.c unmapped_area(_topdown), v6.18);
  // v5.15 and v6.1 (mm/mmap.c unmapped_area(_topdown)) start at the caller's low limit.
  bool search_clamps_mmap_min_addr() const { return cfg.profile == Profile::linux_6_18; }
  // Private anonymous mappings of a PMD multiple are THP-aligned by __get_unmapped_area, and
  // anonymous mappings search with pgoff 0 (mm/mmap.c, v6.18; absent from v6.1 get_unmapped_area).
  bool thp_aligns_anon() const { return cfg.profile == Profile::linux_6_18; }
  // MAP_STACK sets VM_NOHUGEPAGE (include/linux/mman.h calc_vm_flag_bits, v6.18; not in v6.1).
  bool map_stack_nohugepage() const { return cfg.profile == Profile::linux_6_18; }
  // MAP_ABOVE4G: search from 4 GiB up, and a legacy flag MAP_SHARED_VALIDATE accepts
  // (arch/x86/kernel/sys_x86_64.c and include/linux/mman.h, v6.18; absent from v6.1).
  bool map_above4g() const { return cfg.profile == Profile::linux_6_18; }
  // MAP_DROPPABLE is a map type of its own (mm/mmap.c do_mmap, v6.18); older kernels refuse the
  // type with EINVAL (v6.1 do_mmap).
  bool map_droppable() const { return cfg.profile == Profile::linux_6_18; }
  // mseal and VM_SEALED (mm/mseal.c, v6.18; not in v6.1).
  bool mseal() const { return cfg.profile == Profile::linux_6_18; }
  // smaps VmFlags names VM_LOCKONFAULT "lf" (fs/proc/task_mmu.c show_smap_vma_flags, v6.18);
  // v5.15 and v6.1 have no name for that bit and print the table's default "??" (seen on
  // Debian's 5.10.0-32 and 6.1.0-56).
  bool smaps_names_lf() const { return cfg.profile == Profile::linux_6_18; }
  // populate_vma_page_range runs get_user_pages on a VM_LOCKONFAULT VMA too, only without
  // FOLL_POPULATE (mm/gup.c v5.15): a PROT_NONE one fails with -EFAULT, so mlock2(MLOCK_ONFAULT)
  // on it returns ENOMEM. From v6.1 (before: seen on Debian's 6.1.0-56) it returns at once.
  bool populate_checks_lockonfault() const { return cfg.profile == Profile::linux_5_10; }
  // MADV_REMOVE needs a shared mapping that may be written (vma_is_shared_maywrite, mm/madvise.c
  // v6.18); v5.15 needs it writable now (VM_SHARED and VM_WRITE). v6.1.141 reads like v5.15,
  // but Debian's 6.1.0-56 (6.1.192) answers like 6.18 (seen under qemu): a stable change.
  bool madv_remove_needs_maywrite() const { return cfg.profile != Profile::linux_5_10; }
  // mprotect gives back the charge (drops VM_ACCOUNT) of a never-written private anonymous VMA
  // that loses write access (mm/mprotect.c mprotect_fixup, v6.18; v6.1 keeps it).
  bool mprotect_unaccounts_unfaulted() const { return cfg.profile == Profile::linux_6_18; }

  // mremap looks the VMA up before it shrinks (EFAULT without one) and grows in place by
  // vma_merge, so the extension can merge with next (mm/mremap.c, v6.1; v6.18
  // vma_merge_extend); v5.15 shrinks without a lookup and grows with vma_adjust, never merging.
  bool mremap_lookup_and_merge() const { return cfg.profile != Profile::linux_5_10; }
  // mremap checks the VMA (check_prep_vma) before MREMAP_FIXED unmaps the destination, and
  // rejects a new_len above TASK_SIZE first (mm/mremap.c do_mremap, v6.18); v5.15 and v6.1
  // unmap the destination, then vma_to_resize may still fail.
  bool mremap_checks_first() const { return cfg.profile == Profile::linux_6_18; }

  MmConfig cfg;
  std::shared_ptr<World> world;
  VmaTree vmas;
  Layout layout;

  std::uint64_t map_count = 0;
  std::uint64_t total_vm = 0, data_vm = 0, exec_vm = 0, stack_vm = 0, locked_vm = 0;
  Addr start_brk = 0, brk = 0, start_data = 0, end_data = 0, start_stack = 0;
  bool brk_randomized = false;
  VmFlags def_flags = 0;

  // Optional narration of what the model did (explain); null = off, no cost.
  std::vector<Event>* events = nullptr;

  // Insert a VMA as-is (set-up and import of a live process's address space): counts it in
  // map_count and the counters. Returns null if it would overlap an existing VMA.
  Vma* import_vma(const Vma& v);

  void note(EventKind kind, std::string text) const {
    if (events) events->push_back(Event{kind, 0, std::move(text)});
  }
  bool narrating() const { return events != nullptr; }

  // VM_SOFTDIRTY as this kernel defines it (0 without CONFIG_MEM_SOFT_DIRTY).
  VmFlags vm_softdirty() const { return cfg.machine.soft_dirty ? VM_SOFTDIRTY : 0; }
};

}  // namespace mmspec

// Narrate only when someone listens: the text is not even built otherwise.
#define MMSPEC_NOTE(mm, kind, text)                  \
  do {                                               \
    if ((mm).narrating()) (mm).note((kind), (text)); \
  } while (0)
