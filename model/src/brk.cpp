// brk: the program break. Never returns an errno: the new break on success, the old one on
// any failure.
#include "mmspec/accounting.hpp"
#include "mmspec/munmap.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/unmapped_area.hpp"
#include "mmspec/vma_merge.hpp"

namespace mmspec {
namespace {

// include/linux/mm.h check_data_rlimit (v5.15, v6.18)
bool data_rlimit_exceeded(const Mm& mm, Addr brk) {
  const std::uint64_t rlim = mm.cfg.rlimits.data;
  if (rlim == RLIM_INFINITY) return false;
  return (brk - mm.start_brk) + (mm.end_data - mm.start_data) > rlim;
}

// mm/mmap.c do_brk_flags (v5.15, v6.1); mm/vma.c do_brk_flags (v6.18). `brkvma` (6.1 on) is
// the VMA the heap may extend: the last VMA below addr that reaches above start_brk.
int do_brk_flags(Mm& mm, Vma* brkvma, Addr addr, std::uint64_t len) {
  const VmFlags flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT | mm.def_flags;
  const std::uint64_t npages = len >> PAGE_SHIFT;
  Vma* prev = nullptr;
  if (!mm.brk_maple()) {
    const SysRet r = get_unmapped_area(mm, 0, addr, len, 0, MAP_FIXED, flags);
    if (is_err(r)) return static_cast<int>(r);
    if (!mlock_future_ok(mm, mm.def_flags, len)) return -EAGAIN;
    if (int e = do_munmap(mm, addr, addr + len)) return e;
    mm.vmas.find_vma_prev(addr, &prev);
  }
  if (!may_expand_vm(mm, flags, npages)) {
    MMSPEC_NOTE(mm, EventKind::brk, "RLIMIT_AS/RLIMIT_DATA exceeded");
    return -ENOMEM;
  }
  if (mm.map_count > mm.cfg.sysctl.max_map_count) return -ENOMEM;
  if (vm_enough_memory(mm, npages)) return -ENOMEM;

  MergeProposal p;
  p.start = addr;
  p.end = addr + len;
  p.pgoff = addr >> PAGE_SHIFT;
  p.flags = flags;
  Vma* vma = nullptr;
  if (!mm.brk_maple()) {
    vma = vma_merge_new(mm, prev, prev ? mm.vmas.next(prev) : mm.vmas.first(), p);
  } else if (brkvma && brkvma->vm_end == addr) {
    vma = vma_merge_new(mm, brkvma, nullptr, p, /*just_expand=*/true);
  } else if (mm.narrating()) {
    MMSPEC_NOTE(mm, EventKind::brk, brkvma ? "the VMA below the break does not end at it: new VMA"
                                   : "no heap VMA at or above start_brk below the break: new VMA");
  }
  if (!vma) {
    Vma v;
    v.vm_start = addr;
    v.vm_end = addr + len;
    v.vm_pgoff = addr >> PAGE_SHIFT;
    v.vm_flags = flags;
    vma = mm.vmas.insert(v);
    mm.map_count++;
    if (mm.narrating()) MMSPEC_NOTE(mm, EventKind::insert, "new heap VMA " + vma_str(*vma));
  }
  mm.total_vm += npages;
  mm.data_vm += npages;
  if (flags & VM_LOCKED) mm.locked_vm += npages;
  vma->vm_flags |= mm.vm_softdirty();
  return 0;
}

}  // namespace

// mm/mmap.c sys_brk (v5.15, v6.1, v6.18)
SysRet sys_brk(Mm& mm, Addr brk) {
  const Addr origbrk = mm.brk;
  auto fail = [&](const std::string& why) {
    MMSPEC_NOTE(mm, EventKind::brk, why + ": the break stays at " + hex(origbrk));
    mm.brk = origbrk;
    return static_cast<SysRet>(origbrk);
  };
  if (brk < mm.start_brk) return fail("below start_brk");
  if (data_rlimit_exceeded(mm, brk)) return fail("RLIMIT_DATA exceeded");
  const Addr newbrk = page_align(brk);
  const Addr oldbrk = page_align(mm.brk);
  if (oldbrk == newbrk) {
    mm.brk = brk;
    MMSPEC_NOTE(mm, EventKind::brk, "same page: only the break moves");
    return static_cast<SysRet>(brk);
  }
  if (brk <= mm.brk) {  // shrinking is always allowed
    if (mm.brk_maple()) {
      Vma* v = mm.vmas.find_vma_intersection(newbrk, oldbrk);
      if (!v) return fail("no VMA in the range given back");
      mm.brk = brk;
      if (do_munmap(mm, newbrk, oldbrk)) return fail("munmap failed");
    } else {
      mm.brk = brk;
      if (do_munmap(mm, newbrk, oldbrk)) return fail("munmap failed");
    }
    MMSPEC_NOTE(mm, EventKind::brk, "shrunk: [" + hex(newbrk) + ", " + hex(oldbrk) + ") unmapped");
    return static_cast<SysRet>(brk);
  }
  Vma* brkvma = nullptr;
  if (mm.brk_maple()) {  // check_brk_limits
    const SysRet r = get_unmapped_area(mm, 0, oldbrk, newbrk - oldbrk, 0, MAP_FIXED, 0);
    if (is_err(r)) return fail("beyond the address space");
    if (!mlock_future_ok(mm, mm.def_flags, newbrk - oldbrk)) return fail("RLIMIT_MEMLOCK exceeded");
  }
  Vma* below = nullptr;
  Vma* next = mm.vmas.find_vma_prev(oldbrk, &below);
  if (next && newbrk + PAGE_SIZE > vm_start_gap(*next, mm.cfg.layout.stack_guard_gap))
    return fail("the next VMA " + vma_str(*next) + " leaves no free page above the new break");
  if (mm.brk_maple() && below && below->vm_end > mm.start_brk) brkvma = below;
  if (do_brk_flags(mm, brkvma, oldbrk, newbrk - oldbrk) < 0) return fail("do_brk_flags failed");
  mm.brk = brk;
  return static_cast<SysRet>(brk);
}

}  // namespace mmspec
