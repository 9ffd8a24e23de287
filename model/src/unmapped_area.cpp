#include "mmspec/unmapped_area.hpp"

#include "mmspec/vm_flags.hpp"

namespace mmspec {
namespace {

constexpr Addr SZ_4G = Addr{1} << 32;

// mm/mmap.c vm_unmapped_area, unmapped_area(_topdown) (v5.15); mm/vma.c unmapped_area(_topdown)
// (v6.18): the search itself runs on the VMA tree's subtree gaps.
SysRet vm_unmapped_area(const Mm& mm, bool topdown, Addr length, Addr low, Addr high,
                        Addr align_mask, PgOff align_offset) {
  // 6.18 never searches below mmap_min_addr; the classic search starts at the caller's limit.
  if (mm.search_clamps_mmap_min_addr() && low < mm.cfg.layout.mmap_min_addr) low = mm.cfg.layout.mmap_min_addr;
  GapRequest r{length, low, high, align_mask, align_offset};
  // 6.18 searches the maple tree for empty ranges and applies guard gaps by retrying; the
  // classic walk prunes on gaps that already exclude them. They differ when a VMA sits inside
  // another's guard gap, and (bottom-up with an alignment mask) next to a VM_GROWSDOWN VMA.
  std::optional<Addr> a;
  if (!mm.maple_tree())
    a = topdown ? mm.vmas.unmapped_area_topdown(r) : mm.vmas.unmapped_area(r);
  else
    a = topdown ? mm.vmas.unmapped_area_topdown_v618(r) : mm.vmas.unmapped_area_v618(r);
  if (mm.narrating())
    MMSPEC_NOTE(mm, EventKind::placement, std::string(topdown ? "top-down" : "bottom-up") +
                                      " search for " + hex(length) + " bytes in [" + hex(low) +
                                      ", " + hex(high) + "): " +
                                      (a ? "found " + hex(*a) : std::string("no gap: ENOMEM")));
  return a ? static_cast<SysRet>(*a) : -ENOMEM;
}

// arch/x86/kernel/sys_x86_64.c arch_get_unmapped_area (v5.15, v6.18): bottom-up.
SysRet arch_get_unmapped_area(Mm& mm, Addr addr, std::uint64_t len, PgOff pgoff, int flags,
                              Addr align_mask) {
  if (flags & MAP_FIXED) return static_cast<SysRet>(addr);
  Addr begin, end;
  if (flags & MAP_32BIT) {  // find_start_end: 1 GiB window below 2 GiB (randomisation not modelled)
    begin = 0x40000000;
    end = 0x80000000;
  } else {
    begin = mm.layout.mmap_legacy_base;
    end = addr > DEFAULT_MAP_WINDOW ? mm.layout.task_size : DEFAULT_MAP_WINDOW;
  }
  if (len > end) return -ENOMEM;
  if (addr) {
    addr = page_align(addr);
    const Vma* vma = mm.vmas.find_vma(addr);
    if (end - len >= addr &&
        (!vma || addr + len <= vm_start_gap(*vma, mm.cfg.layout.stack_guard_gap))) {
      MMSPEC_NOTE(mm, EventKind::placement, "hint " + hex(addr) + " is free: used");
      return static_cast<SysRet>(addr);
    }
    MMSPEC_NOTE(mm, EventKind::placement, "hint " + hex(addr) + " does not fit: ignored");
  }
  // hugetlb files align to the huge page and ignore pgoff (get_align_mask, v6.18)
  return vm_unmapped_area(mm, false, len, begin, end, align_mask, align_mask ? 0 : pgoff << PAGE_SHIFT);
}

// arch/x86/kernel/sys_x86_64.c arch_get_unmapped_area_topdown (v5.15, v6.18)
SysRet arch_get_unmapped_area_topdown(Mm& mm, Addr addr0, std::uint64_t len, PgOff pgoff,
                                      int flags, Addr align_mask) {
  if (len > mm.layout.task_size) return -ENOMEM;
  if (flags & MAP_FIXED) return static_cast<SysRet>(addr0);
  Addr addr = addr0;
  if (!(flags & MAP_32BIT)) {
    bool search = true;
    if (addr) {
      addr &= PAGE_MASK;
      if (!mmap_address_hint_valid(mm, addr, len)) {
        MMSPEC_NOTE(mm, EventKind::placement, "hint " + hex(addr) + " crosses the address-space limits: ignored");
      } else {
        const Vma* vma = mm.vmas.find_vma(addr);
        if (!vma || addr + len <= vm_start_gap(*vma, mm.cfg.layout.stack_guard_gap)) {
          MMSPEC_NOTE(mm, EventKind::placement, "hint " + hex(addr) + " is free: used");
          return static_cast<SysRet>(addr);
        }
        MMSPEC_NOTE(mm, EventKind::placement, "hint " + hex(addr) + " overlaps " + vma_str(*vma) +
                                          " or its guard gap: ignored");
      }
    }
    if (search) {
      const Addr low = (mm.map_above4g() && (flags & MAP_ABOVE4G)) ? SZ_4G : PAGE_SIZE;
      Addr high = mm.layout.mmap_base;
      if (addr > DEFAULT_MAP_WINDOW) high += mm.layout.task_size - DEFAULT_MAP_WINDOW;
      const SysRet r = vm_unmapped_area(mm, true, len, low, high, align_mask,
                                        align_mask ? 0 : pgoff << PAGE_SHIFT);
      if (!is_err(r)) return r;
      MMSPEC_NOTE(mm, EventKind::placement, "falling back to the bottom-up allocator");
    }
  }
  return arch_get_unmapped_area(mm, addr0, len, pgoff, flags, align_mask);
}

// mm/mmap.c mm_get_unmapped_area (v6.18); mm->get_unmapped_area (v5.15)
SysRet mm_get_unmapped_area(Mm& mm, Addr addr, std::uint64_t len, PgOff pgoff, int flags,
                            Addr align_mask = 0) {
  return mm.layout.topdown ? arch_get_unmapped_area_topdown(mm, addr, len, pgoff, flags, align_mask)
                           : arch_get_unmapped_area(mm, addr, len, pgoff, flags, align_mask);
}

// fs/hugetlbfs/inode.c hugetlb_get_unmapped_area (v6.18; v5.15 has the same checks)
SysRet hugetlb_get_unmapped_area(Mm& mm, Addr addr, std::uint64_t len, PgOff pgoff, int flags) {
  if (len & (PMD_SIZE - 1)) {
    MMSPEC_NOTE(mm, EventKind::placement, "hugetlb length not a multiple of 2 MiB: EINVAL");
    return -EINVAL;
  }
  if ((flags & MAP_FIXED) && (addr & (PMD_SIZE - 1))) {
    MMSPEC_NOTE(mm, EventKind::placement, "hugetlb MAP_FIXED address not 2 MiB aligned: EINVAL");
    return -EINVAL;
  }
  const Addr addr0 = addr ? (addr + PMD_SIZE - 1) & ~(PMD_SIZE - 1) : 0;
  return mm_get_unmapped_area(mm, addr0, len, pgoff, flags, (PMD_SIZE - 1) & PAGE_MASK);
}

// mm/huge_memory.c __thp_get_unmapped_area (v6.18), anonymous memory (file offset 0).
// Returns 0 when it gives up and the normal allocator must be used.
Addr thp_get_unmapped_area(Mm& mm, Addr addr, std::uint64_t len, int flags) {
  const std::uint64_t size = PMD_SIZE;
  if (len < size) return 0;  // no whole aligned 2 MiB chunk in [0, len)
  const std::uint64_t len_pad = len + size;
  if (len_pad < len) return 0;
  MMSPEC_NOTE(mm, EventKind::placement, "THP alignment: searching for " + hex(len) + " + 2 MiB of padding");
  const SysRet r = mm_get_unmapped_area(mm, addr, len_pad, 0, flags);
  if (is_err(r)) return 0;
  const Addr ret = static_cast<Addr>(r);
  if (ret == addr) return addr;
  const Addr off_sub = (Addr{0} - ret) & (size - 1);
  if (mm.layout.topdown && off_sub == 0) {
    MMSPEC_NOTE(mm, EventKind::placement, "THP alignment: padded area already aligned, take its top " + hex(ret + size));
    return ret + size;
  }
  MMSPEC_NOTE(mm, EventKind::placement, "THP alignment: " + hex(ret) + " rounded up to " + hex(ret + off_sub));
  return ret + off_sub;
}

}  // namespace

// arch/x86/mm/mmap.c mmap_address_hint_valid (v5.15, v6.18)
bool mmap_address_hint_valid(const Mm& mm, Addr addr, std::uint64_t len) {
  if (mm.layout.task_size - len < addr) return false;
  return (addr > DEFAULT_MAP_WINDOW) == (addr + len > DEFAULT_MAP_WINDOW);
}

// mm/mmap.c get_unmapped_area (v5.15, v6.1), __get_unmapped_area (v6.18)
SysRet get_unmapped_area(Mm& mm, FileId file, Addr addr, std::uint64_t len, PgOff pgoff,
                         int flags, VmFlags vm_flags) {
  (void)vm_flags;  // only shadow stacks use it on x86 (start_gap), not modelled
  const Addr task_size = mm.layout.task_size;
  if (len > task_size) {
    MMSPEC_NOTE(mm, EventKind::placement, "length exceeds TASK_SIZE: ENOMEM");
    return -ENOMEM;
  }
  SysRet r;
  // Files are shmem (memfd) and shared anonymous memory uses shmem's allocator: with shmem
  // huge pages off (the default) both end in the mm's allocator.
  if (!file && (flags & MAP_SHARED)) pgoff = 0;
  if (mm.thp_aligns_anon() && !file) pgoff = 0;
  const Inode* ino = file ? mm.world->inode_of(file) : nullptr;
  if (ino && ino->hugetlb) {
    r = hugetlb_get_unmapped_area(mm, addr, len, pgoff, flags);
  } else if (mm.thp_aligns_anon() && mm.cfg.machine.thp && !file && !(flags & MAP_SHARED) && addr == 0 &&
      len % PMD_SIZE == 0) {
    const Addr a = thp_get_unmapped_area(mm, addr, len, flags);
    r = a ? static_cast<SysRet>(a) : mm_get_unmapped_area(mm, addr, len, pgoff, flags);
  } else {
    r = mm_get_unmapped_area(mm, addr, len, pgoff, flags);
  }
  if (is_err(r)) return r;
  const Addr a = static_cast<Addr>(r);
  if (a > task_size - len) {
    MMSPEC_NOTE(mm, EventKind::placement, hex(a) + " + length ends above TASK_SIZE: ENOMEM");
    return -ENOMEM;
  }
  if (!page_aligned(a)) {
    MMSPEC_NOTE(mm, EventKind::placement, hex(a) + " is not page aligned: EINVAL");
    return -EINVAL;
  }
  // security/commoncap.c cap_mmap_addr: below vm.mmap_min_addr needs CAP_SYS_RAWIO.
  if (a < mm.cfg.layout.mmap_min_addr_sysctl && !mm.cfg.caps.sys_rawio) {
    MMSPEC_NOTE(mm, EventKind::placement, hex(a) + " is below vm.mmap_min_addr: EPERM");
    return -EPERM;
  }
  return r;
}

}  // namespace mmspec
