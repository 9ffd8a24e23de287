// munmap: validation, the hole punch and its max_map_count rule, trimming, several VMAs at once,
// counters and the overcommit charge (kernel-semantics.md 7, 5.1, 5.2). Section 7 is the same on
// both profiles for everything tested here (sealing aside).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr PgOff WPG = W >> PAGE_SHIFT;
constexpr Addr TASK_SIZE = 0x7ffffffff000;  // 2.1, 4-level paging

TEST(MunmapErrors, EinvalUnalignedStart) {  // 7 validation
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_munmap(mm, W + 0x10, P), -EINVAL);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

TEST(MunmapErrors, EinvalLengthZero) {  // 7: PAGE_ALIGN(len) == 0
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_munmap(mm, W, 0), -EINVAL);
    EXPECT_EQ(checked_munmap(mm, W + 4 * P, 0), -EINVAL);  // also where nothing is mapped
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

TEST(MunmapErrors, EinvalBeyondTaskSize) {  // 7: start > TASK_SIZE or len > TASK_SIZE - start
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_munmap(mm, TASK_SIZE + P, P), -EINVAL);
    EXPECT_EQ(checked_munmap(mm, W, TASK_SIZE - W + P), -EINVAL);
    EXPECT_EQ(checked_munmap(mm, STACK_START, TASK_SIZE), -EINVAL);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    // exactly up to TASK_SIZE is allowed: unmaps the stack VMA's last page
    EXPECT_EQ(checked_munmap(mm, TASK_SIZE - P, P), 0);
    EXPECT_EQ(vma_at(mm, STACK_START)->vm_end, TASK_SIZE - P);
  }
}

TEST(MunmapResult, ZeroWhenNothingIsMapped) {  // 7: "No VMA intersects the range: return 0"
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const std::uint64_t total = mm.total_vm;
    EXPECT_EQ(checked_munmap(mm, W, 16 * P), 0);
    EXPECT_EQ(checked_munmap(mm, 0x10000, P), 0);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
    EXPECT_EQ(mm.total_vm, total);
  }
}

TEST(MunmapResult, HolePunchSplitsWithPgoffs) {  // 7 step 2 + 5.1
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    // W    +P        +3P  +4P
    // AAAAAAAAAAAAAAAAAAAAA
    //      RRRRRRRRRR             munmap
    // AAAA ..........  AAAA
    EXPECT_EQ(checked_munmap(mm, W + P, 2 * P), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + P, WPG, F_RW}, {W + 3 * P, W + 4 * P, WPG + 3, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    EXPECT_EQ(mm.data_vm, 2u);
    EXPECT_EQ(mm.total_vm, 41u + 2u);
    EXPECT_EQ(charged(mm), 2u);  // 7 step 5: VM_ACCOUNT pages unaccounted
  }
}

TEST(MunmapResult, HolePunchOfFileMappingKeepsOffsets) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    ASSERT_EQ(checked_mmap(mm, W, 5 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 3 * P), SysRet(W));
    EXPECT_EQ(checked_munmap(mm, W + 2 * P, P), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 5 * P, {{W, W + 2 * P, 3, F_R}, {W + 3 * P, W + 5 * P, 6, F_R}}));
  }
}

TEST(MunmapResult, UnalignedLengthIsRoundedUp) {  // 7: end = start + PAGE_ALIGN(len)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_munmap(mm, W, P + 1), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W + 2 * P, W + 4 * P, WPG + 2, F_RW}}));
  }
}

TEST(MunmapResult, RemovesSeveralVmasAcrossHolesAndTrimsTheEnds) {  // 7 steps 1-5
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 3 * P, P, PROT_READ | PROT_EXEC, FIXED_ANON), SysRet(W + 3 * P));
    ASSERT_EQ(checked_mmap(mm, W + 5 * P, 3 * P, PROT_READ, FIXED_ANON), SysRet(W + 5 * P));
    // W    +P   +2P  +3P  +4P  +5P            +8P
    // AAAAAAAAAA .... BBBB .... CCCCCCCCCCCCCC      rw- r-x r--
    //      RRRRRRRRRRRRRRRRRRRRRRRRRRRRR            munmap [W+P, W+7P)
    // AAAA                           CCCC
    EXPECT_EQ(checked_munmap(mm, W + P, 6 * P), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P, {{W, W + P, WPG, F_RW}, {W + 7 * P, W + 8 * P, WPG + 7, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    EXPECT_EQ(mm.data_vm, 1u);
    EXPECT_EQ(mm.exec_vm, 2u);  // only [vdso] left
    EXPECT_EQ(mm.total_vm, 41u + 2u);
  }
}

TEST(MunmapResult, UnmappingAPageOfTheAccountedStackUnchargesIt) {
  // 2.4: the exec-time stack VMA has VM_STACK_FLAGS, which include VM_ACCOUNT; 17: "VM_ACCOUNT
  // is the marker that a VMA's pages are in committed", and munmap uncharges the pages of
  // VM_ACCOUNT VMAs (7 step 5). So the default image holds 33 charged pages, and unmapping one
  // stack page leaves 32.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_NE(vma_at(mm, STACK_START)->vm_flags & VM_ACCOUNT, 0u);
    EXPECT_EQ(mm.world->committed, 33u);
    EXPECT_EQ(checked_munmap(mm, STACK_END - P, P), 0);
    EXPECT_EQ(mm.world->committed, 32u);
  }
}

TEST(MunmapErrors, EnomemHolePunchAtMaxMapCountWhileTrimmingWorks) {
  // 5.2 / 7 step 2 (verified at 65530): only a range strictly inside one VMA fails, and only
  // when map_count >= max; trimming an end or removing whole VMAs always works.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 6 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, P, PROT_READ, FIXED_ANON), SysRet(W + 8 * P));
    mm.cfg.sysctl.max_map_count = mm.map_count;
    // W                       +6P      +8P  +9P
    // AAAAAAAAAAAAAAAAAAAAAAAAA ........ BBBB        map_count == max
    //         RRRRRRRR                               hole punch: ENOMEM, nothing changed
    EXPECT_EQ(checked_munmap(mm, W + 2 * P, 2 * P), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 9 * P, {{W, W + 6 * P, WPG, F_RW}, {W + 8 * P, W + 9 * P, WPG + 8, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    // trim the head, trim the tail, remove a whole VMA
    EXPECT_EQ(checked_munmap(mm, W, P), 0);
    EXPECT_EQ(checked_munmap(mm, W + 5 * P, P), 0);
    EXPECT_EQ(checked_munmap(mm, W + 8 * P, P), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 9 * P, {{W + P, W + 5 * P, WPG + 1, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    // a range covering the tail of one VMA and the head of the next needs no extra VMA either
    mm.cfg.sysctl.max_map_count = mm.map_count;
    ASSERT_EQ(checked_mmap(mm, W + 5 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 5 * P));
    EXPECT_EQ(checked_munmap(mm, W + 4 * P, 2 * P), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 9 * P, {{W + P, W + 4 * P, WPG + 1, F_RW}, {W + 6 * P, W + 7 * P, WPG + 6, F_R}}));
  }
}

TEST(MunmapErrors, FailedSplitAtTheEndLeavesTheSplitAtTheStart) {
  // 7 steps 2-4: the VMA containing start is split first; when the split at end is refused
  // (here by [vvar]'s may_split, 5.1) the error is returned, the first split stays and nothing
  // is unmapped. Classic (split at start, then at end) and 6.18 agree.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Addr A = VVAR_START - 2 * P;
    ASSERT_EQ(checked_mmap(mm, A, 2 * P, RW, FIXED_ANON), SysRet(A));
    // A    +P   VVAR_START
    // AAAAAAAAA VVVVVVVVVVVVVVVVVV      anon rw-, [vvar] (4 pages)
    //      RRRRRRRRR                    munmap [A+P, VVAR_START+P)
    EXPECT_EQ(checked_munmap(mm, A + P, 2 * P), -EINVAL);
    EXPECT_TRUE(vmas_in(mm, A, VVAR_START,
                        {{A, A + P, A >> PAGE_SHIFT, F_RW}, {A + P, A + 2 * P, (A >> PAGE_SHIFT) + 1, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    EXPECT_EQ(vma_at(mm, VVAR_START)->vm_end, VVAR_START + 4 * P);
    EXPECT_EQ(mm.data_vm, 2u);
  }
}

TEST(MunmapErrors, EinvalPartialUnmapOfSpecialMapping) {
  // 2.4 / 5.1: special mappings' may_split returns EINVAL (verified for munmap).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_munmap(mm, VDSO_START + P, P), -EINVAL);
    EXPECT_EQ(checked_munmap(mm, VVAR_START, P), -EINVAL);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
    EXPECT_EQ(maps_name_at(mm, VDSO_START + P), "[vdso]");
  }
}

}  // namespace
}  // namespace mmspec::test
