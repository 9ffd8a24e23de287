// mremap on the model, every step followed by validate_mm. Expected values come from reading
// mm/mremap.c (v5.15.100 for linux-5.10, v6.1.141, v6.18.2; the function is named at each
// test) and, for the one difference between the generations, from the scenario
// tests/scenarios/mremap/ that the three kernels ran.
#include <gtest/gtest.h>

#include "mmspec/syscalls.hpp"
#include "test_util.hpp"

namespace mmspec::test {
namespace {

SysRet checked_mremap(Mm& mm, Addr addr, std::uint64_t old_len, std::uint64_t new_len,
                      std::uint64_t flags, Addr new_addr = 0,
                      const std::source_location& loc = std::source_location::current()) {
  const SysRet r = sys_mremap(mm, addr, old_len, new_len, flags, new_addr);
  check_valid(mm, "mremap(" + hex(addr) + ")", loc);
  return r;
}

constexpr std::uint64_t MAYMOVE = MREMAP_MAYMOVE;
constexpr std::uint64_t FIXED = MREMAP_FIXED;

// SYSCALL_DEFINE5(mremap) (v5.15, v6.1) / check_mremap_params (v6.18): the argument checks that
// need no VMA, each EINVAL.
TEST(Mremap, ArgumentErrors) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 8 * P, 0x80), -EINVAL);  // unknown flag bit
    EXPECT_EQ(checked_mremap(mm, W + 1, 4 * P, 8 * P, 0), -EINVAL);  // offset_in_page(addr)
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 0, 0), -EINVAL);          // !new_len
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 4 * P, FIXED, W + 64 * P), -EINVAL);  // FIXED alone
    // mremap_to: the new range overlaps the old one.
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 4 * P, FIXED | MAYMOVE, W + 2 * P), -EINVAL);
    // mremap_to: the new address is not page aligned.
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 4 * P, FIXED | MAYMOVE, W + 64 * P + 1), -EINVAL);
    EXPECT_TRUE(vmas_in(mm, W, W + 128 * P, {{W, W + 4 * P, W >> PAGE_SHIFT, F_RW}}));
  }
}

// vma_to_resize (v5.15, v6.1) / mremap's vma lookup (v6.18): no VMA at the old address is
// EFAULT; growing a range that runs past the end of its VMA is EFAULT too.
TEST(Mremap, NoVmaOrRangePastTheVmaIsEfault) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 8 * P, MAYMOVE), -EFAULT);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 4 * P, PROT_READ, FIXED_ANON, -1, 0), SysRet(W + 4 * P));
    // [W+2P, W+6P) spans the rw- and the r-- VMA: old_len > vm_end - addr.
    EXPECT_EQ(checked_mremap(mm, W + 2 * P, 4 * P, 8 * P, MAYMOVE), -EFAULT);
  }
}

// SYSCALL_DEFINE5(mremap) (v5.15, v6.1) / shrink_vma (v6.18): a shrink unmaps the tail and
// returns the old address.
TEST(Mremap, ShrinkUnmapsTheTail) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 8 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    EXPECT_EQ(checked_mremap(mm, W, 8 * P, 3 * P, 0), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 16 * P, {{W, W + 3 * P, W >> PAGE_SHIFT, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    // Same length: nothing happens and the old address comes back.
    EXPECT_EQ(checked_mremap(mm, W, 3 * P, 3 * P, 0), SysRet(W));
  }
}

// vma_expandable + the in-place branch (v5.15, v6.1) / expand_vma_in_place (v6.18): growth
// needs free space after the VMA; without it and without MREMAP_MAYMOVE the answer is ENOMEM
// and nothing changes.
TEST(Mremap, GrowthBlockedWithoutMaymoveIsEnomem) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 5 * P, P, PROT_READ, FIXED_ANON, -1, 0), SysRet(W + 5 * P));
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 8 * P, 0), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 16 * P,
                        {{W, W + 4 * P, W >> PAGE_SHIFT, F_RW},
                         {W + 5 * P, W + 6 * P, (W >> PAGE_SHIFT) + 5, F_R}}));
    // One free page is enough for one more page in place.
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 5 * P, 0), SysRet(W));
  }
}

// In place, the next VMA compatible with the extension: v6.1 vma_merge / v6.18 vma_expand take
// it in (one VMA); v5.15 vma_adjust only grows the VMA (two VMAs). Checked on the kernels by
// tests/scenarios/mremap/grow_merges_next.mmt (per-profile expectations).
TEST(Mremap, GrowthInPlaceMergesWithNextFrom61On) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W + 8 * P));
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 8 * P, 0), SysRet(W));
    if (pf == Profile::linux_5_10) {
      EXPECT_TRUE(vmas_in(mm, W, W + 16 * P,
                          {{W, W + 8 * P, W >> PAGE_SHIFT, F_RW},
                           {W + 8 * P, W + 12 * P, (W >> PAGE_SHIFT) + 8, F_RW}}));
    } else {
      EXPECT_TRUE(vmas_in(mm, W, W + 16 * P, {{W, W + 12 * P, W >> PAGE_SHIFT, F_RW}}));
    }
  }
}

// move_vma with copy_vma (v5.15, v6.1, v6.18): a written anonymous VMA keeps its pgoff when it
// moves (its pages are found through the anon_vma); MREMAP_FIXED first unmaps the destination.
TEST(Mremap, FixedMoveOfAWrittenVmaKeepsItsPgoff) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Addr D = W + 64 * P;
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    ASSERT_EQ(checked_mmap(mm, D, 8 * P, PROT_READ, FIXED_ANON, -1, 0), SysRet(D));
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 4 * P, FIXED | MAYMOVE, D), SysRet(D));
    // The source is gone, the destination's old mapping is replaced where the move lands.
    EXPECT_TRUE(vmas_in(mm, W, D + 16 * P,
                        {{D, D + 4 * P, W >> PAGE_SHIFT, F_RW},
                         {D + 4 * P, D + 8 * P, (D >> PAGE_SHIFT) + 4, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

// A move without MREMAP_FIXED (MREMAP_MAYMOVE and no room in place) goes where
// get_unmapped_area puts it, below mmap_base, and the old range is unmapped.
TEST(Mremap, MaymoveGoesWhereGetUnmappedAreaPlacesIt) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON, -1, 0), SysRet(W));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, P, PROT_READ, FIXED_ANON, -1, 0), SysRet(W + 4 * P));
    // The highest free 8 pages below mmap_base end where the image's [vvar] starts.
    const Addr want = VVAR_START - 8 * P;
    // (All three profiles run on the same default image here, so the place is the same.)
    EXPECT_EQ(checked_mremap(mm, W, 4 * P, 8 * P, MAYMOVE), SysRet(want));
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P, {{W + 4 * P, W + 5 * P, (W >> PAGE_SHIFT) + 4, F_R}}));
    EXPECT_TRUE(vmas_in(mm, want, want + 8 * P, {{want, want + 8 * P, W >> PAGE_SHIFT, F_RW}}));
  }
}

}  // namespace
}  // namespace mmspec::test
