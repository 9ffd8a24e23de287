// brk: the program break (kernel-semantics.md 9, 1.4 for the [heap] label, 19.9/19.10 and 23.7
// for the profile differences). brk never returns an errno: the new break on success, the old
// one on any failure.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr Addr H = 0x555555559000;  // start_brk of a small non-randomized program
constexpr PgOff HPG = H >> PAGE_SHIFT;

Mm brk_process(Profile pf) {
  Mm mm = make_process(pf);
  mm.start_brk = mm.brk = H;
  return mm;
}

TEST(Brk, BelowStartBrkReturnsOldBreak) {  // 9 step 1
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    ASSERT_EQ(checked_brk(mm, H + 2 * P), SysRet(H + 2 * P));
    EXPECT_EQ(checked_brk(mm, H - P), SysRet(H + 2 * P));
    EXPECT_EQ(checked_brk(mm, 0), SysRet(H + 2 * P));  // the usual "query" call
    EXPECT_EQ(mm.brk, H + 2 * P);
    EXPECT_TRUE(vmas_in(mm, H - 16 * P, H + 16 * P, {{H, H + 2 * P, HPG, F_RW}}));
  }
}

TEST(Brk, GrowthCreatesHeapVmaNamedHeap) {
  // 9 step 5: flags VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT, pgoff = oldbrk >> 12, data_vm += n;
  // 1.4: labelled [heap].
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    EXPECT_EQ(checked_brk(mm, H + 3 * P), SysRet(H + 3 * P));
    EXPECT_TRUE(vmas_in(mm, H - 16 * P, H + 16 * P, {{H, H + 3 * P, HPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(mm.data_vm, 3u);
    EXPECT_EQ(mm.total_vm, 41u + 3u);
    EXPECT_EQ(charged(mm), 3u);
    EXPECT_EQ(maps_name_at(mm, H), "[heap]");
    EXPECT_EQ(std::string(proc_maps(mm)[0].perms, 4), "rw-p");
  }
}

TEST(Brk, SubPageMovesOnlyChangeTheNumber) {  // 9 step 3
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    EXPECT_EQ(checked_brk(mm, H + 0x10), SysRet(H + 0x10));
    EXPECT_TRUE(vmas_in(mm, H - 16 * P, H + 16 * P, {{H, H + P, HPG, F_RW}}));
    EXPECT_EQ(checked_brk(mm, H + 0x800), SysRet(H + 0x800));
    EXPECT_EQ(checked_brk(mm, H + P), SysRet(H + P));  // PAGE_ALIGN(H + P) == PAGE_ALIGN(H + 0x800)
    EXPECT_EQ(checked_brk(mm, H + 0x20), SysRet(H + 0x20));
    EXPECT_EQ(mm.brk, H + 0x20);
    EXPECT_TRUE(vmas_in(mm, H - 16 * P, H + 16 * P, {{H, H + P, HPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

TEST(Brk, ShrinkUnmapsTheFreedPages) {  // 9 step 4
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    ASSERT_EQ(checked_brk(mm, H + 6 * P), SysRet(H + 6 * P));
    EXPECT_EQ(checked_brk(mm, H + 2 * P + 0x10), SysRet(H + 2 * P + 0x10));
    EXPECT_TRUE(vmas_in(mm, H - 16 * P, H + 16 * P, {{H, H + 3 * P, HPG, F_RW}}));
    EXPECT_EQ(mm.data_vm, 3u);
    EXPECT_EQ(charged(mm), 3u);
    EXPECT_EQ(checked_brk(mm, H), SysRet(H));
    EXPECT_TRUE(vmas_in(mm, H - 16 * P, H + 16 * P, {}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
  }
}

TEST(Brk, NeedsOneFreePageBelowTheNextMapping) {
  // 9 step 5: newbrk + P <= vm_start_gap(next) (verified: with a mapping at X, brk reaches
  // X - P but not X).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    const Addr X = H + 8 * P;
    ASSERT_EQ(checked_mmap(mm, X, P, PROT_READ, FIXED_ANON), SysRet(X));
    // H                    X-P  X
    // hhhhhhhhhhhhhhhhhhhhh .... XXXX
    EXPECT_EQ(checked_brk(mm, X - P), SysRet(X - P));
    EXPECT_EQ(checked_brk(mm, X), SysRet(X - P));
    EXPECT_EQ(checked_brk(mm, X - P + 1), SysRet(X - P));  // PAGE_ALIGN = X
    EXPECT_TRUE(vmas_in(mm, H, X + P, {{H, X - P, HPG, F_RW}, {X, X + P, X >> PAGE_SHIFT, F_R}}));
    EXPECT_EQ(mm.brk, X - P);
  }
}

TEST(Brk, StackGuardGapCountsForTheNextMapping) {
  // 9 step 5: "plus stack_guard_gap if it is a stack" (vm_start_gap of a VM_GROWSDOWN VMA).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    const Addr G = H + 0x200000;
    ASSERT_EQ(checked_mmap(mm, G, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(G));
    const Addr limit = G - 0x100000 - P;  // one page below the guard gap
    EXPECT_EQ(checked_brk(mm, limit), SysRet(limit));
    EXPECT_EQ(checked_brk(mm, limit + P), SysRet(limit));
    EXPECT_TRUE(vmas_in(mm, H, G, {{H, limit, HPG, F_RW}}));
  }
}

TEST(Brk, RlimitDataCountsTheBreakAndTheDataSegment) {  // 9 step 2
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    mm.start_data = H - 4 * P;
    mm.end_data = H - 2 * P;  // 2 pages of data
    mm.cfg.rlimits.data = 6 * P;
    EXPECT_EQ(checked_brk(mm, H + 5 * P), SysRet(H));
    EXPECT_EQ(checked_brk(mm, H + 4 * P), SysRet(H + 4 * P));
    EXPECT_TRUE(vmas_in(mm, H, H + 16 * P, {{H, H + 4 * P, HPG, F_RW}}));
  }
}

TEST(Brk, ShrinkOverNothing_618Refuses_510Succeeds) {
  // 9 step 4 / 19.9 / 23.7 (verified on 6.18: shrink refused after the heap was munmapped).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    ASSERT_EQ(checked_brk(mm, H + 4 * P), SysRet(H + 4 * P));
    ASSERT_EQ(checked_munmap(mm, H, 4 * P), 0);
    if (pf != Profile::linux_5_10) {  // 6.1 too (brk/shrink_after_munmap.mmt on 6.1.0-56)
      EXPECT_EQ(checked_brk(mm, H + P), SysRet(H + 4 * P));
      EXPECT_EQ(mm.brk, H + 4 * P);
    } else {
      EXPECT_EQ(checked_brk(mm, H + P), SysRet(H + P));
      EXPECT_EQ(mm.brk, H + P);
    }
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
  }
}

TEST(Brk, ShrinkAndRegrowLeavesTwoHeapVmas) {
  // 1.4 (verified): every VMA in the brk window is labelled [heap]; after a hole is punched in
  // the heap both pieces are.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    ASSERT_EQ(checked_brk(mm, H + 4 * P), SysRet(H + 4 * P));
    ASSERT_EQ(checked_munmap(mm, H + P, P), 0);
    EXPECT_TRUE(vmas_in(mm, H, H + 4 * P, {{H, H + P, HPG, F_RW}, {H + 2 * P, H + 4 * P, HPG + 2, F_RW}}));
    EXPECT_EQ(maps_name_at(mm, H), "[heap]");
    EXPECT_EQ(maps_name_at(mm, H + 2 * P), "[heap]");
  }
}

TEST(Brk, AnonymousMmapRightAfterHeapMergesAndIsLabelledHeap) {
  // 9, last paragraph (verified): an anonymous mmap right after the heap with equal flags merges
  // into it (case 2) and is then labelled [heap] too.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_brk(mm, H + 2 * P), SysRet(H + 2 * P));
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, H + 2 * P, 2 * P, RW, FIXED_ANON), SysRet(H + 2 * P));
    EXPECT_TRUE(narrated_case(ev, 2));
    EXPECT_TRUE(vmas_in(mm, H, H + 4 * P, {{H, H + 4 * P, HPG, F_RW}}));
    EXPECT_EQ(maps_name_at(mm, H + 3 * P), "[heap]");
  }
}

TEST(Brk, HeapMergesWithVmaEndingAtStartBrkOnlyOn510) {
  // 9 step 5 / 19.9 / 23.7: classic's vma_merge takes any VMA ending at oldbrk (the bss), so
  // the heap merges with it; 6.18 only extends a VMA at or above start_brk and creates a new
  // one, and so does 6.1. 1.4 / 19.10: the [heap] label is inclusive on classic, strict on 6.18.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, H - 2 * P, 2 * P, RW, FIXED_ANON), SysRet(H - 2 * P));  // "bss"
    // H-2P      H         H+P
    // bbbbbbbbbb ........         bss rw- ends at start_brk
    //            RRRRRRRR         brk(H + P)
    mm.events = &ev;
    EXPECT_EQ(checked_brk(mm, H + P), SysRet(H + P));
    if (pf != Profile::linux_5_10) {
      // 6.1 (mm/mmap.c brk, do_brk_flags) extends only a VMA above start_brk too, but still
      // labels inclusively: the bss shows as [heap] (seen on Debian's 6.1.0-56 under qemu).
      EXPECT_TRUE(narrated_no_merge(ev));
      EXPECT_TRUE(vmas_in(mm, H - 2 * P, H + P, {{H - 2 * P, H, HPG - 2, F_RW}, {H, H + P, HPG, F_RW}}));
      EXPECT_EQ(maps_name_at(mm, H - 2 * P), pf == Profile::linux_6_1 ? "[heap]" : "");
      EXPECT_EQ(maps_name_at(mm, H), "[heap]");
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    } else {
      EXPECT_TRUE(narrated_case(ev, 2));
      EXPECT_TRUE(vmas_in(mm, H - 2 * P, H + P, {{H - 2 * P, H + P, HPG - 2, F_RW}}));
      EXPECT_EQ(maps_name_at(mm, H - 2 * P), "[heap]");
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    }
  }
}

TEST(Brk, HeapLabelOfVmaTouchingStartBrk_510Inclusive_618Strict) {
  // 1.4: classic `vm_start <= brk && vm_end >= start_brk`; 6.18 `vm_start < brk && vm_end > start_brk`.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = brk_process(pf);
    ASSERT_EQ(checked_mmap(mm, H - 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(H - 2 * P));
    EXPECT_EQ(maps_name_at(mm, H - 2 * P), pf == Profile::linux_6_18 ? "" : "[heap]");
    // a VMA starting exactly at the break: classic `vm_start <= brk` labels it as well
    ASSERT_EQ(checked_brk(mm, H + P), SysRet(H + P));
    ASSERT_EQ(checked_mmap(mm, H + P, P, PROT_READ, FIXED_ANON), SysRet(H + P));
    EXPECT_EQ(maps_name_at(mm, H + P), pf == Profile::linux_6_18 ? "" : "[heap]");
    EXPECT_EQ(maps_name_at(mm, H), "[heap]");
  }
}

}  // namespace
}  // namespace mmspec::test
