// mlock, mlock2 and munlock on the model, every step followed by validate_mm (which also checks
// that locked_vm is the sum of the VM_LOCKED VMAs). Expected values come from reading
// mm/mlock.c and mm/gup.c (v5.15.100 for linux-5.10, v6.18.2; the function is named at each
// test); the VMA layouts of the live-checked cases are in tests/scenarios/mlock/.
#include <gtest/gtest.h>

#include "mmspec/syscalls.hpp"
#include "test_util.hpp"

namespace mmspec::test {
namespace {

SysRet checked_mlock2(Mm& mm, Addr start, std::uint64_t len, std::uint64_t flags = 0,
                      const std::source_location& loc = std::source_location::current()) {
  const SysRet r = sys_mlock2(mm, start, len, flags);
  check_valid(mm, "mlock2(" + hex(start) + ", " + hex(len) + ")", loc);
  return r;
}

SysRet checked_munlock(Mm& mm, Addr start, std::uint64_t len,
                       const std::source_location& loc = std::source_location::current()) {
  const SysRet r = sys_munlock(mm, start, len);
  check_valid(mm, "munlock(" + hex(start) + ", " + hex(len) + ")", loc);
  return r;
}

constexpr VmFlags LOCKED = VM_LOCKED;

// SYSCALL_DEFINE3(mlock2): unknown flags are EINVAL before anything else; do_mlock:
// can_do_mlock (EPERM without RLIMIT_MEMLOCK and CAP_IPC_LOCK), then the rounding; and
// apply_vma_lock_flags: end < start is EINVAL, end == start does nothing, a start outside every
// VMA is ENOMEM.
TEST(Mlock, ArgumentErrors) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mlock2(mm, W, P, 2), -EINVAL);
    EXPECT_EQ(checked_mlock2(mm, W, 0), 0);
    EXPECT_EQ(checked_mlock2(mm, W - P, 2 * P), -ENOMEM);       // start in the hole below
    EXPECT_EQ(checked_mlock2(mm, W + P, ~Addr{0} - 2 * P), -EINVAL);  // wraps past the top
    // len + offset rounds up to 0 (PAGE_ALIGN wraps): nothing to do.
    EXPECT_EQ(checked_mlock2(mm, W, ~std::uint64_t{0}), 0);
    EXPECT_EQ(mm.locked_vm, 0u);
    EXPECT_TRUE(vmas_in(mm, W - 16 * P, W + 16 * P, {{W, W + 4 * P, W >> PAGE_SHIFT, F_RW}}));
    // Without RLIMIT_MEMLOCK and CAP_IPC_LOCK mlock is EPERM; munlock needs neither.
    mm.cfg.rlimits.memlock = 0;
    mm.cfg.caps.ipc_lock = false;
    EXPECT_EQ(checked_mlock2(mm, W, P), -EPERM);
    EXPECT_EQ(checked_mlock2(mm, W, P, 2), -EINVAL);  // the flags are checked first
    EXPECT_EQ(checked_munlock(mm, W, P), 0);
  }
}

// do_mlock with RLIMIT_MEMLOCK and no CAP_IPC_LOCK: the new total is len + locked_vm; when it
// is over the limit, count_mm_mlocked_page_nr takes off what inside the range is locked already.
TEST(Mlock, MemlockLimitCountsOnlyNewPages) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.cfg.caps.ipc_lock = false;
    mm.cfg.rlimits.memlock = 2 * P;
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, PROT_READ, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mlock2(mm, W, 2 * P), 0);
    EXPECT_EQ(mm.locked_vm, 2u);
    EXPECT_EQ(checked_mlock2(mm, W, 2 * P), 0);      // 2 + 2 > 2, less the 2 already locked
    EXPECT_EQ(checked_mlock2(mm, W, 3 * P), -ENOMEM);  // 3 + 2 - 2 > 2: nothing changes
    EXPECT_EQ(mm.locked_vm, 2u);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + 2 * P, W >> PAGE_SHIFT, F_R | LOCKED},
                         {W + 2 * P, W + 4 * P, (W >> PAGE_SHIFT) + 2, F_R}}));
    // With CAP_IPC_LOCK the limit does not apply.
    mm.cfg.caps.ipc_lock = true;
    EXPECT_EQ(checked_mlock2(mm, W, 4 * P), 0);
    EXPECT_EQ(mm.locked_vm, 4u);
  }
}

// mlock_fixup: nr_pages is added when locking an unlocked range, 0 when it was locked already,
// and taken off when unlocking; VM_LOCKONFAULT comes and goes with MLOCK_ONFAULT.
TEST(Mlock, LockedVmAndFlags) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, PROT_READ, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mlock2(mm, W + P, 2 * P, MLOCK_ONFAULT), 0);
    EXPECT_EQ(mm.locked_vm, 2u);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + P, W >> PAGE_SHIFT, F_R},
                         {W + P, W + 3 * P, (W >> PAGE_SHIFT) + 1, F_R | LOCKED | VM_LOCKONFAULT},
                         {W + 3 * P, W + 4 * P, (W >> PAGE_SHIFT) + 3, F_R}}));
    // mlock without MLOCK_ONFAULT over it: still locked (0 more pages), VM_LOCKONFAULT cleared.
    EXPECT_EQ(checked_mlock2(mm, W + P, 2 * P), 0);
    EXPECT_EQ(mm.locked_vm, 2u);
    EXPECT_TRUE(vmas_in(mm, W + P, W + 3 * P,
                        {{W + P, W + 3 * P, (W >> PAGE_SHIFT) + 1, F_R | LOCKED}}));
    EXPECT_EQ(checked_munlock(mm, W, 4 * P), 0);
    EXPECT_EQ(mm.locked_vm, 0u);
  }
}

// mlock_fixup leaves VM_SPECIAL VMAs alone: [vvar] (VM_IO | VM_PFNMAP) and [vdso]
// (VM_DONTEXPAND) get no VM_LOCKED and are not counted; populate skips VM_IO / VM_PFNMAP and
// reads the vdso in, so mlock over them succeeds.
TEST(Mlock, SpecialMappingsAreLeftAlone) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Vma* vdso = mm.vmas.find_vma(VDSO_START);
    ASSERT_NE(vdso, nullptr);
    const VmFlags before = vdso->vm_flags;
    EXPECT_EQ(checked_mlock2(mm, VVAR_START, MMAP_BASE_8M - VVAR_START), 0);
    EXPECT_EQ(mm.locked_vm, 0u);
    EXPECT_EQ(mm.vmas.find_vma(VDSO_START)->vm_flags, before);
    for (const Vma& v : mm.vmas) EXPECT_EQ(v.vm_flags & VM_LOCKED, 0u) << vma_str(v);
  }
}

// __mm_populate after mlock: populate_vma_page_range write-faults a private writable range,
// which prepares its anon_vma; MLOCK_ONFAULT faults nothing in; a read-only range is read.
TEST(Mlock, PopulateGivesPrivateWritableRangesAnAnonVma) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 4 * P));
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 8 * P));
    EXPECT_EQ(checked_mlock2(mm, W, 2 * P), 0);
    EXPECT_EQ(checked_mlock2(mm, W + 4 * P, 2 * P, MLOCK_ONFAULT), 0);
    EXPECT_EQ(checked_mlock2(mm, W + 8 * P, 2 * P), 0);
    EXPECT_NE(mm.vmas.find_vma(W)->anon_vma, 0u);
    EXPECT_EQ(mm.vmas.find_vma(W + 4 * P)->anon_vma, 0u);
    EXPECT_EQ(mm.vmas.find_vma(W + 8 * P)->anon_vma, 0u);
  }
}

// populate_vma_page_range on a PROT_NONE VMA: -EFAULT, which __mlock_posix_error_return turns
// into ENOMEM; the VMA is locked before that. With VM_LOCKONFAULT v6.18 (and v6.1) return at
// once; v5.15 still runs get_user_pages, whose VMA check fails without FOLL_FORCE.
TEST(Mlock, ProtNone) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_NONE, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mlock2(mm, W, P), -ENOMEM);
    EXPECT_EQ(checked_mlock2(mm, W + P, P, MLOCK_ONFAULT),
              pf == Profile::linux_5_10 ? -ENOMEM : 0);
    EXPECT_EQ(mm.locked_vm, 2u);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P,
                        {{W, W + P, W >> PAGE_SHIFT, F_NONE | LOCKED},
                         {W + P, W + 2 * P, (W >> PAGE_SHIFT) + 1, F_NONE | LOCKED | VM_LOCKONFAULT}}));
  }
}

// apply_vma_lock_flags over a hole: the VMAs before it are changed, then ENOMEM.
TEST(Mlock, HoleAfterChangingTheVmasBefore) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 3 * P, P, PROT_READ, FIXED_ANON), SysRet(W + 3 * P));
    EXPECT_EQ(checked_mlock2(mm, W + P, 3 * P), -ENOMEM);
    EXPECT_EQ(checked_munlock(mm, W, 4 * P), -ENOMEM);  // unlocks [W + P, W + 2P) first
    EXPECT_EQ(mm.locked_vm, 0u);
    EXPECT_EQ(checked_mlock2(mm, W + P, 2 * P), -ENOMEM);  // ends in the hole
    EXPECT_EQ(mm.locked_vm, 1u);
  }
}

// SYSCALL_DEFINE1(mlockall): flags 0, unknown bits or MCL_ONFAULT alone are EINVAL; then
// can_do_mlock (EPERM); MCL_CURRENT with total_vm above RLIMIT_MEMLOCK and no CAP_IPC_LOCK is
// ENOMEM. apply_mlockall_flags: MCL_FUTURE only sets def_flags; MCL_CURRENT runs mlock_fixup
// over every VMA (special ones stay unlocked); munlockall clears both.
TEST(Mlock, Mlockall) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(sys_mlockall(mm, 0), -EINVAL);
    EXPECT_EQ(sys_mlockall(mm, MCL_ONFAULT), -EINVAL);
    EXPECT_EQ(sys_mlockall(mm, MCL_CURRENT | 8), -EINVAL);
    mm.cfg.caps.ipc_lock = false;
    mm.cfg.rlimits.memlock = P;
    EXPECT_EQ(sys_mlockall(mm, MCL_CURRENT), -ENOMEM);  // total_vm is far above one page
    EXPECT_EQ(sys_mlockall(mm, MCL_FUTURE), 0);         // no check without MCL_CURRENT
    EXPECT_EQ(mm.def_flags & VM_LOCKED_MASK, VM_LOCKED);
    mm.cfg.rlimits.memlock = 0;
    EXPECT_EQ(sys_mlockall(mm, MCL_FUTURE), -EPERM);
    mm.cfg.caps.ipc_lock = true;
    EXPECT_EQ(sys_mlockall(mm, MCL_CURRENT | MCL_ONFAULT), 0);
    EXPECT_MM_VALID(mm);
    EXPECT_EQ(mm.def_flags & VM_LOCKED_MASK, 0u);  // MCL_CURRENT alone clears MCL_FUTURE's
    std::uint64_t locked = 0;
    for (const Vma& v : mm.vmas) {
      if (v.vm_flags & VM_SPECIAL) {
        EXPECT_EQ(v.vm_flags & VM_LOCKED_MASK, 0u) << vma_str(v);
      } else {
        EXPECT_EQ(v.vm_flags & VM_LOCKED_MASK, VM_LOCKED | VM_LOCKONFAULT) << vma_str(v);
        locked += v.npages();
      }
    }
    EXPECT_EQ(mm.locked_vm, locked);
    EXPECT_EQ(sys_munlockall(mm), 0);
    EXPECT_MM_VALID(mm);
    EXPECT_EQ(mm.locked_vm, 0u);
    for (const Vma& v : mm.vmas) EXPECT_EQ(v.vm_flags & VM_LOCKED_MASK, 0u) << vma_str(v);
  }
}

}  // namespace
}  // namespace mmspec::test
