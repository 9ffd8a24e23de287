// mremap: argument checks, shrink in place, growth in place, and the move (copy_vma + unmap of
// the source) with or without MREMAP_FIXED.
//
//   shrink         [addr ......... addr+old)  ->  [addr .. addr+new)   the tail is unmapped
//   grow in place  [vma ..... end)  free  ->  [vma ........ end+delta)  (6.1/6.18: may merge next)
//   move           copy_vma at the destination (may merge there), then munmap the source;
//                  the charge (VM_ACCOUNT) moves with the pages.
#include <cerrno>
#include <string>

#include "mmspec/accounting.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/unmapped_area.hpp"
#include "mmspec/vma_merge.hpp"

namespace mmspec {
namespace {

SysRet fail(const Mm& mm, int e, const char* why) {
  if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::check, std::string(why));
  return -e;
}

// mm/mremap.c vma_to_resize (v5.15, v6.1), check_prep_vma (v6.18): the checks on the VMA at
// addr for a range that will be mapped anew (old_len is already the kept length).
int check_resize(Mm& mm, const Vma* vma, Addr addr, std::uint64_t old_len, std::uint64_t new_len) {
  if (!vma) return static_cast<int>(fail(mm, EFAULT, "no VMA at the old address: EFAULT"));
  if (mm.mseal() && (vma->vm_flags & VM_SEALED)) return static_cast<int>(fail(mm, EPERM, "sealed VMA: EPERM"));
  if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
    return static_cast<int>(fail(mm, EINVAL, "old_len 0 duplicates only shared mappings: EINVAL"));
  if (!mm.mremap_checks_first() && (vma->vm_flags & VM_HUGETLB))
    return static_cast<int>(fail(mm, EINVAL, "hugetlb VMA: EINVAL"));
  if (old_len > vma->vm_end - addr)
    return static_cast<int>(fail(mm, EFAULT, "old range goes past the end of its VMA: EFAULT"));
  if (new_len == old_len) return 0;
  const PgOff pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
  if (pgoff + (new_len >> PAGE_SHIFT) < pgoff) return static_cast<int>(fail(mm, EINVAL, "pgoff wraps: EINVAL"));
  if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
    return static_cast<int>(fail(mm, EFAULT, "VM_DONTEXPAND or VM_PFNMAP VMA cannot grow: EFAULT"));
  if (new_len > old_len) {
    if (!mlock_future_ok(mm, vma->vm_flags, new_len - old_len))
      return static_cast<int>(fail(mm, EAGAIN, "locked VMA would exceed RLIMIT_MEMLOCK: EAGAIN"));
    if (!may_expand_vm(mm, vma->vm_flags, (new_len - old_len) >> PAGE_SHIFT))
      return static_cast<int>(fail(mm, ENOMEM, "RLIMIT_AS/RLIMIT_DATA exceeded: ENOMEM"));
  }
  return 0;
}

// mm/mremap.c move_vma (v5.15, v6.1, v6.18) with mm/mmap.c copy_vma (v5.15, v6.1) /
// mm/vma.c copy_vma (v6.18). [addr, addr+old_len) lies in the VMA at addr; the destination
// [new_addr, new_addr+new_len) is free.
SysRet move_vma(Mm& mm, Addr addr, std::uint64_t old_len, std::uint64_t new_len, Addr new_addr) {
  if (mm.map_count >= mm.cfg.sysctl.max_map_count - 3)
    return fail(mm, ENOMEM, "map_count near vm.max_map_count: ENOMEM");
  Vma* vma = mm.vmas.find_vma(addr);
  const Vma src = *vma;
  std::uint64_t charged = 0;
  if ((src.vm_flags & VM_ACCOUNT) && new_len > old_len) {
    charged = (new_len - old_len) >> PAGE_SHIFT;
    if (vm_enough_memory(mm, charged)) return fail(mm, ENOMEM, "overcommit refused the growth: ENOMEM");
  }
  PgOff pgoff = src.vm_pgoff + ((addr - src.vm_start) >> PAGE_SHIFT);
  if (src.is_anonymous() && !src.anon_vma) {
    pgoff = new_addr >> PAGE_SHIFT;  // never faulted: the pages are found by address
    MMSPEC_NOTE(mm, EventKind::check, "unfaulted anonymous VMA: the copy takes pgoff from its new address");
  }
  Vma* prev = nullptr;
  Vma* next = mm.vmas.find_vma_prev(new_addr, &prev);
  MergeProposal p;
  p.start = new_addr;
  p.end = new_addr + new_len;
  p.pgoff = pgoff;
  p.flags = src.vm_flags;
  p.file = src.vm_file;
  p.anon_vma = src.anon_vma;
  p.anon_name = src.anon_name;
  p.src = vma;
  Vma* nv = (prev || next || mm.classic()) ? vma_merge_new(mm, prev, next, p) : nullptr;
  if (!nv) {
    Vma v = src;
    v.vm_start = new_addr;
    v.vm_end = new_addr + new_len;
    v.vm_pgoff = pgoff;
    nv = mm.vmas.insert(v);
    mm.map_count++;
    if (v.kind == VmaKind::shmem) mm.world->inodes[mm.world->file(v.vm_file)->inode - 1].map_refs++;
    if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::insert, "moved to new VMA " + vma_str(*nv));
  } else if (mm.narrating()) {
    MMSPEC_NOTE(mm, EventKind::adjust, "moved range merged at the destination: " + vma_str(*nv));
  }
  vm_stat_account(mm, src.vm_flags, static_cast<std::int64_t>(new_len >> PAGE_SHIFT));

  // Hide VM_ACCOUNT from the unmap of the source: its charge now belongs to the copy.
  vma = mm.vmas.find_vma(addr);
  const Addr vstart = vma->vm_start, vend = vma->vm_end;
  const bool account = (src.vm_flags & VM_ACCOUNT) != 0;
  if (account) vma->vm_flags &= ~VM_ACCOUNT;
  if (old_len) {
    if (do_munmap(mm, addr, addr + old_len) < 0) {
      if (account) vma->vm_flags |= VM_ACCOUNT;  // the charge of the old range stays
    }
  }
  if (account) {
    if (vstart < addr) mm.vmas.find_vma(vstart)->vm_flags |= VM_ACCOUNT;
    if (addr + old_len < vend) mm.vmas.find_vma(addr + old_len)->vm_flags |= VM_ACCOUNT;
  }
  if (src.vm_flags & VM_LOCKED) {
    mm.locked_vm += new_len >> PAGE_SHIFT;
    if (new_len > old_len) mm_populate(mm, new_addr + old_len, new_len - old_len);
  }
  return static_cast<SysRet>(new_addr);
}

// mm/mremap.c vma_expandable (v5.15, v6.1, v6.18)
bool vma_expandable(Mm& mm, const Vma& vma, std::uint64_t delta) {
  const Addr end = vma.vm_end + delta;
  if (end < vma.vm_end) return false;
  if (mm.vmas.find_vma_intersection(vma.vm_end, end)) return false;
  return !is_err(get_unmapped_area(mm, 0, vma.vm_start, end - vma.vm_start, 0, MAP_FIXED, 0));
}

// mm/mremap.c SYSCALL_DEFINE5(mremap) growth part (v5.15, v6.1), expand_vma (v6.18): in place
// when the VMA ends at the old range's end and the space after it is free, else a move.
SysRet grow(Mm& mm, Vma* vma, Addr addr, std::uint64_t old_len, std::uint64_t new_len,
            std::uint64_t flags) {
  const std::uint64_t delta = new_len - old_len;
  const std::uint64_t pages = delta >> PAGE_SHIFT;
  if (old_len == vma->vm_end - addr && vma_expandable(mm, *vma, delta)) {
    if ((vma->vm_flags & VM_ACCOUNT) && vm_enough_memory(mm, pages))
      return fail(mm, ENOMEM, "overcommit refused the growth: ENOMEM");
    const Addr ext = vma->vm_end;
    Vma* grown = nullptr;
    if (mm.mremap_lookup_and_merge() && !(mm.classic() && vma->close_hook)) {
      MergeProposal p;
      p.start = ext;
      p.end = ext + delta;
      p.pgoff = vma->vm_pgoff + ((ext - vma->vm_start) >> PAGE_SHIFT);
      p.flags = vma->vm_flags;
      p.file = vma->vm_file;
      p.anon_vma = vma->anon_vma;
      p.anon_name = vma->anon_name;
      grown = vma_merge_new(mm, vma, mm.vmas.next(vma), p);
      if (!grown) {
        if (vma->vm_flags & VM_ACCOUNT) vm_unacct_memory(mm, pages);
        return fail(mm, ENOMEM, "the extension does not merge: ENOMEM");
      }
    } else {
      mm.vmas.adjust(vma, vma->vm_start, ext + delta);
      grown = vma;
    }
    if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::adjust, "grown in place: " + vma_str(*grown));
    vm_stat_account(mm, grown->vm_flags, static_cast<std::int64_t>(pages));
    if (grown->vm_flags & VM_LOCKED) {
      mm.locked_vm += pages;
      mm_populate(mm, addr + old_len, delta);
    }
    return static_cast<SysRet>(addr);
  }
  if (!(flags & MREMAP_MAYMOVE)) return fail(mm, ENOMEM, "cannot grow in place and no MREMAP_MAYMOVE: ENOMEM");
  const PgOff pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
  const int map_flags = (vma->vm_flags & VM_MAYSHARE) ? MAP_SHARED : 0;
  const SysRet r = get_unmapped_area(mm, vma->vm_file, 0, new_len, pgoff, map_flags, 0);
  if (is_err(r)) return r;
  MMSPEC_NOTE(mm, EventKind::check, "cannot grow in place: moving to " + hex(static_cast<Addr>(r)));
  return move_vma(mm, addr, old_len, new_len, static_cast<Addr>(r));
}

// mm/mremap.c mremap_to (v5.15, v6.1, v6.18): MREMAP_FIXED. The parameter checks are done.
SysRet mremap_to(Mm& mm, Addr addr, std::uint64_t old_len, std::uint64_t new_len, Addr new_addr) {
  if (int e = do_munmap(mm, new_addr, new_addr + new_len)) return e;
  MMSPEC_NOTE(mm, EventKind::check, "destination [" + hex(new_addr) + "-" + hex(new_addr + new_len) + ") unmapped");
  if (mm.mremap_checks_first() && !mm.vmas.find_vma_intersection(addr, addr + 1))
    return fail(mm, EFAULT, "the old VMA went with the destination: EFAULT");
  if (old_len > new_len) {
    const int e = do_munmap(mm, addr + new_len, addr + old_len);
    if (e) return e;
    old_len = new_len;
  } else if (old_len == new_len) {
    // nothing to shrink
  }
  Vma* vma = mm.vmas.find_vma_intersection(addr, addr + 1);
  if (!mm.mremap_checks_first())
    if (int e = check_resize(mm, vma, addr, old_len, new_len)) return e;
  const PgOff pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
  const int map_flags = MAP_FIXED | ((vma->vm_flags & VM_MAYSHARE) ? MAP_SHARED : 0);
  const SysRet r = get_unmapped_area(mm, vma->vm_file, new_addr, new_len, pgoff, map_flags, 0);
  if (is_err(r)) return r;
  return move_vma(mm, addr, old_len, new_len, static_cast<Addr>(r));
}

// mm/mremap.c remap_move (v6.18): a pure move (MREMAP_FIXED, old_len == new_len) takes every
// VMA in [addr, addr+len), each clipped to the range, and keeps the gaps between them at the
// destination. No gap is allowed at the start; a range that meets no VMA is EFAULT. Every file
// here is shmem, so every VMA may be moved in a batch (vma_multi_allowed).
SysRet remap_move(Mm& mm, Addr addr, std::uint64_t len, Addr new_addr) {
  const Addr end = addr + len;
  SysRet res = -EFAULT;
  bool seen = false;
  Addr cursor = addr, last_end = 0, target = new_addr;
  while (Vma* vma = mm.vmas.find_vma_intersection(cursor, end)) {
    if (!seen && addr < vma->vm_start) return fail(mm, EFAULT, "no VMA at the start of the range: EFAULT");
    const Addr from = vma->vm_start > addr ? vma->vm_start : addr;
    const std::uint64_t piece = (vma->vm_end < end ? vma->vm_end : end) - from;
    const Addr to = target + (seen ? vma->vm_start - last_end : 0);
    last_end = vma->vm_end;
    if (int e = check_resize(mm, vma, from, piece, piece)) return e;
    const SysRet r = mremap_to(mm, from, piece, piece, to);
    if (is_err(r)) return r;
    if (!seen) res = r;
    if (mm.narrating())
      MMSPEC_NOTE(mm, EventKind::check, "moved [" + hex(from) + "-" + hex(from + piece) + ") to " + hex(static_cast<Addr>(r)));
    seen = true;
    target = static_cast<Addr>(r) + piece;
    cursor = from + piece;
  }
  if (!seen) return fail(mm, EFAULT, "no VMA in the range: EFAULT");
  return res;
}

}  // namespace

// mm/mremap.c SYSCALL_DEFINE5(mremap) (v5.15, v6.1), do_mremap and check_mremap_params (v6.18)
SysRet sys_mremap(Mm& mm, Addr addr, std::uint64_t old_len, std::uint64_t new_len,
                  std::uint64_t flags, Addr new_addr) {
  const bool fixed = flags & MREMAP_FIXED;
  if (flags & ~static_cast<std::uint64_t>(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
    return fail(mm, EINVAL, "unknown flags: EINVAL");
  if (flags & MREMAP_DONTUNMAP) return fail(mm, ENOSYS, "MREMAP_DONTUNMAP is not modelled");
  if (!mm.mremap_checks_first() && fixed && !(flags & MREMAP_MAYMOVE))
    return fail(mm, EINVAL, "MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL");
  if (!page_aligned(addr)) return fail(mm, EINVAL, "old address not page aligned: EINVAL");
  old_len = page_align(old_len);
  new_len = page_align(new_len);
  if (!new_len) return fail(mm, EINVAL, "new_len 0: EINVAL");
  const Addr task_size = mm.layout.task_size;
  const auto dest_checks = [&]() -> SysRet {
    if (mm.mremap_checks_first()) {
      if (new_addr > task_size - new_len) return fail(mm, EINVAL, "destination beyond TASK_SIZE: EINVAL");
      if (!page_aligned(new_addr)) return fail(mm, EINVAL, "new address not page aligned: EINVAL");
      if (!(flags & MREMAP_MAYMOVE)) return fail(mm, EINVAL, "MREMAP_FIXED without MREMAP_MAYMOVE: EINVAL");
    } else {
      if (!page_aligned(new_addr)) return fail(mm, EINVAL, "new address not page aligned: EINVAL");
      if (new_len > task_size || new_addr > task_size - new_len)
        return fail(mm, EINVAL, "destination beyond TASK_SIZE: EINVAL");
    }
    if (addr + old_len > new_addr && new_addr + new_len > addr)
      return fail(mm, EINVAL, "old and new ranges overlap: EINVAL");
    if (mm.map_count + 2 >= mm.cfg.sysctl.max_map_count - 3)
      return fail(mm, ENOMEM, "map_count near vm.max_map_count: ENOMEM");
    return 0;
  };

  if (mm.mremap_checks_first()) {
    if (new_len > task_size) return fail(mm, EINVAL, "new_len beyond TASK_SIZE: EINVAL");
    if (fixed)
      if (SysRet e = dest_checks()) return e;
    if (fixed && old_len == new_len) return remap_move(mm, addr, old_len, new_addr);
    Vma* vma = mm.vmas.find_vma_intersection(addr, addr + 1);
    if (!vma) return fail(mm, EFAULT, "no VMA at the old address: EFAULT");
    if (fixed || new_len > old_len)
      if (int e = check_resize(mm, vma, addr, new_len < old_len ? new_len : old_len, new_len)) return e;
    if (mm.mseal() && (vma->vm_flags & VM_SEALED)) return fail(mm, EPERM, "sealed VMA: EPERM");
    if (fixed) return mremap_to(mm, addr, old_len, new_len, new_addr);
    if (old_len == new_len) return static_cast<SysRet>(addr);
    if (new_len < old_len) {
      if (int e = do_munmap(mm, addr + new_len, addr + old_len)) return e;
      MMSPEC_NOTE(mm, EventKind::remove, "shrunk: tail [" + hex(addr + new_len) + "-" + hex(addr + old_len) + ") unmapped");
      return static_cast<SysRet>(addr);
    }
    return grow(mm, vma, addr, old_len, new_len, flags);
  }

  if (mm.mremap_lookup_and_merge() && !mm.vmas.find_vma_intersection(addr, addr + 1))
    return fail(mm, EFAULT, "no VMA at the old address: EFAULT");
  if (fixed) {
    if (SysRet e = dest_checks()) return e;
    return mremap_to(mm, addr, old_len, new_len, new_addr);
  }
  if (old_len >= new_len) {
    const int e = old_len == new_len ? 0 : do_munmap(mm, addr + new_len, addr + old_len);
    if (e) return e;
    if (old_len != new_len)
      MMSPEC_NOTE(mm, EventKind::remove, "shrunk: tail [" + hex(addr + new_len) + "-" + hex(addr + old_len) + ") unmapped");
    return static_cast<SysRet>(addr);
  }
  Vma* vma = mm.vmas.find_vma_intersection(addr, addr + 1);
  if (int e = check_resize(mm, vma, addr, old_len, new_len)) return e;
  return grow(mm, vma, addr, old_len, new_len, flags);
}

}  // namespace mmspec
