// mprotect: validation order (kernel-semantics.md 8.1), the per-VMA loop with its partial
// failures (8.2), splits and their pgoffs (5.1, 5.2), PROT_GROWSDOWN, and the VM_ACCOUNT
// bookkeeping that decides later merges (8.2, 19.5). 8 is "v5.15 and v6.18"; the one marked
// difference (VM_ACCOUNT dropped on 6.18) is asserted per profile.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr PgOff WPG = W >> PAGE_SHIFT;

// ---------------------------------------------------------------------------------------------
// Validation (8.1)

TEST(MprotectErrors, EinvalBothGrowsFlags) {  // 8.1 step 1, before anything else
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mprotect(mm, W, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
    EXPECT_EQ(checked_mprotect(mm, W + 1, 0, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
  }
}

TEST(MprotectErrors, EinvalUnalignedStart) {  // 8.1 step 2 (before the len == 0 shortcut)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mprotect(mm, W + 0x10, P, PROT_READ), -EINVAL);
    EXPECT_EQ(checked_mprotect(mm, W + 0x10, 0, PROT_READ), -EINVAL);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

TEST(MprotectErrors, LengthZeroReturnsZeroEvenWithBadProtOrNoMapping) {  // 8.1 step 3
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mprotect(mm, W, 0, PROT_READ), 0);
    EXPECT_EQ(checked_mprotect(mm, W, 0, 0x10), 0);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
  }
}

TEST(MprotectErrors, EnomemWhenRangeWraps) {  // 8.1 step 4
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mprotect(mm, W, Addr{0} - W, PROT_READ), -ENOMEM);
    EXPECT_EQ(checked_mprotect(mm, W, ~std::uint64_t{0} - 10, PROT_READ), -ENOMEM);
    EXPECT_EQ(checked_mprotect(mm, W, Addr{0} - W, 0x10), -ENOMEM);  // step 4 before step 5
  }
}

TEST(MprotectErrors, EinvalUnknownProtBits) {  // 8.1 step 5
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mprotect(mm, W, P, 0x10), -EINVAL);
    EXPECT_EQ(checked_mprotect(mm, W, P, PROT_READ | 0x100), -EINVAL);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
    // PROT_SEM is accepted (no effect on x86 vm_flags)
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, RW | PROT_SEM), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

TEST(MprotectErrors, EnomemWhenStartIsUnmapped) {  // 8.1 step 7 / 8
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W + P, 2 * P, RW, FIXED_ANON), SysRet(W + P));
    // W    +P        +3P
    // .... AAAAAAAAA          mprotect [W, W+3P): start in a hole
    EXPECT_EQ(checked_mprotect(mm, W, 3 * P, PROT_READ), -ENOMEM);
    EXPECT_EQ(checked_mprotect(mm, W + 4 * P, P, PROT_READ), -ENOMEM);
    EXPECT_EQ(checked_mprotect(mm, 0x10000, P, PROT_READ), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W + P, W + 3 * P, WPG + 1, F_RW}}));
  }
}

TEST(MprotectErrors, EnomemAtHoleAfterChangingVmasBeforeIt) {
  // 8.2 step 1 (verified: [mapped 2P][hole P][mapped P] gives ENOMEM and the first 2P are
  // already read-only).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);  // keep VM_ACCOUNT on 6.18 too
    ASSERT_EQ(checked_mmap(mm, W + 3 * P, P, RW, FIXED_ANON), SysRet(W + 3 * P));
    // W     +2P  +3P  +4P
    // AAAAAA .... BBBB        rw-, rw-
    // RRRRRRRRRRRRRRRR        mprotect r-- [W, W+4P)
    EXPECT_EQ(checked_mprotect(mm, W, 4 * P, PROT_READ), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + 2 * P, WPG, F_R | VM_ACCOUNT}, {W + 3 * P, W + 4 * P, WPG + 3, F_RW}}));
    EXPECT_EQ(mm.data_vm, 1u);
  }
}

TEST(MprotectErrors, EnomemTrailingHoleAfterChangingVmas) {  // 8.2 step 6
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, FIXED_ANON), SysRet(W));
    // W     +2P  +3P
    // AAAAAA ....       r--
    // RRRRRRRRRRR       mprotect r-x [W, W+3P)
    EXPECT_EQ(checked_mprotect(mm, W, 3 * P, PROT_READ | PROT_EXEC), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 2 * P, WPG, F_RX}}));
    EXPECT_EQ(mm.exec_vm, 2u + 2u);
  }
}

TEST(MprotectErrors, EaccesMakingReadOnlySharedFileMappingWritable) {
  // 6.1 row 17 + 8.2 step 3 (verified): the mapping of an fd not open for writing has no
  // VM_MAYWRITE; a private mapping of the same fd keeps it and may become writable.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId ro = make_file(mm, 16 * P, true, false);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, ro, 0),
              SysRet(W + 4 * P));
    const VmFlags ro_shared = VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE;
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, RW), -EACCES);
    EXPECT_EQ(checked_mprotect(mm, W, P, PROT_WRITE), -EACCES);
    EXPECT_EQ(checked_mprotect(mm, W + 4 * P, 2 * P, RW), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 6 * P, {{W, W + 2 * P, 0, ro_shared}, {W + 4 * P, W + 6 * P, 0, F_RW}}));
    // read and exec stay allowed on the shared one (VM_MAYEXEC kept)
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, PROT_READ | PROT_EXEC), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, 0, ro_shared | VM_EXEC}}));
  }
}

TEST(MprotectErrors, EaccesStopsTheLoopAfterEarlierVmasChanged) {  // 8.2 step 3: "EACCES, stop"
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId ro = make_file(mm, 16 * P, true, false);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0),
              SysRet(W + 2 * P));
    // W     +2P   +4P
    // AAAAAA FFFFFF       anon r--, shared r-- of a read-only fd
    // RRRRRRRRRRRRR       mprotect rw-
    EXPECT_EQ(checked_mprotect(mm, W, 4 * P, RW), -EACCES);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + 2 * P, WPG, F_RW},
                         {W + 2 * P, W + 4 * P, 0, VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE}}));
  }
}

TEST(MprotectErrors, EinvalPartialChangeOfSpecialMapping) {
  // 2.4 / 5.1: [vdso] may_split refuses (verified: partial mprotect gives EINVAL).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mprotect(mm, VDSO_START, P, PROT_READ), -EINVAL);
    const Vma* v = vma_at(mm, VDSO_START);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->vm_start, VDSO_START);
    EXPECT_EQ(v->vm_end, VDSO_START + 2 * P);
    EXPECT_EQ(v->vm_flags & VM_ACCESS_FLAGS, VM_READ | VM_EXEC);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
  }
}

// ---------------------------------------------------------------------------------------------
// Splits (5.1) and the flags they carry

TEST(MprotectSplit, MiddlePageGivesThreeVmasWithPgoffs) {
  // 5.1 step 3: the piece starting at addr gets pgoff + (addr - start)/P. The middle piece's
  // VM_ACCOUNT: classic keeps it; 6.18 drops it (never written, 8.2) and uncharges.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, RW, FIXED_ANON), SysRet(W));
    // W    +P   +2P  +3P
    // AAAAAAAAAAAAAA      rw-
    //      RRRR           mprotect r--
    // AAAA BBBB CCCC      rw- r-- rw-
    EXPECT_EQ(checked_mprotect(mm, W + P, P, PROT_READ), 0);
    const VmFlags mid = pf == Profile::linux_6_18 ? F_R : F_R | VM_ACCOUNT;
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P,
                        {{W, W + P, WPG, F_RW}, {W + P, W + 2 * P, WPG + 1, mid}, {W + 2 * P, W + 3 * P, WPG + 2, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 3);
    EXPECT_EQ(mm.data_vm, 2u);
    EXPECT_EQ(mm.total_vm, 41u + 3u);
    EXPECT_EQ(charged(mm), pf == Profile::linux_6_18 ? 2u : 3u);
  }
}

TEST(MprotectSplit, FileMappingPiecesKeepFileOffsets) {  // 5.1 step 3 on a file
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, PROT_READ, MAP_SHARED | MAP_FIXED, f, 2 * P), SysRet(W));
    const VmFlags sh = VM_READ | MAYS | VM_SHARED | VM_MAYSHARE;
    // W    +P        +3P  +4P
    // f@2  f@3  f@4  f@5         shared r--
    //      RRRRRRRRRR            mprotect rw-
    EXPECT_EQ(checked_mprotect(mm, W + P, 2 * P, RW), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + P, 2, sh}, {W + P, W + 3 * P, 3, sh | VM_WRITE}, {W + 3 * P, W + 4 * P, 5, sh}}));
    std::vector<ProcMapsEntry> e = proc_maps(mm);
    EXPECT_EQ(e[1].offset, 3 * P);
    EXPECT_EQ(e[2].offset, 5 * P);
    EXPECT_EQ(charged(mm), 0u);  // shared: never charged (8.2)
  }
}

TEST(MprotectSplit, UnchangedFlagsDoNotSplit) {  // 8.2 step 5: "flags unchanged: nothing happens"
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, RW, FIXED_ANON), SysRet(W));
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + P, P, RW), 0);
    EXPECT_FALSE(has_kind(ev, EventKind::split));
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 3 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

TEST(MprotectSplit, EnomemAtMaxMapCountAndSecondSplitFailureKeepsTheFirst) {
  // 5.2: split_vma fails when map_count >= max; 4.3: "If the second split fails, the first one
  // stays (partial change)" (classic mprotect_fixup also splits at start, then at end).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, RW, FIXED_ANON), SysRet(W));
    mm.cfg.sysctl.max_map_count = mm.map_count;  // no split allowed
    EXPECT_EQ(checked_mprotect(mm, W + P, P, PROT_READ), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 3 * P, WPG, F_RW}}));
    // W    +P   +2P  +3P
    // AAAAAAAAAAAAAA      rw-, one split allowed
    //      RRRR           mprotect r--: split at W+P works, split at W+2P fails
    mm.cfg.sysctl.max_map_count = mm.map_count + 1;
    EXPECT_EQ(checked_mprotect(mm, W + P, P, PROT_READ), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + P, WPG, F_RW}, {W + P, W + 3 * P, WPG + 1, F_RW}}));
    // trimming at a VMA edge needs one split only: [W+P, W+2P) is now the head of a VMA
    mm.cfg.sysctl.max_map_count = mm.map_count + 1;
    EXPECT_EQ(checked_mprotect(mm, W + P, P, PROT_READ | PROT_EXEC), 0);
    // losing VM_WRITE while never written: 6.18 drops VM_ACCOUNT (8.2), classic keeps it
    const VmFlags rx = pf == Profile::linux_6_18 ? F_RX : F_RX | VM_ACCOUNT;
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P,
                        {{W, W + P, WPG, F_RW}, {W + P, W + 2 * P, WPG + 1, rx}, {W + 2 * P, W + 3 * P, WPG + 2, F_RW}}));
  }
}

TEST(MprotectSplit, BecomingWritableChargesAndSetsVmAccount) {  // 8.2 step 5
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, PROT_READ, FIXED_ANON), SysRet(W));
    ASSERT_EQ(charged(mm), 0u);
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, RW), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 2 * P, WPG, F_RW}, {W + 2 * P, W + 4 * P, WPG + 2, F_R}}));
    EXPECT_EQ(charged(mm), 2u);
    EXPECT_EQ(mm.data_vm, 2u);
    // MAP_NORESERVE ranges are never charged
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, 2 * P, PROT_READ, FIXED_ANON | MAP_NORESERVE), SysRet(W + 8 * P));
    EXPECT_EQ(checked_mprotect(mm, W + 8 * P, 2 * P, RW), 0);
    EXPECT_TRUE(vmas_in(mm, W + 8 * P, W + 10 * P,
                        {{W + 8 * P, W + 10 * P, WPG + 8, VM_READ | VM_WRITE | MAYS | VM_NORESERVE}}));
    EXPECT_EQ(charged(mm), 2u);
  }
}

TEST(MprotectSplit, PrivateFileMappingKeepsVmAccountWhenLosingWrite) {
  // 8.2 / 17: removing write never uncharges, except (6.18) on an *anonymous* VMA without
  // anon_vma; a private file mapping keeps VM_ACCOUNT on both profiles.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, f, 0), SysRet(W));
    ASSERT_EQ(charged(mm), 2u);
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, PROT_READ), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, 0, F_R | VM_ACCOUNT}}));
    EXPECT_EQ(charged(mm), 2u);
  }
}

TEST(MprotectSplit, EnomemWhenBecomingWritableExceedsRlimitData) {
  // 8.2 step 5 / 18: becoming writable data fails with ENOMEM when only the new flags exceed
  // RLIMIT_DATA (data_vm + n > DATA/P).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, PROT_READ, FIXED_ANON), SysRet(W));
    mm.cfg.rlimits.data = 3 * P;
    EXPECT_EQ(checked_mprotect(mm, W, 4 * P, RW), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_R}}));
    EXPECT_EQ(charged(mm), 0u);
    EXPECT_EQ(checked_mprotect(mm, W, 3 * P, RW), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 3 * P, WPG, F_RW}, {W + 3 * P, W + 4 * P, WPG + 3, F_R}}));
    EXPECT_EQ(mm.data_vm, 3u);
  }
}

TEST(MprotectSplit, LoopMergesVmaAfterVma) {
  // 8.2: each VMA is fixed up in address order with the previous result as prev: the middle r--
  // VMA joins both sides (case 6), then the last one joins the grown prev (case 7).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 4 * P));
    ASSERT_EQ(checked_mmap(mm, W + 6 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 6 * P));
    // W     +2P   +4P   +6P   +8P
    // AAAAAA BBBBBB CCCCCC DDDDDD      rw- r-- rw- r--
    // RRRRRRRRRRRRRRRRRRRRRRRRRRR      mprotect rw- all
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W, 8 * P, RW), 0);
    EXPECT_EQ(merge_cases(ev), (std::vector<int>{6, 7})) << events_str(ev);
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P, {{W, W + 8 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(mm.data_vm, 8u);
  }
}

TEST(MprotectSplit, CountersMoveBetweenClasses) {  // 1.3 / 8.2: vm_stat_account(old, -n); (new, +n)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(mm.data_vm, 4u);
    EXPECT_EQ(checked_mprotect(mm, W, 3 * P, PROT_READ | PROT_EXEC), 0);
    EXPECT_EQ(mm.data_vm, 1u);
    EXPECT_EQ(mm.exec_vm, 2u + 3u);
    EXPECT_EQ(mm.total_vm, 41u + 4u);
  }
}

// ---------------------------------------------------------------------------------------------
// PROT_GROWSDOWN (8.1 step 8)

TEST(MprotectGrowsdown, ExtendsTheRangeDownToTheVmaStart) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(W));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);  // same VM_ACCOUNT rule on both
    // W              +3P  +4P
    // GGGGGGGGGGGGGGGGGGGGG       rw- growsdown
    //           RRRR              mprotect(W+2P, P, r-- | PROT_GROWSDOWN): start becomes W
    // GGGGGGGGGGGGGG GGGG         [W, W+3P) r--, [W+3P, W+4P) rw-
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, P, PROT_READ | PROT_GROWSDOWN), 0);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + 3 * P, WPG, F_R | VM_ACCOUNT | VM_GROWSDOWN},
                         {W + 3 * P, W + 4 * P, WPG + 3, F_RW | VM_GROWSDOWN}}));
    EXPECT_EQ(mm.stack_vm, 33u + 4u);
  }
}

TEST(MprotectGrowsdown, EinvalOnVmaWithoutGrowsdownAndEnomemWithoutVma) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, P, PROT_READ | PROT_GROWSDOWN), -EINVAL);
    EXPECT_EQ(checked_mprotect(mm, W + 8 * P, P, PROT_READ | PROT_GROWSDOWN), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_RW}}));
  }
}

}  // namespace
}  // namespace mmspec::test
