// vma_merge: the eight classic cases reached through the system calls, and the profile
// differences in what may merge (kernel-semantics.md 4.1-4.5, 19, 23).
//
// New ranges (mmap, brk) reach only cases 1-3; an mprotect range always lies inside an existing
// VMA, so it reaches only cases 4-8 (4.2: "R never spans more than one existing VMA", and with
// R inside a VMA the decision yields 4-8; 4.3: vma_merge_existing_range maps onto 4-8). brk
// never reaches cases 1 and 3: the one-free-page rule keeps the heap away from the next VMA (9).
//
// Unless a test says otherwise it runs on both profiles: 19 lists "the merge cases 1..8 for
// ordinary anonymous and file mappings" among the behaviours that are the same.
//
// Pictures: one character per page, `.` a hole, R the range of the call.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr PgOff WPG = W >> PAGE_SHIFT;  // vm_pgoff of a private anonymous VMA starting at W (1.1)

// ---------------------------------------------------------------------------------------------
// Cases 1-3: a new range (mmap MAP_FIXED into a hole, brk growth).

TEST(MergeCases, Case1_MmapFillsHoleBetweenPrevAndNext) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 3 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 3 * P));
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    // W     +2P   +3P       +5P
    // PPPPPP .... NNNNNN         P, N: anon rw-, pgoff = vm_start >> 12
    //        RRRR                mmap rw- MAP_FIXED
    // PPPPPPPPPPPPPPPPPP         case 1: prev grows over next, next removed (4.2)
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, P, RW, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_TRUE(narrated_case(ev, 1));
    EXPECT_TRUE(vmas_in(mm, W, W + 5 * P, {{W, W + 5 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(mm.data_vm, 5u);  // 1.3: private writable, not stack
  }
}

TEST(MergeCases, Case1_FileMappingWithContinuousPgoff) {
  // 4.1: same struct file and pgoff continuity on both sides; 4.2 case 1 keeps prev's pgoff.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 3 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 3 * P),
              SysRet(W + 3 * P));
    // W     +2P   +3P       +5P
    // f@0-1  ....  f@3-4         one fd, private r--
    //        f@2                 mmap the missing file page
    // f@0-4 as one VMA, pgoff 0  case 1
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 2 * P),
              SysRet(W + 2 * P));
    EXPECT_TRUE(narrated_case(ev, 1));
    EXPECT_TRUE(vmas_in(mm, W, W + 5 * P, {{W, W + 5 * P, 0, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(proc_maps(mm)[0].offset, 0u);  // 1.4: offset = vm_pgoff << 12 for files
  }
}

TEST(MergeCases, Case2_MmapRightAfterPrev) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    // W     +2P  +3P
    // PPPPPP ....         P: anon rw-
    //        RRRR         mmap rw- MAP_FIXED, nothing after it
    // PPPPPPPPPPP         case 2: prev grows (4.2)
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, P, RW, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_TRUE(narrated_case(ev, 2));
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 3 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

TEST(MergeCases, Case2_BrkGrowsTheHeap) {
  // 9: growth extends the VMA just below the old break when it ends there and is mergeable
  // (classic: vma_merge(prev, ...); 6.18: vma_merge_new_range in just_expand mode). Both are
  // case 2; flags VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT, pgoff = addr >> 12.
  constexpr Addr H = 0x555555559000;
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.start_brk = mm.brk = H;
    std::vector<Event> ev;
    ASSERT_EQ(checked_brk(mm, H + P), SysRet(H + P));
    ASSERT_TRUE(vmas_in(mm, H, H + 3 * P, {{H, H + P, H >> PAGE_SHIFT, F_RW}}));
    // H    +P        +3P
    // HHHH ........         [heap] rw-
    //      RRRRRRRR         brk(H + 3P)
    // HHHHHHHHHHHHH         case 2
    mm.events = &ev;
    EXPECT_EQ(checked_brk(mm, H + 3 * P), SysRet(H + 3 * P));
    EXPECT_TRUE(narrated_case(ev, 2));
    EXPECT_TRUE(vmas_in(mm, H, H + 3 * P, {{H, H + 3 * P, H >> PAGE_SHIFT, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(mm.brk, H + 3 * P);
  }
}

TEST(MergeCases, Case1And3_NotReachableThroughBrk) {
  // 9: "a merge with the next VMA cannot happen through brk() because of the one-free-page
  // rule": the break may reach X - P, never X, so the heap never touches X.
  constexpr Addr H = 0x555555559000;
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.start_brk = mm.brk = H;
    std::vector<Event> ev;
    const Addr X = H + 3 * P;
    ASSERT_EQ(checked_brk(mm, H + P), SysRet(H + P));
    ASSERT_EQ(checked_mmap(mm, X, 2 * P, RW, FIXED_ANON), SysRet(X));  // same flags as the heap
    // H    +P   +2P  X=+3P
    // hhhh .... .... XXXXXXXX     [heap] rw-, X anon rw-
    //      RRRRRRRRR              brk(X): would be case 1; refused, the break stays
    mm.events = &ev;
    EXPECT_EQ(checked_brk(mm, X), SysRet(H + P));
    EXPECT_TRUE(narrated_no_merge(ev));
    ev.clear();
    EXPECT_EQ(checked_brk(mm, X - P), SysRet(X - P));  // case 2 only
    EXPECT_TRUE(narrated_case(ev, 2));
    EXPECT_TRUE(vmas_in(mm, H, X + 2 * P, {{H, X - P, H >> PAGE_SHIFT, F_RW}, {X, X + 2 * P, X >> PAGE_SHIFT, F_RW}}));
  }
}

TEST(MergeCases, Case3_MmapRightBeforeNext) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W + P, 2 * P, RW, FIXED_ANON), SysRet(W + P));
    // W    +P       +3P
    // .... NNNNNNNN         N: anon rw-, pgoff WPG + 1
    // RRRR                  mmap rw- MAP_FIXED
    // NNNNNNNNNNNNN         case 3: next grows down, pgoff - 1 (4.2)
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    EXPECT_TRUE(narrated_case(ev, 3));
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 3 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

TEST(MergeCases, Case3_FileMappingNextPgoffMovesBack) {
  // 4.2 case 3: the kept next's pgoff becomes next.pgoff - pglen.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, f, 6 * P),
              SysRet(W + 2 * P));
    // W        +2P      +4P
    // ........ f@6-7            shared r--
    // f@4-5                     mmap pages 4-5 of the same fd
    // f@4-7, pgoff 4            case 3
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, f, 4 * P), SysRet(W));
    EXPECT_TRUE(narrated_case(ev, 3));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + 4 * P, 4, VM_READ | MAYS | VM_MAYSHARE | VM_SHARED}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Cases 4-8: mprotect. Making a read-only private anonymous range writable adds VM_ACCOUNT
// (8.2), so it then has exactly the flags of an rw- anonymous neighbour, on both profiles.

TEST(MergeCases, Case4_MprotectTailOfPrevJoinsNext) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, PROT_READ, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 4 * P, RW, FIXED_ANON), SysRet(W + 4 * P));
    const std::uint64_t committed = charged(mm);
    // W        +2P      +4P                +8P
    // PPPPPPPPPPPPPPPPPP NNNNNNNNNNNNNNNNNN      P r--, N rw-
    //          RRRRRRRRR                         mprotect rw- the tail of P
    // PPPPPPPPP NNNNNNNNNNNNNNNNNNNNNNNNNNN      case 4: P shrinks, N grows down, N.pgoff - 2
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 4));
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P,
                        {{W, W + 2 * P, WPG, F_R}, {W + 2 * P, W + 8 * P, WPG + 2, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    EXPECT_EQ(mm.data_vm, 6u);
    EXPECT_EQ(charged(mm), committed + 2);  // 8.2: the 2 pages becoming writable are charged
  }
}

TEST(MergeCases, Case5_MprotectHeadOfNextJoinsPrev) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 4 * P, PROT_READ, FIXED_ANON), SysRet(W + 4 * P));
    // W                 +4P      +6P      +8P
    // PPPPPPPPPPPPPPPPPP NNNNNNNNNNNNNNNNNN      P rw-, N r--
    //                    RRRRRRRRR               mprotect rw- the head of N
    // PPPPPPPPPPPPPPPPPPPPPPPPPPP NNNNNNNNN      case 5: P grows, N.start and N.pgoff + 2
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 4 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 5));
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P,
                        {{W, W + 6 * P, WPG, F_RW}, {W + 6 * P, W + 8 * P, WPG + 6, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    EXPECT_EQ(mm.data_vm, 6u);
  }
}

TEST(MergeCases, Case5_FileMappingPgoffOfShrunkNext) {
  // 4.2 case 5 on a file: N.pgoff advances by the pages given to prev.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 8 * P), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 3 * P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
                           f, 10 * P),
              SysRet(W + 2 * P));
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);  // r-- and r-x differ in VM_EXEC
    // W     +2P   +3P      +5P
    // f@8-9 f@10-12                 P r--, N r-x (same fd)
    //       RRRR                    mprotect r-- the head of N
    // f@8-10      f@11-12           case 5: N.pgoff 10 -> 11
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, P, PROT_READ), 0);
    EXPECT_TRUE(narrated_case(ev, 5));
    EXPECT_TRUE(vmas_in(mm, W, W + 5 * P,
                        {{W, W + 3 * P, 8, F_R}, {W + 3 * P, W + 5 * P, 11, F_RX}}));
    EXPECT_EQ(mm.exec_vm, 2u + 2u);  // [vdso] 2 pages + 2 left in N (1.3)
  }
}

TEST(MergeCases, Case6_MprotectWholeMiddleJoinsBoth) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 4 * P));
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 3);
    // W     +2P   +4P   +6P
    // PPPPPP MMMMMM NNNNNN      P rw-, M r--, N rw-
    //        RRRRRR             mprotect rw- all of M
    // PPPPPPPPPPPPPPPPPPPP      case 6: prev grows over M and N (remove_next=2)
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 6));
    EXPECT_TRUE(vmas_in(mm, W, W + 6 * P, {{W, W + 6 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(mm.data_vm, 6u);
  }
}

TEST(MergeCases, Case7_MprotectWholeMiddleJoinsPrev) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, PROT_READ | PROT_EXEC, FIXED_ANON),
              SysRet(W + 4 * P));
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 3);
    // W     +2P   +4P   +6P
    // PPPPPP MMMMMM NNNNNN      P rw-, M r--, N r-x
    //        RRRRRR             mprotect rw- all of M; N's flags differ
    // PPPPPPPPPPPPP NNNNNN      case 7: prev grows over M (remove_next=1)
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 7));
    EXPECT_TRUE(vmas_in(mm, W, W + 6 * P,
                        {{W, W + 4 * P, WPG, F_RW}, {W + 4 * P, W + 6 * P, WPG + 4, F_RX}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(MergeCases, Case7_WhenPrevAndNextHaveDifferentAnonVmas) {
  // 4.2 rule 2 / 4.3: both sides mergeable with the range, but prev and next have different
  // anon_vmas: only the left merge stays, so case 6 becomes case 7.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 4 * P));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    ASSERT_EQ(checked_touch(mm, W + 4 * P, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId a = vma_at(mm, W)->anon_vma, c = vma_at(mm, W + 4 * P)->anon_vma;
    ASSERT_NE(a, c);  // M between them had no anon_vma to share (4.4)
    // W     +2P   +4P   +6P
    // PPPPPP MMMMMM NNNNNN      P rw- (anon_vma a), M r-- (none), N rw- (anon_vma c)
    //        RRRRRR             mprotect rw- all of M
    // PPPPPPPPPPPPP NNNNNN      case 7
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 7));
    EXPECT_TRUE(vmas_in(mm, W, W + 6 * P, {{W, W + 4 * P, WPG, F_RW}, {W + 4 * P, W + 6 * P, WPG + 4, F_RW}}));
    EXPECT_EQ(vma_at(mm, W)->anon_vma, a);
    EXPECT_EQ(vma_at(mm, W + 4 * P)->anon_vma, c);
  }
}

TEST(MergeCases, Case8_MprotectWholeMiddleJoinsNext) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ | PROT_EXEC, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 4 * P));
    // W     +2P   +4P   +6P
    // PPPPPP MMMMMM NNNNNN      P r-x, M r--, N rw-
    //        RRRRRR             mprotect rw- all of M
    // PPPPPP NNNNNNNNNNNNN      case 8: N grows down over M, N.pgoff - 2 (remove_next=3)
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 8));
    EXPECT_TRUE(vmas_in(mm, W, W + 6 * P,
                        {{W, W + 2 * P, WPG, F_RX}, {W + 2 * P, W + 6 * P, WPG + 2, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(MergeCases, MprotectBackAfterMiddleSplitIsCase6) {
  // 4.5 (verified on 6.18, and 19 says the cases are the same on classic): mprotect of a middle
  // page to r-- gives 3 VMAs, back to rw- gives 1 again.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mprotect(mm, W + P, P, PROT_READ), 0);
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 3);
    // W    +P   +2P  +3P
    // AAAA BBBB CCCC       rw- r-- rw-
    //      RRRR            mprotect rw-
    // AAAAAAAAAAAAAA       case 6
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + P, P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 6));
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 3 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Refusals that are the same on both profiles.

TEST(MergeRefusals, SeparateOpensOfOneInodeNeverMerge) {
  // 1.1 / 4.1 / 22.2: merging needs the same struct file, not the same inode.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f1 = make_file(mm, 16 * P);
    const FileId f2 = mm.world->open(mm.world->file(f1)->inode, true, true);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f1, 0), SysRet(W));
    // W     +2P   +4P
    // f1@0-1 f2@2-3      same inode, two open()s
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f2, 2 * P),
              SysRet(W + 2 * P));
    EXPECT_TRUE(narrated_no_merge(ev));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 2 * P, 0, F_R}, {W + 2 * P, W + 4 * P, 2, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(MergeRefusals, FilePgoffNotContinuous) {
  // 4.1: prev.pgoff + pages(prev) must equal the range's pgoff.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 0), SysRet(W));
    // W     +2P   +4P
    // f@0-1 f@5-6        pgoff 2 would continue; 5 does not
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, f, 5 * P),
              SysRet(W + 2 * P));
    EXPECT_TRUE(narrated_no_merge(ev));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 2 * P, 0, F_R}, {W + 2 * P, W + 4 * P, 5, F_R}}));
  }
}

TEST(MergeRefusals, AdjacentSharedAnonymousNeverMerge) {
  // 4.5 / 22.2: each shared anonymous mapping has its own shmem file; pgoff 0 (1.1, 6.1).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const VmFlags shared = VM_READ | VM_WRITE | MAYS | VM_SHARED | VM_MAYSHARE;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED), SysRet(W));
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED),
              SysRet(W + 2 * P));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 2 * P, 0, shared}, {W + 2 * P, W + 4 * P, 0, shared}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    EXPECT_EQ(maps_name_at(mm, W), "/dev/zero (deleted)");  // 1.4
    EXPECT_EQ(proc_maps(mm)[0].perms[3], 's');
    EXPECT_EQ(mm.data_vm, 0u);  // shared: only total_vm (1.3)
  }
}

TEST(MergeRefusals, GapFillBetweenDifferentAnonVmasJoinsPrev) {
  // 4.2 rule 2 / 4.3 step 2: both sides mergeable but prev and next have different anon_vmas:
  // only the left merge stays (case 2). 23.6: 5.10 and 6.18 both join the previous VMA; 6.1
  // joins the next one.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, P, RW, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    ASSERT_EQ(checked_touch(mm, W + 2 * P, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId a = vma_at(mm, W)->anon_vma, b = vma_at(mm, W + 2 * P)->anon_vma;
    ASSERT_NE(a, 0u);
    ASSERT_NE(b, 0u);
    ASSERT_NE(a, b);  // not adjacent at the first fault: no anon_vma reuse (4.4)
    // W    +P   +2P  +3P
    // AAAA .... BBBB       both rw-, written: anon_vma a and b
    //      RRRR            mmap rw- MAP_FIXED
    // AAAAAAAAA BBBB       case 2
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + P, P, RW, FIXED_ANON), SysRet(W + P));
    if (pf == Profile::linux_6_1) {
      // mm/mmap.c __mmap_region (v6.1) takes next first; prev then fails with next's anon_vma:
      // next grows down (case 3), as Debian's 6.1.0-56 does under qemu.
      EXPECT_TRUE(narrated_case(ev, 3));
      EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + P, WPG, F_RW}, {W + P, W + 3 * P, WPG + 1, F_RW}}));
      EXPECT_EQ(vma_at(mm, W)->anon_vma, a);
      EXPECT_EQ(vma_at(mm, W + P)->anon_vma, b);
      continue;
    }
    EXPECT_TRUE(narrated_case(ev, 2));
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 2 * P, WPG, F_RW}, {W + 2 * P, W + 3 * P, WPG + 2, F_RW}}));
    EXPECT_EQ(vma_at(mm, W)->anon_vma, a);
    EXPECT_EQ(vma_at(mm, W + 2 * P)->anon_vma, b);
  }
}

// ---------------------------------------------------------------------------------------------
// Profile differences.

TEST(MergeProfiles, UnwrittenRangeLosingWrite_618DropsVmAccountAndMerges_510Keeps) {
  // 8.2 / 19.5 / 23.2 / 4.5: 6.18 removes VM_ACCOUNT (and uncharges) when a private anonymous
  // VMA without anon_vma loses PROT_WRITE, so it re-merges with a read-only neighbour; classic
  // keeps VM_ACCOUNT and the two stay apart.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(charged(mm), 2u);  // only the rw- mapping was charged (6.2 step 3)
    // W     +2P   +4P
    // AAAAAA BBBBBB       A rw- never written (no anon_vma), B r--
    // RRRRRR              mprotect r-- all of A
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, PROT_READ), 0);
    if (pf == Profile::linux_6_18) {
      // 6.18: A = r-- without VM_ACCOUNT == B: case 8 (A is the whole middle, B next)
      EXPECT_TRUE(narrated_case(ev, 8));
      EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_R}}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
      EXPECT_EQ(charged(mm), 0u);
    } else {
      EXPECT_TRUE(narrated_no_merge(ev));
      EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                          {{W, W + 2 * P, WPG, F_R | VM_ACCOUNT}, {W + 2 * P, W + 4 * P, WPG + 2, F_R}}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
      EXPECT_EQ(charged(mm), 2u);  // 19.5: Committed_AS stays higher
    }
    EXPECT_EQ(mm.data_vm, 0u);  // r-- private is not a data mapping (1.3)
  }
}

TEST(MergeProfiles, WrittenRangeLosingWriteKeepsVmAccountOnBoth) {
  // 4.5: "2 if it had been written": a VMA with an anon_vma keeps VM_ACCOUNT on 6.18 too.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    // W     +2P   +4P
    // AAAAAA BBBBBB       A rw- written, B r--
    // RRRRRR              mprotect r--
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W, 2 * P, PROT_READ), 0);
    EXPECT_TRUE(narrated_no_merge(ev));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + 2 * P, WPG, F_R | VM_ACCOUNT}, {W + 2 * P, W + 4 * P, WPG + 2, F_R}}));
    EXPECT_EQ(charged(mm), 2u);
  }
}

TEST(MergeProfiles, FaultedRangeNextToUnfaultedNeighbour_510Refuses_618Merges) {
  // 4.1 (the live-verified example, MAP_NORESERVE on both so VM_ACCOUNT does not differ),
  // 19.4, 23.1: classic is_mergeable_anon_vma refuses a faulted range next to a neighbour with
  // an empty anon_vma_chain; 6.18 lets the neighbour adopt the anon_vma (case 7 here).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, FIXED_ANON | MAP_NORESERVE), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, RW, FIXED_ANON | MAP_NORESERVE), SysRet(W + 2 * P));
    ASSERT_EQ(checked_touch(mm, W + 2 * P, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId b = vma_at(mm, W + 2 * P)->anon_vma;
    ASSERT_NE(b, 0u);
    ASSERT_EQ(vma_at(mm, W)->anon_vma, 0u);
    // W     +2P   +4P
    // AAAAAA BBBBBB       A r-- never touched, B rw- written (anon_vma b); both NORESERVE
    //        RRRRRR       mprotect r-- all of B
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, PROT_READ), 0);
    const VmFlags f = F_R | VM_NORESERVE;
    if (pf == Profile::linux_6_18) {
      EXPECT_TRUE(narrated_case(ev, 7));
      EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, f}}));
      EXPECT_EQ(vma_at(mm, W)->anon_vma, b);  // A adopted B's anon_vma (4.3)
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    } else {
      EXPECT_TRUE(narrated_no_merge(ev));
      EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 2 * P, WPG, f}, {W + 2 * P, W + 4 * P, WPG + 2, f}}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    }
  }
}

TEST(MergeProfiles, UnfaultedRangeNextToFaultedNeighbourMergesOnBoth) {
  // 4.1: classic accepts an unfaulted range when the neighbour's chain has exactly one entry;
  // 6.18 rule 2 the same. The kept prev keeps its anon_vma.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId a = vma_at(mm, W)->anon_vma;
    ASSERT_NE(a, 0u);
    // W     +2P   +4P
    // AAAAAA BBBBBB       A rw- written (anon_vma a), B r-- never touched
    //        RRRRRR       mprotect rw- all of B: case 7
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + 2 * P, 2 * P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 7));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_RW}}));
    EXPECT_EQ(vma_at(mm, W)->anon_vma, a);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
  }
}

TEST(MergeProfiles, MapStackSetsNoHugepageOnlyOn618) {
  // 1.2 / 19.3 / 23.8: 6.18 (THP configured) turns MAP_STACK into VM_NOHUGEPAGE, so the
  // mapping does not merge with a plain anonymous neighbour; 5.10 ignores MAP_STACK (case 2).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    // W     +2P   +4P
    // AAAAAA RRRRRR       A rw-; mmap rw- MAP_STACK right after it
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, RW, FIXED_ANON | MAP_STACK), SysRet(W + 2 * P));
    if (pf == Profile::linux_6_18) {
      EXPECT_TRUE(narrated_no_merge(ev));
      EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                          {{W, W + 2 * P, WPG, F_RW}, {W + 2 * P, W + 4 * P, WPG + 2, F_RW | VM_NOHUGEPAGE}}));
      EXPECT_EQ(proc_maps(mm)[1].vmflags().find("nh") != std::string::npos, true);
    } else {
      EXPECT_TRUE(narrated_case(ev, 2));
      EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_RW}}));
    }
  }
}

TEST(MergeProfiles, AnonVmaReuseAtFirstFaultLetsHalvesRemerge) {
  // 4.4: "mprotect half, write both halves, mprotect back" re-merges into one VMA because the
  // second half's first write fault shares the first half's anon_vma (flags may differ in
  // VM_READ/WRITE/EXEC). Same on both profiles.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mprotect(mm, W + P, P, RW | PROT_EXEC), 0);
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    ASSERT_EQ(checked_touch(mm, W + P, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId a = vma_at(mm, W)->anon_vma;
    ASSERT_NE(a, 0u);
    EXPECT_EQ(vma_at(mm, W + P)->anon_vma, a);
    // W    +P   +2P
    // AAAA BBBB       rw- / rwx, both written, one shared anon_vma
    //      RRRR       mprotect rw-: case 7
    mm.events = &ev;
    EXPECT_EQ(checked_mprotect(mm, W + P, P, RW), 0);
    EXPECT_TRUE(narrated_case(ev, 7));
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

}  // namespace
}  // namespace mmspec::test
