// Tests added for mutants of mutants/ that survived every other suite (scripts/mutate,
// docs/testing.md "Mutation testing"). Each test names the mutant it kills; like every unit
// test, its expected values come from the kernel function named and the section of the
// kernel-semantics digest cited, never from the model's own output.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr PgOff WPG = W >> PAGE_SHIFT;

// mutants/06-mmap-errno-order-noreplace.mut
TEST(MutantKill, NoreplaceEexistComesBeforeMapLockedEperm) {
  // 6.1 rows 12 and 13 (mm/mmap.c do_mmap, v5.15 and v6.18): the MAP_FIXED_NOREPLACE overlap
  // test (EEXIST) runs before "MAP_LOCKED and !can_do_mlock()" (EPERM).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    mm.cfg.caps.ipc_lock = false;
    mm.cfg.rlimits.memlock = 0;  // can_do_mlock() is false
    EXPECT_EQ(checked_mmap(mm, W + P, 2 * P, RW, PRIV_ANON | MAP_FIXED_NOREPLACE | MAP_LOCKED),
              -EEXIST);
    // Over a free range the same call reaches row 13.
    EXPECT_EQ(checked_mmap(mm, W + 8 * P, P, RW, PRIV_ANON | MAP_FIXED_NOREPLACE | MAP_LOCKED),
              -EPERM);
    EXPECT_TRUE(vmas_in(mm, W, W + 16 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

// mutants/20-rlimit-as-off-by-one.mut
TEST(MutantKill, RlimitAsAllowsAMappingThatReachesTheLimitExactly) {
  // 18 / mm/mmap.c may_expand_vm (v5.15, v6.18): refused only if total_vm + n > RLIMIT_AS/P.
  // A read-only mapping is not a data mapping, so RLIMIT_DATA plays no part.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const std::uint64_t before = mm.total_vm;
    mm.cfg.rlimits.as = (before + 2) * P;
    EXPECT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, FIXED_ANON), SysRet(W));  // == limit
    EXPECT_EQ(mm.total_vm, before + 2);
    EXPECT_EQ(checked_mmap(mm, W + 4 * P, P, PROT_READ, FIXED_ANON), -ENOMEM);  // limit + 1
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P, {{W, W + 2 * P, WPG, F_R}}));
  }
}

// mutants/31-stack-growth-pgoff-boundary.mut
TEST(MutantKill, StackGrowthDownToAddressZeroWhenMmapMinAddrIsZero) {
  // 16.1 / mm/mmap.c expand_downwards (v5.15), mm/vma.c expand_downwards (v6.18): the growth is
  // refused only if address < mmap_min_addr (EPERM) or grow > vm_pgoff (ENOMEM). With
  // vm.mmap_min_addr 0 (and CONFIG_LSM_MMAP_MIN_ADDR 0) a MAP_GROWSDOWN mapping at page 1 has
  // vm_pgoff 1 (6.1 notes: addr >> 12); a fault at address 0 grows it by exactly 1 = vm_pgoff
  // pages, which is allowed: the VMA becomes [0, 2P) with vm_pgoff 0 and 1 page more of
  // stack_vm (vm_stat_account of the growth).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.layout.mmap_min_addr = 0;
    c.layout.mmap_min_addr_sysctl = 0;
    Mm mm = make_process(c);
    ASSERT_EQ(checked_mmap(mm, P, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(P));
    const std::uint64_t stack_vm = mm.stack_vm;
    EXPECT_EQ(checked_touch(mm, 0, AccessKind::write), FaultOutcome::ok);
    EXPECT_TRUE(vmas_in(mm, 0, 2 * P, {{0, 2 * P, 0, F_RW | VM_GROWSDOWN}}));
    EXPECT_EQ(mm.stack_vm, stack_vm + 1);
  }
}

// mutants/32-exec-vm-counts-writable.mut
TEST(MutantKill, WritableExecutableMappingsCountAsDataNotExec) {
  // 1.3 / mm/internal.h is_exec_mapping, is_data_mapping (v5.15), mm/vma.h (v6.18): an exec
  // mapping has VM_EXEC without VM_WRITE (and without VM_STACK); a private writable one is a
  // data mapping. /proc/PID/status shows them as VmExe/VmLib and VmData. The default image's
  // exec_vm is the 2 pages of [vdso].
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(mm.exec_vm, 2u);
    ASSERT_EQ(mm.data_vm, 0u);
    const std::uint64_t rwx = PROT_READ | PROT_WRITE | PROT_EXEC;
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, rwx, FIXED_ANON), SysRet(W));
    EXPECT_EQ(mm.exec_vm, 2u);
    EXPECT_EQ(mm.data_vm, 3u);
    // Dropping write makes the same pages exec (mprotect_fixup's vm_stat_account pair).
    ASSERT_EQ(checked_mprotect(mm, W, 3 * P, PROT_READ | PROT_EXEC), 0);
    EXPECT_EQ(mm.exec_vm, 2u + 3u);
    EXPECT_EQ(mm.data_vm, 0u);
  }
}

// mutants/43-overcommit-guess-boundary.mut
TEST(MutantKill, OvercommitGuessAcceptsExactlyRamPlusSwap) {
  // 17 / mm/util.c __vm_enough_memory (v5.15, v6.18), OVERCOMMIT_GUESS: a single request is
  // refused only if pages > totalram_pages + total_swap_pages.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.sysctl.overcommit_memory = 0;
    c.machine.totalram_pages = 100;
    c.machine.total_swap_pages = 20;
    Mm mm = make_process(c);
    EXPECT_EQ(checked_mmap(mm, W, 120 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(charged(mm), 120u);
    EXPECT_EQ(checked_mmap(mm, W + 128 * P, 121 * P, RW, FIXED_ANON), -ENOMEM);
    EXPECT_EQ(charged(mm), 120u);  // the refused charge is rolled back
    EXPECT_TRUE(vmas_in(mm, W, W + 256 * P, {{W, W + 120 * P, WPG, F_RW}}));
  }
}

}  // namespace
}  // namespace mmspec::test
