// mmap: argument checks in the kernel's order (do_mmap), then mmap_region.
#include "mmspec/accounting.hpp"
#include "mmspec/munmap.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/unmapped_area.hpp"
#include "mmspec/vma_merge.hpp"

namespace mmspec {
namespace {

constexpr std::uint64_t MAX_LFS_FILESIZE = 0x7fffffffffffffffull;

// include/linux/mman.h calc_vm_prot_bits (v5.15, v6.18); pkeys are not modelled.
VmFlags calc_vm_prot_bits(std::uint64_t prot) {
  VmFlags f = 0;
  if (prot & PROT_READ) f |= VM_READ;
  if (prot & PROT_WRITE) f |= VM_WRITE;
  if (prot & PROT_EXEC) f |= VM_EXEC;
  return f;
}

// include/linux/mman.h calc_vm_flag_bits (v5.15; v6.18 adds MAP_STACK -> VM_NOHUGEPAGE)
VmFlags calc_vm_flag_bits(const Mm& mm, std::uint64_t flags) {
  VmFlags f = 0;
  if (flags & MAP_GROWSDOWN) f |= VM_GROWSDOWN;
  if (flags & MAP_LOCKED) f |= VM_LOCKED;
  if (flags & MAP_SYNC) f |= VM_SYNC;
  if (mm.map_stack_nohugepage() && mm.cfg.machine.thp && (flags & MAP_STACK)) f |= VM_NOHUGEPAGE;
  return f;
}

// include/linux/mman.h LEGACY_MAP_MASK: what MAP_SHARED keeps and MAP_SHARED_VALIDATE accepts;
// MAP_ABOVE4G joined it in v6.3.
std::uint64_t legacy_map_mask(const Mm& mm) {
  return static_cast<std::uint64_t>(LEGACY_MAP_MASK) | (mm.map_above4g() ? MAP_ABOVE4G : 0);
}

// mm/mmap.c file_mmap_ok (v5.15, v6.18) for regular files and shmem.
bool file_mmap_ok(PgOff pgoff, std::uint64_t len) {
  std::uint64_t maxsize = MAX_LFS_FILESIZE;
  if (len > maxsize) return false;
  maxsize -= len;
  return pgoff <= (maxsize >> PAGE_SHIFT);
}

SysRet fail(const Mm& mm, int e, const char* why) {
  if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::check, std::string(why));
  return -e;
}

// The VMA a new mapping becomes when nothing merges: anonymous, shmem (shmem_zero_setup gives
// it a file of its own) or file. Only shmem can fail: its object is charged for its size
// (mm/shmem.c shmem_acct_size) unless VM_NORESERVE.
SysRet new_vma(Mm& mm, Addr addr, Addr end, VmFlags vm_flags, FileId file, PgOff pgoff, Vma& v) {
  v.vm_start = addr;
  v.vm_end = end;
  v.vm_flags = vm_flags;
  v.vm_pgoff = pgoff;
  if (file) {
    v.vm_file = file;
    v.kind = VmaKind::file;
  } else if (vm_flags & VM_SHARED) {
    // mm/shmem.c shmem_zero_setup: a new shmem object the size of the mapping.
    const std::uint64_t npages = (end - addr) >> PAGE_SHIFT;
    if (!(vm_flags & VM_NORESERVE) && vm_enough_memory(mm, npages)) {
      MMSPEC_NOTE(mm, EventKind::account, "shmem object of " + std::to_string(npages) +
                                              " pages refused by overcommit: ENOMEM");
      return -ENOMEM;
    }
    World& w = *mm.world;
    const InodeId ino = w.create_inode(end - addr, "/dev/zero (deleted)", true);
    Inode& in = w.inodes[ino - 1];
    in.dev_major = 0;
    in.dev_minor = 1;
    in.map_refs = 1;
    in.charged_pages = (vm_flags & VM_NORESERVE) ? 0 : npages;
    v.vm_file = w.open(ino, true, true);
    v.kind = VmaKind::shmem;
  } else {
    v.kind = VmaKind::anonymous;
  }
  return 0;
}

// mm/mmap.c mmap_region (v5.15), __mmap_region (v6.1); mm/vma.c __mmap_region (v6.18)
SysRet mmap_region(Mm& mm, FileId file, Addr addr, std::uint64_t len, VmFlags vm_flags,
                   PgOff pgoff) {
  const Addr end = addr + len;
  const Inode* fino = file ? mm.world->inode_of(file) : nullptr;
  const bool hugetlb = fino && fino->hugetlb;
  const std::uint64_t pglen = len >> PAGE_SHIFT;
  std::uint64_t charged = 0;
  MunmapGather g;
  g.start = addr;
  g.end = end;
  bool detached = false;

  if (mm.mmap_unmaps_first()) {
    if (!may_expand_vm(mm, vm_flags, pglen)) {
      std::uint64_t overlap = 0;
      for (const Vma* v = mm.vmas.find_vma_intersection(addr, end); v && v->vm_start < end;
           v = mm.vmas.next(v))
        overlap += (std::min(end, v->vm_end) - std::max(addr, v->vm_start)) >> PAGE_SHIFT;
      if (!may_expand_vm(mm, vm_flags, pglen - overlap))
        return fail(mm, ENOMEM, "RLIMIT_AS/RLIMIT_DATA exceeded: ENOMEM");
    }
    if (int e = do_munmap(mm, addr, end)) return e;
    if (accountable_mapping(vm_flags) && !hugetlb) {
      charged = pglen;
      if (vm_enough_memory(mm, charged))
        return fail(mm, ENOMEM, "overcommit refused the charge (old mapping already gone): ENOMEM");
      vm_flags |= VM_ACCOUNT;
    }
  } else {
    if (Vma* first = mm.vmas.find_vma_intersection(addr, end)) {
      if (int e = munmap_gather(mm, first, addr, end, g)) return e;
      munmap_detach(mm, g);
      detached = true;
    }
    if (!may_expand_vm(mm, vm_flags, pglen - g.nr_pages)) {
      if (detached) munmap_reattach(mm, g);
      return fail(mm, ENOMEM, "RLIMIT_AS/RLIMIT_DATA exceeded: ENOMEM (replaced VMAs restored)");
    }
    if (accountable_mapping(vm_flags) && !hugetlb) {
      charged = pglen - g.nr_accounted;
      if (charged && vm_enough_memory(mm, charged)) {
        if (detached) munmap_reattach(mm, g);
        return fail(mm, ENOMEM, "overcommit refused the charge: ENOMEM");
      }
      g.nr_accounted = 0;  // their charge moves to the new mapping
      vm_flags |= VM_ACCOUNT;
    }
    if (detached) munmap_complete(mm, g);
  }

  Vma* prev = nullptr;
  Vma* next = mm.vmas.find_vma_prev(addr, &prev);
  MergeProposal p;
  p.start = addr;
  p.end = end;
  p.pgoff = pgoff;
  p.flags = vm_flags;
  p.file = file;
  Vma* vma = (prev || next || mm.classic()) ? vma_merge_new(mm, prev, next, p) : nullptr;
  if (!vma && hugetlb) {
    // fs/hugetlbfs/inode.c hugetlbfs_file_mmap: VM_HUGETLB | VM_DONTEXPAND, then the huge
    // page reservation, which fails with the pool empty unless VM_NORESERVE. The replaced
    // mappings are already gone: the range is left empty.
    vm_flags |= VM_HUGETLB | VM_DONTEXPAND;
    if (!(vm_flags & VM_NORESERVE)) {
      if (charged) vm_unacct_memory(mm, charged);
      return fail(mm, ENOMEM, "hugetlb reservation failed (no huge pages in the pool): ENOMEM");
    }
  }
  if (!vma) {
    Vma v;
    if (SysRet e = new_vma(mm, addr, end, vm_flags, file, pgoff, v)) {
      if (charged) vm_unacct_memory(mm, charged);  // the replaced mappings are already gone
      return e;
    }
    vma = mm.vmas.insert(v);
    mm.map_count++;
    if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::insert, "new VMA " + vma_str(*vma));
  }
  // __mmap_complete / mmap_region's out: counters, VM_LOCKED, VM_SOFTDIRTY.
  vm_stat_account(mm, vma->vm_flags, static_cast<std::int64_t>(pglen));
  if (vma->vm_flags & VM_LOCKED) {
    if ((vma->vm_flags & VM_SPECIAL) || vma->kind == VmaKind::special)
      vma->vm_flags &= ~VM_LOCKED_MASK;
    else
      mm.locked_vm += pglen;
  }
  vma->vm_flags |= mm.vm_softdirty();
  return static_cast<SysRet>(addr);
}

}  // namespace

// arch/x86/kernel/sys_x86_64.c sys_mmap, mm/mmap.c ksys_mmap_pgoff and do_mmap (v5.15, v6.18)
SysRet sys_mmap(Mm& mm, Addr addr, std::uint64_t len, std::uint64_t prot, std::uint64_t flags,
                std::int64_t fd, std::uint64_t off) {
  if (off & ~PAGE_MASK) return fail(mm, EINVAL, "offset not page aligned: EINVAL");
  PgOff pgoff = off >> PAGE_SHIFT;
  FileId file = 0;
  World& w = *mm.world;
  if (!(flags & MAP_ANONYMOUS)) {
    if (fd < 0 || !w.file(static_cast<FileId>(fd))) return fail(mm, EBADF, "fd is not open: EBADF");
    file = static_cast<FileId>(fd);
    if (flags & MAP_HUGETLB) return fail(mm, EINVAL, "MAP_HUGETLB on a non-hugetlbfs file: EINVAL");
  } else if (flags & MAP_HUGETLB) {
    // mm/mmap.c ksys_mmap_pgoff: an anonymous hugetlbfs file of the default (2 MiB) page size;
    // other sizes (MAP_HUGE_SHIFT bits) are not modelled and refused like a missing hstate.
    const std::uint64_t size_log = (flags >> 26) & 0x3f;
    if (size_log != 0 && size_log != 21) return fail(mm, EINVAL, "no hstate for that huge page size: EINVAL");
    len = (len + PMD_SIZE - 1) & ~(PMD_SIZE - 1);
    const InodeId ino = w.create_inode(len, "/anon_hugepage (deleted)", false);
    w.inodes[ino - 1].hugetlb = true;
    file = w.open(ino, true, true);
  }
  // do_mmap
  if (len == 0) return fail(mm, EINVAL, "length 0: EINVAL");
  if (flags & MAP_FIXED_NOREPLACE) flags |= MAP_FIXED;
  if (!(flags & MAP_FIXED)) {  // round_hint_to_min
    addr &= PAGE_MASK;
    if (addr && addr < mm.cfg.layout.mmap_min_addr) addr = page_align(mm.cfg.layout.mmap_min_addr);
  }
  len = page_align(len);
  if (len == 0) return fail(mm, ENOMEM, "length overflows when page aligned: ENOMEM");
  if (pgoff + (len >> PAGE_SHIFT) < pgoff) return fail(mm, EOVERFLOW, "pgoff + pages wraps: EOVERFLOW");
  if (mm.map_count > mm.cfg.sysctl.max_map_count)
    return fail(mm, ENOMEM, "map_count above vm.max_map_count: ENOMEM");

  VmFlags vm_flags = calc_vm_prot_bits(prot) | calc_vm_flag_bits(mm, flags) | mm.def_flags |
                     VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  const SysRet r = get_unmapped_area(mm, file, addr, len, pgoff, static_cast<int>(flags), vm_flags);
  if (is_err(r)) return r;
  addr = static_cast<Addr>(r);
  if ((flags & MAP_FIXED_NOREPLACE) && mm.vmas.find_vma_intersection(addr, addr + len))
    return fail(mm, EEXIST, "MAP_FIXED_NOREPLACE and the range is in use: EEXIST");
  if ((flags & MAP_LOCKED) && !can_do_mlock(mm))
    return fail(mm, EPERM, "MAP_LOCKED with RLIMIT_MEMLOCK 0: EPERM");
  if (!mlock_future_ok(mm, vm_flags, len))
    return fail(mm, EAGAIN, "VM_LOCKED beyond RLIMIT_MEMLOCK: EAGAIN");

  const std::uint64_t type = flags & MAP_TYPE;
  if (file) {
    const OpenFile& f = *w.file(file);
    const Inode& ino = *w.inode(f.inode);
    if (!file_mmap_ok(pgoff, len)) return fail(mm, EOVERFLOW, "beyond the maximum file size: EOVERFLOW");
    switch (type) {
      case MAP_SHARED:
      case MAP_SHARED_VALIDATE:
        if (type == MAP_SHARED) flags &= legacy_map_mask(mm);
        if (flags & ~legacy_map_mask(mm))
          return fail(mm, EOPNOTSUPP, "MAP_SHARED_VALIDATE with an unknown flag: EOPNOTSUPP");
        if ((prot & PROT_WRITE) && !f.writable)
          return fail(mm, EACCES, "shared writable mapping of a file not open for writing: EACCES");
        vm_flags |= VM_SHARED | VM_MAYSHARE;
        if (!f.writable) vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
        [[fallthrough]];
      case MAP_PRIVATE:
        if (!f.readable) return fail(mm, EACCES, "file not open for reading: EACCES");
        if (ino.directory) return fail(mm, ENODEV, "file has no mmap operation: ENODEV");
        if (vm_flags & VM_GROWSDOWN) return fail(mm, EINVAL, "MAP_GROWSDOWN on a file: EINVAL");
        break;
      default:
        return fail(mm, EINVAL, "map type is not shared or private: EINVAL");
    }
  } else {
    switch (type) {
      case MAP_SHARED:
        if (vm_flags & VM_GROWSDOWN) return fail(mm, EINVAL, "shared anonymous MAP_GROWSDOWN: EINVAL");
        pgoff = 0;
        vm_flags |= VM_SHARED | VM_MAYSHARE;
        break;
      case MAP_DROPPABLE:
        if (!mm.map_droppable()) return fail(mm, EINVAL, "anonymous map type is not shared or private: EINVAL");
        if (flags & (MAP_LOCKED | MAP_HUGETLB)) return fail(mm, EINVAL, "MAP_DROPPABLE with MAP_LOCKED: EINVAL");
        if (vm_flags & VM_GROWSDOWN) return fail(mm, EINVAL, "MAP_DROPPABLE with MAP_GROWSDOWN: EINVAL");
        vm_flags |= VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP;
        pgoff = addr >> PAGE_SHIFT;
        break;
      case MAP_PRIVATE:
        pgoff = addr >> PAGE_SHIFT;
        break;
      default:
        return fail(mm, EINVAL, "anonymous map type is not shared or private: EINVAL");
    }
  }
  if (flags & MAP_NORESERVE) {
    if (mm.cfg.sysctl.overcommit_memory != 2) vm_flags |= VM_NORESERVE;
    if (file && w.inode_of(file)->hugetlb) vm_flags |= VM_NORESERVE;
  }
  const SysRet r2 = mmap_region(mm, file, addr, len, vm_flags, pgoff);
  // do_mmap's caller faults the range in for VM_LOCKED or MAP_POPULATE without MAP_NONBLOCK.
  if (!is_err(r2) && ((vm_flags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
    mm_populate(mm, addr, len);
  return r2;
}

}  // namespace mmspec
