// The x86-64 layout (arch_pick_mmap_layout, kernel-semantics.md 2.1-2.3) and where mappings go
// (get_unmapped_area, 3.1-3.6), including 6.18's THP alignment of hint-less anonymous mappings
// whose length is a multiple of 2 MiB (3.4, 19.2, 23.9).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr Addr MIB = Addr{1} << 20;

LayoutParams params(std::uint64_t rlimit_stack, bool legacy = false) {
  LayoutParams p;
  p.rlimit_stack = rlimit_stack;
  p.legacy = legacy;
  return p;
}

// ---------------------------------------------------------------------------------------------
// arch_pick_mmap_layout. The four worked values of 2.3 were confirmed on a live 6.18 kernel
// (setarch -R, 4-level paging; kernel-semantics.md 2.3 and 20); the formula is identical in
// v5.15 and v6.18.

TEST(Layout, Stack8MiB) {
  const Layout l = arch_pick_mmap_layout(params(8 * MIB));
  EXPECT_EQ(l.mmap_base, 0x7ffff7fff000u);  // gap 9 MiB clamps to 128 MiB
  EXPECT_TRUE(l.topdown);
  EXPECT_EQ(l.mmap_legacy_base, 0x2aaaaaaab000u);  // always computed
  EXPECT_EQ(l.task_size, 0x7ffffffff000u);
}

TEST(Layout, Stack1GiB) {
  const Layout l = arch_pick_mmap_layout(params(1024 * MIB));
  EXPECT_EQ(l.mmap_base, 0x7fffbfeff000u);  // 2^47 - P - 1 GiB - 1 MiB
  EXPECT_TRUE(l.topdown);
}

TEST(Layout, StackUnlimitedStaysTopDown) {
  // 2.3: an unlimited stack does not select legacy on x86; the pad is dropped on overflow and
  // the gap clamps to task_size / 6 * 5.
  const Layout l = arch_pick_mmap_layout(params(~std::uint64_t{0}));
  EXPECT_EQ(l.mmap_base, 0x155555556000u);
  EXPECT_TRUE(l.topdown);
}

TEST(Layout, LegacyLayout) {
  const Layout l = arch_pick_mmap_layout(params(8 * MIB, /*legacy=*/true));
  EXPECT_EQ(l.mmap_base, 0x2aaaaaaab000u);
  EXPECT_EQ(l.mmap_legacy_base, 0x2aaaaaaab000u);
  EXPECT_FALSE(l.topdown);
}

TEST(Layout, RandomizedBasesSubtractAndAddRnd) {
  // 2.3 by hand: pad = 1 MiB guard gap + 0x3fffff pages; gap = 8 MiB + pad (inside the clamp);
  // mmap_base = PAGE_ALIGN(0x7ffffffff000 - gap - rnd); legacy = 0x2aaaaaaab000 + rnd.
  LayoutParams p = params(8 * MIB);
  p.randomize = true;
  p.rnd = 0x10000000;
  const Layout l = arch_pick_mmap_layout(p);
  const Addr gap = 8 * MIB + MIB + (Addr{0x3fffff} << 12);
  EXPECT_EQ(gap, 0x4008ff000u);
  EXPECT_EQ(l.mmap_base, 0x7ffffffff000u - gap - 0x10000000u);
  EXPECT_EQ(l.mmap_base, 0x7ffbef700000u);
  EXPECT_EQ(l.mmap_legacy_base, 0x2aaabaaab000u);
}

TEST(Layout, Smallest128MiBGapAppliesWithoutStackLimit) {
  // 2.3 step 4: a tiny stack limit still leaves 128 MiB below STACK_TOP.
  const Layout l = arch_pick_mmap_layout(params(0));
  EXPECT_EQ(l.mmap_base, 0x7ffffffff000u - 128 * MIB);
}

TEST(Layout, FiveLevelPagingWidensTaskSizeOnly) {
  // 2.1: TASK_SIZE_MAX = 2^56 - P with LA57; the bases are computed for DEFAULT_MAP_WINDOW.
  LayoutParams p = params(8 * MIB);
  p.la57 = true;
  const Layout l = arch_pick_mmap_layout(p);
  EXPECT_EQ(l.task_size, (Addr{1} << 56) - P);
  EXPECT_EQ(l.mmap_base, 0x7ffff7fff000u);
}

TEST(Layout, MmUsesTheLayoutOfItsConfig) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.layout.rlimit_stack = 1024 * MIB;
    const Mm mm = make_empty(c);
    EXPECT_EQ(mm.layout.mmap_base, 0x7fffbfeff000u);
    const Mm d = make_process(pf);  // 8 MiB default: [vdso] ends at mmap_base (2.4, 20)
    EXPECT_EQ(d.layout.mmap_base, MMAP_BASE_8M);
    EXPECT_EQ(vma_at(d, VDSO_START)->vm_end, MMAP_BASE_8M);
    EXPECT_EQ(maps_name_at(d, VVAR_START), "[vvar]");
    EXPECT_EQ(maps_name_at(d, STACK_START), "[stack]");
    EXPECT_MM_VALID(d);
  }
}

// ---------------------------------------------------------------------------------------------
// Placement (3.1-3.3, 3.5, 3.6)

TEST(Placement, FreeHintIsUsed) {  // 3.2 step 3
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, W, 2 * P, RW, PRIV_ANON), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, W >> PAGE_SHIFT, F_RW}}));
  }
}

TEST(Placement, HintIsRoundedDown) {  // 6.1 row 7 / 3.2 step 3
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, W + 0x123, P, RW, PRIV_ANON), SysRet(W));
    EXPECT_EQ(checked_mmap(mm, W + 4 * P + 0xfff, P, RW, PRIV_ANON), SysRet(W + 4 * P));
  }
}

TEST(Placement, HintBelowMmapMinAddrIsRaised) {
  // 3.6: a non-fixed hint below the effective mmap_min_addr becomes PAGE_ALIGN(mmap_min_addr)
  // (hint 0x1000 gave 0x10000 live) - also without CAP_SYS_RAWIO, since 0x10000 is allowed.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.cfg.caps.sys_rawio = false;
    EXPECT_EQ(checked_mmap(mm, 0x1000, P, RW, PRIV_ANON), SysRet(0x10000));
    EXPECT_TRUE(vmas_in(mm, 0, 0x20000, {{0x10000, 0x11000, 0x10, F_RW}}));
  }
}

TEST(Placement, OverlappingHintFallsBackToTopDownBelowMmapBase) {
  // 3.2: an invalid hint is ignored; the top-down search starts below mmap_base, i.e. directly
  // below [vvar] in the default image.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mmap(mm, W + P, P, PROT_READ, PRIV_ANON), SysRet(VVAR_START - P));
    // a hint-less request takes the next highest place, directly below the previous one
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ | PROT_EXEC, PRIV_ANON), SysRet(VVAR_START - 2 * P));
  }
}

TEST(Placement, HintEndingExactlyAtTheNextVmaIsUsed) {  // 3.2: addr + len <= vm_start_gap(v)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W - 2 * P, 2 * P, RW, PRIV_ANON), SysRet(W - 2 * P));
    EXPECT_TRUE(narrated_case(ev, 3));  // and it merges with the VMA above (4.2)
    EXPECT_TRUE(vmas_in(mm, W - 2 * P, W + 2 * P, {{W - 2 * P, W + 2 * P, (W >> PAGE_SHIFT) - 2, F_RW}}));
  }
}

TEST(Placement, HintCrossingTaskSizeIsIgnored) {  // 3.2 step 3: addr + len <= TASK_SIZE
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, STACK_END - P, 2 * P, PROT_READ, PRIV_ANON), SysRet(VVAR_START - 2 * P));
  }
}

TEST(Placement, TopDownPicksTheHighestGapThatFits) {
  // 3.5: top-down returns the highest fitting address below high_limit = mmap_base.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_empty(pf);
    const Addr B = mm.layout.mmap_base;
    ASSERT_EQ(B, MMAP_BASE_8M);
    ASSERT_EQ(checked_mmap(mm, B - 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(B - 2 * P));
    ASSERT_EQ(checked_mmap(mm, B - 6 * P, 2 * P, PROT_READ | PROT_EXEC, FIXED_ANON), SysRet(B - 6 * P));
    // B-9P      B-6P      B-4P      B-2P      B
    // ..........XXXXXXXXXX..........AAAAAAAAAA|      a 2-page gap at B-4P
    EXPECT_EQ(checked_mmap(mm, 0, 3 * P, RW, PRIV_ANON), SysRet(B - 9 * P));  // 3 pages: below X
    EXPECT_EQ(checked_mmap(mm, 0, 2 * P, RW | PROT_EXEC, PRIV_ANON), SysRet(B - 4 * P));  // fits the gap
    EXPECT_EQ(mm.map_count, 4u);
  }
}

TEST(Placement, FirstTopDownMappingOfAnEmptyMmEndsAtMmapBase) {  // 3.2 step 4, 3.5
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_empty(pf);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, PRIV_ANON), SysRet(MMAP_BASE_8M - P));
  }
}

TEST(Placement, GuardGapBelowGrowsdownVmaIsSkipped) {
  // 3.5: a VM_GROWSDOWN VMA forbids [vm_start - stack_guard_gap, vm_start) to searches; 3.2: a
  // hint is valid only if it ends at or below vm_start_gap(next) (20: "a hint just below a
  // growsdown VMA is not honoured").
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_empty(pf);
    const Addr B = mm.layout.mmap_base;
    const Addr G = B - 4 * P;
    ASSERT_EQ(checked_mmap(mm, G, 4 * P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(G));
    const Addr below_gap = G - 0x100000 - P;
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, PRIV_ANON), SysRet(below_gap));
    EXPECT_EQ(checked_mmap(mm, G - P, P, PROT_READ, PRIV_ANON), SysRet(below_gap - P));
    // MAP_FIXED may still map inside the gap (22.7)
    EXPECT_EQ(checked_mmap(mm, G - P, P, PROT_READ, FIXED_ANON), SysRet(G - P));
  }
}

TEST(Placement, BottomUpFallbackWhenTopDownFails) {
  // 3.2 step 5: if the top-down search fails, the bottom-up allocator runs from
  // mmap_legacy_base up to DEFAULT_MAP_WINDOW (3.3) and returns the lowest fitting address. Here
  // everything from 0x1000 to [vvar] is taken, so the only room is above mmap_base, below the
  // stack's guard gap.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, 0x1000, VVAR_START - 0x1000, PROT_NONE, FIXED_ANON | MAP_NORESERVE),
              SysRet(0x1000));
    EXPECT_EQ(checked_mmap(mm, 0, 2 * P, PROT_READ, PRIV_ANON), SysRet(MMAP_BASE_8M));
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ | PROT_EXEC, PRIV_ANON), SysRet(MMAP_BASE_8M + 2 * P));
  }
}

TEST(Placement, SearchFloor_618StaysAboveMmapMinAddr_510EpermForUnprivileged) {
  // 3.2 step 4 / 3.6 / 19.16: 6.18 raises the search's low limit to mmap_min_addr, so with
  // nothing free above it the top-down search fails and the bottom-up fallback is used; the
  // classic top-down search starts at P, finds the gap below mmap_min_addr, and the
  // security_mmap_addr check (3.1 step 7) refuses it for an unprivileged caller. Here the
  // sysctl and the effective value are both 65536.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.layout.mmap_min_addr_sysctl = 0x10000;
    c.layout.mmap_min_addr = 0x10000;
    c.caps.sys_rawio = false;
    Mm mm = make_process(c);
    ASSERT_EQ(checked_mmap(mm, 0x10000, VVAR_START - 0x10000, PROT_NONE, FIXED_ANON | MAP_NORESERVE),
              SysRet(0x10000));
    const SysRet r = checked_mmap(mm, 0, 2 * P, PROT_READ, PRIV_ANON);
    if (pf == Profile::linux_6_18)
      EXPECT_EQ(r, SysRet(MMAP_BASE_8M));
    else
      EXPECT_EQ(r, -EPERM);
  }
}

TEST(Placement, LegacyLayoutSearchesBottomUpFromLegacyBase) {  // 2.3, 3.3
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.layout.legacy = true;
    Mm mm = make_empty(c);
    EXPECT_EQ(checked_mmap(mm, 0, 2 * P, RW, PRIV_ANON), SysRet(0x2aaaaaaab000));
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, PRIV_ANON), SysRet(0x2aaaaaaab000 + 2 * P));
    // a free hint below the legacy base is used (3.3 step 4)
    EXPECT_EQ(checked_mmap(mm, W / 8, P, PROT_READ, PRIV_ANON), SysRet(W / 8));
  }
}

TEST(Placement, Map32BitWindow) {  // 3.2 step 2 / 3.3 step 2 / 20: at 0x40000000 upwards
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, PRIV_ANON | MAP_32BIT), SysRet(0x40000000));
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, PRIV_ANON | MAP_32BIT), SysRet(0x40001000));
  }
}

// ---------------------------------------------------------------------------------------------
// THP alignment (6.18 only: 3.4, 19.2, 23.9)

TEST(ThpAlignment, HintlessTwoMiBAnonymousMapping_618Aligned_510Not) {
  // 3.4 (verified): the first 2 MiB anonymous mapping below a VMA that starts at a non-aligned
  // E (here [vvar], E = 0x7ffff7ff7000) goes to rounddown(E, 2M) - len on 6.18, leaving a hole
  // of E mod 2M; classic places it directly below E.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const SysRet r = checked_mmap(mm, 0, 2 * MIB, RW, PRIV_ANON);
    if (pf == Profile::linux_6_18) {
      EXPECT_EQ(r, SysRet(0x7ffff7c00000));
      EXPECT_TRUE(vmas_in(mm, 0x7ffff7c00000, VVAR_START, {{0x7ffff7c00000, 0x7ffff7e00000, 0x7ffff7c00, F_RW}}));
    } else {
      EXPECT_EQ(r, SysRet(VVAR_START - 2 * MIB));
      EXPECT_EQ(r, SysRet(0x7ffff7df7000));
    }
  }
}

TEST(ThpAlignment, NextMultipleOf2MiBLandsDirectlyBelowAndMerges) {
  // 3.4 step 4 (verified): the padded area is already aligned in top-down mode, so the mapping
  // takes its top: adjacent to the previous one, and it merges (case 3).
  Mm mm = make_process(Profile::linux_6_18);
  std::vector<Event> ev;
  ASSERT_EQ(checked_mmap(mm, 0, 2 * MIB, RW, PRIV_ANON), SysRet(0x7ffff7c00000));
  mm.events = &ev;
  EXPECT_EQ(checked_mmap(mm, 0, 4 * MIB, RW, PRIV_ANON), SysRet(0x7ffff7800000));
  EXPECT_TRUE(narrated_case(ev, 3));
  EXPECT_TRUE(vmas_in(mm, 0x7ffff7000000, VVAR_START, {{0x7ffff7800000, 0x7ffff7e00000, 0x7ffff7800, F_RW}}));
}

TEST(ThpAlignment, NotAppliedToOddLengthsHintsOrSharedAnonymous) {
  // 3.4: "2 MiB + 4 KiB not aligned"; 3.1: only without a hint; shared anonymous goes through
  // shmem (not aligned with shmem THP off).
  Mm mm = make_process(Profile::linux_6_18);
  EXPECT_EQ(checked_mmap(mm, 0, 2 * MIB + P, RW, PRIV_ANON), SysRet(VVAR_START - 2 * MIB - P));
  Mm hinted = make_process(Profile::linux_6_18);
  EXPECT_EQ(checked_mmap(hinted, W + P, 2 * MIB, RW, PRIV_ANON), SysRet(W + P));
  Mm shared = make_process(Profile::linux_6_18);
  EXPECT_EQ(checked_mmap(shared, 0, 2 * MIB, RW, MAP_SHARED | MAP_ANONYMOUS), SysRet(VVAR_START - 2 * MIB));
}

TEST(ThpAlignment, BottomUpLayoutRoundsThePaddedAreaUp_618Only) {
  // 3.4 step 4: not top-down, so the result is ret + ((off - ret) mod 2 MiB) with off = 0:
  // the legacy base 0x2aaaaaaab000 rounded up to 0x2aaaaac00000. Classic: no alignment.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.layout.legacy = true;
    Mm mm = make_empty(c);
    const SysRet r = checked_mmap(mm, 0, 2 * MIB, RW, PRIV_ANON);
    EXPECT_EQ(r, SysRet(pf == Profile::linux_6_18 ? 0x2aaaaac00000 : 0x2aaaaaaab000));
  }
}

TEST(ThpAlignment, OffWithoutTransparentHugepageSupport) {
  // 3.1: the THP path needs CONFIG_TRANSPARENT_HUGEPAGE.
  MmConfig c = config(Profile::linux_6_18);
  c.machine.thp = false;
  Mm mm = make_process(c);
  EXPECT_EQ(checked_mmap(mm, 0, 2 * MIB, RW, PRIV_ANON), SysRet(VVAR_START - 2 * MIB));
}

}  // namespace
}  // namespace mmspec::test
