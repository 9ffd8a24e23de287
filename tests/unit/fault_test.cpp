// touch: the outcome of one user access (kernel-semantics.md 16), stack growth of VM_GROWSDOWN
// VMAs with its guard-gap and RLIMIT_STACK limits (16.1, 22.7), and anon_vma_prepare's reuse of
// a compatible neighbour's anon_vma (4.4). 16 is the same on both profiles (19: "stack guard
// gap, signal codes" are the same).
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr PgOff WPG = W >> PAGE_SHIFT;
constexpr Addr GAP = 0x100000;  // stack_guard_gap, 256 pages (2.1)

TEST(Touch, ReadAndWriteOfRwAnonymousAreOk) {  // 16.2 / 16.3
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_touch(mm, W + 0x123, AccessKind::read), FaultOutcome::ok);
    // 16.3: a read fault maps the zero page and creates no anon_vma
    EXPECT_EQ(vma_at(mm, W)->anon_vma, 0u);
    EXPECT_EQ(checked_touch(mm, W + P + 8, AccessKind::write), FaultOutcome::ok);
    EXPECT_NE(vma_at(mm, W)->anon_vma, 0u);  // a write fault does (anon_vma_prepare)
    EXPECT_EQ(vma_at(mm, W)->anon_vma_chain, 1u);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));
  }
}

TEST(Touch, SegvMaperrInHoleAndAboveEverything) {  // 16.1 steps 2 and 4
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, P, RW, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_EQ(checked_touch(mm, W + P, AccessKind::read), FaultOutcome::segv_maperr);
    EXPECT_EQ(checked_touch(mm, W + P + 0xfff, AccessKind::write), FaultOutcome::segv_maperr);
    EXPECT_EQ(checked_touch(mm, W - 1, AccessKind::read), FaultOutcome::segv_maperr);
    EXPECT_EQ(checked_touch(mm, STACK_END, AccessKind::read), FaultOutcome::segv_maperr);
    EXPECT_EQ(checked_touch(mm, 0, AccessKind::read), FaultOutcome::segv_maperr);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(Touch, SegvAccerrWriteToReadOnly) {  // 16.2 (verified)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, PROT_READ, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::segv_accerr);
    EXPECT_EQ(checked_touch(mm, W, AccessKind::read), FaultOutcome::ok);
    EXPECT_EQ(vma_at(mm, W)->anon_vma, 0u);
    // the [vdso] is r-x: no write either
    EXPECT_EQ(checked_touch(mm, VDSO_START, AccessKind::write), FaultOutcome::segv_accerr);
    EXPECT_EQ(checked_touch(mm, VDSO_START, AccessKind::exec), FaultOutcome::ok);
  }
}

TEST(Touch, SegvAccerrAnyAccessToProtNone) {  // 16.2 (verified for read)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, PROT_NONE, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_touch(mm, W, AccessKind::read), FaultOutcome::segv_accerr);
    EXPECT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::segv_accerr);
    EXPECT_EQ(checked_touch(mm, W, AccessKind::exec), FaultOutcome::segv_accerr);
  }
}

TEST(Touch, SegvAccerrExecOfRwMapping) {  // 16.2: exec of NX after the page is present
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_touch(mm, W, AccessKind::exec), FaultOutcome::segv_accerr);
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, P, PROT_READ | PROT_EXEC, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_EQ(checked_touch(mm, W + 2 * P, AccessKind::exec), FaultOutcome::ok);
  }
}

TEST(Touch, ReadOfWriteOnlyOrExecOnlyMappingIsOk) {
  // 16.2: a read (or exec) of a not-present page needs any of VM_READ/VM_WRITE/VM_EXEC; an
  // exec needs VM_EXEC once the page is present (NX).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, PROT_WRITE, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, P, PROT_EXEC, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_EQ(checked_touch(mm, W, AccessKind::read), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W, AccessKind::exec), FaultOutcome::segv_accerr);
    EXPECT_EQ(checked_touch(mm, W + 2 * P, AccessKind::read), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W + 2 * P, AccessKind::exec), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W + 2 * P, AccessKind::write), FaultOutcome::segv_accerr);
  }
}

TEST(Touch, SigbusBeyondEndOfFile) {
  // 16.3 (verified): pages with index >= ceil(i_size / P) give SIGBUS; the last partial page is
  // readable.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 2 * P + 100);  // 3 pages of file, the third partial
    ASSERT_EQ(checked_mmap(mm, W, 5 * P, PROT_READ, MAP_SHARED | MAP_FIXED, f, 0), SysRet(W));
    EXPECT_EQ(checked_touch(mm, W, AccessKind::read), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W + 2 * P + 200, AccessKind::read), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W + 3 * P, AccessKind::read), FaultOutcome::sigbus);
    EXPECT_EQ(checked_touch(mm, W + 4 * P + 5, AccessKind::read), FaultOutcome::sigbus);
    // with a file offset: page index = pgoff + (addr - start) / P
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, 2 * P, RW, MAP_PRIVATE | MAP_FIXED, f, 2 * P), SysRet(W + 8 * P));
    EXPECT_EQ(checked_touch(mm, W + 8 * P, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W + 9 * P, AccessKind::read), FaultOutcome::sigbus);
  }
}

// ---------------------------------------------------------------------------------------------
// Stack growth (16.1)

TEST(StackGrowth, GrowsdownVmaExpandsToTheFaultingPage) {
  // 16.1: v.start = address & PAGE_MASK, v.pgoff -= grow, stack_vm += grow (MAP_GROWSDOWN
  // mappings too, verified with 100 pages below).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Addr S = W + 0x10000000;
    ASSERT_EQ(checked_mmap(mm, S, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(S));
    const std::uint64_t stack_vm = mm.stack_vm;
    const std::uint64_t committed = charged(mm);
    EXPECT_EQ(checked_touch(mm, S - 100 * P + 0x10, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(charged(mm), committed + 100);  // 17: stack growth is charged per page
    EXPECT_TRUE(vmas_in(mm, S - 200 * P, S + P,
                        {{S - 100 * P, S + P, (S >> PAGE_SHIFT) - 100, F_RW | VM_GROWSDOWN}}));
    EXPECT_EQ(mm.stack_vm, stack_vm + 100);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_NE(vma_at(mm, S)->anon_vma, 0u);  // expand_downwards runs anon_vma_prepare
    // a read access below grows it as well
    EXPECT_EQ(checked_touch(mm, S - 101 * P, AccessKind::read), FaultOutcome::ok);
    EXPECT_EQ(vma_at(mm, S)->vm_start, S - 101 * P);
  }
}

TEST(StackGrowth, InitialStackGrows) {  // 16.1: [stack] from the default image
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_touch(mm, STACK_START - 10 * P, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(vma_at(mm, STACK_END - P)->vm_start, STACK_START - 10 * P);
    EXPECT_EQ(vma_at(mm, STACK_END - P)->vm_pgoff, (STACK_START >> PAGE_SHIFT) - 10);
    EXPECT_EQ(mm.stack_vm, 33u + 10u);
    EXPECT_EQ(maps_name_at(mm, STACK_START - 10 * P), "[stack]");
  }
}

TEST(StackGrowth, StopsAtTheGuardGapAboveAnAccessibleMapping) {
  // 16.1: growth fails (SEGV_MAPERR) when address - prev.end < stack_guard_gap and prev is
  // accessible and not growsdown (verified: "within 1 MiB of an accessible mapping fails").
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Addr A = W;
    const Addr S = A + P + GAP + 4 * P;  // G starts 1 MiB + 4 pages above A's end
    ASSERT_EQ(checked_mmap(mm, A, P, PROT_READ, FIXED_ANON), SysRet(A));
    ASSERT_EQ(checked_mmap(mm, S, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(S));
    // A    A+P            A+P+1M       S
    // AAAA ...............|..........  GGGG
    EXPECT_EQ(checked_touch(mm, A + P + GAP - P, AccessKind::write), FaultOutcome::segv_maperr);
    EXPECT_EQ(vma_at(mm, S)->vm_start, S);
    EXPECT_EQ(checked_touch(mm, A + P + GAP, AccessKind::write), FaultOutcome::ok);  // exactly 1 MiB
    EXPECT_EQ(vma_at(mm, S)->vm_start, A + P + GAP);
    EXPECT_EQ(vma_at(mm, S)->vm_pgoff, (A + P + GAP) >> PAGE_SHIFT);
  }
}

TEST(StackGrowth, ProtNoneMappingDoesNotBlock) {  // 16.1 (verified)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Addr S = W + 4 * P;
    ASSERT_EQ(checked_mmap(mm, W, P, PROT_NONE, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, S, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(S));
    EXPECT_EQ(checked_touch(mm, W + P, AccessKind::write), FaultOutcome::ok);
    EXPECT_TRUE(vmas_in(mm, W, S + P, {{W, W + P, WPG, F_NONE}, {W + P, S + P, WPG + 1, F_RW | VM_GROWSDOWN}}));
  }
}

TEST(StackGrowth, GrowsdownNeighbourBelowDoesNotBlock) {  // 16.1: only a non-growsdown prev
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const Addr S = W + 8 * P;
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, S, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(S));
    EXPECT_EQ(checked_touch(mm, W + P, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(vma_at(mm, S)->vm_start, W + P);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(StackGrowth, RlimitStackLimitsTheWholeVmaSize) {
  // 16.1 acct_stack_growth: new size v.end - address > RLIMIT_STACK fails (verified:
  // SEGV_MAPERR).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.cfg.rlimits.stack = 16 * P;
    const Addr S = W + 0x1000000;
    ASSERT_EQ(checked_mmap(mm, S, 2 * P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(S));
    EXPECT_EQ(checked_touch(mm, S - 15 * P, AccessKind::write), FaultOutcome::segv_maperr);  // 17 pages
    EXPECT_EQ(vma_at(mm, S)->vm_start, S);
    EXPECT_EQ(checked_touch(mm, S - 14 * P, AccessKind::write), FaultOutcome::ok);  // 16 pages
    EXPECT_EQ(vma_at(mm, S)->vm_start, S - 14 * P);
    EXPECT_EQ(checked_touch(mm, S - 15 * P, AccessKind::read), FaultOutcome::segv_maperr);
  }
}

TEST(StackGrowth, NotBelowMmapMinAddr) {  // 16.1: address < mmap_min_addr: EPERM -> SIGSEGV
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, 0x11000, P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(0x11000));
    EXPECT_EQ(checked_touch(mm, 0xf000, AccessKind::write), FaultOutcome::segv_maperr);
    EXPECT_EQ(checked_touch(mm, 0x10000, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(vma_at(mm, 0x11000)->vm_start, 0x10000u);
  }
}

TEST(StackGrowth, PlainVmaDoesNotGrow) {  // 16.1 step 4
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W + P, P, RW, FIXED_ANON), SysRet(W + P));
    EXPECT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::segv_maperr);
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W + P, W + 2 * P, WPG + 1, F_RW}}));
  }
}

// ---------------------------------------------------------------------------------------------
// anon_vma_prepare (4.4)

TEST(AnonVmaPrepare, FirstWriteReusesCompatibleNeighbourAnonVma) {
  // 4.4: next is tried first, then prev; the neighbour must be adjacent, same file, flags
  // differing at most in R/W/X/SOFTDIRTY, pgoff continuous, anon_vma with one chain entry.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mprotect(mm, W + P, P, RW | PROT_EXEC), 0);
    ASSERT_EQ(checked_mprotect(mm, W + 2 * P, P, PROT_READ), 0);
    ASSERT_EQ(checked_touch(mm, W + 2 * P, AccessKind::read), FaultOutcome::ok);  // no anon_vma
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId a = vma_at(mm, W)->anon_vma;
    ASSERT_NE(a, 0u);
    // W    +P   +2P  +3P
    // AAAA BBBB CCCC       rw- (anon_vma a), rwx, r-- (none)
    //      ^               first write to B: next C has none, prev A qualifies
    EXPECT_EQ(checked_touch(mm, W + P, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(vma_at(mm, W + P)->anon_vma, a);
    EXPECT_EQ(vma_at(mm, W + P)->anon_vma_chain, 1u);
    EXPECT_EQ(vma_at(mm, W + 2 * P)->anon_vma, 0u);
  }
}

TEST(AnonVmaPrepare, NextIsPreferredAndIncompatibleNeighboursAreNot) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + P, P, RW | PROT_EXEC, FIXED_ANON), SysRet(W + P));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, P, PROT_READ | PROT_EXEC, FIXED_ANON), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mprotect(mm, W + 2 * P, P, RW), 0);  // now rw- with VM_ACCOUNT, not next to A
    ASSERT_EQ(checked_touch(mm, W, AccessKind::write), FaultOutcome::ok);
    ASSERT_EQ(checked_touch(mm, W + 2 * P, AccessKind::write), FaultOutcome::ok);
    const AnonVmaId a = vma_at(mm, W)->anon_vma, c = vma_at(mm, W + 2 * P)->anon_vma;
    ASSERT_NE(a, 0u);
    ASSERT_NE(c, 0u);
    ASSERT_NE(a, c);  // C's only neighbour B had none yet
    // W    +P   +2P  +3P
    // AAAA BBBB CCCC       rw- (a), rwx (none), rw- (c): B's first write takes next's c
    anon_vma_prepare(mm, *mm.vmas.find_vma(W + P));
    EXPECT_MM_VALID(mm);
    EXPECT_EQ(vma_at(mm, W + P)->anon_vma, c);

    // A different flag outside R/W/X (VM_NORESERVE) makes the neighbour incompatible.
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, P, RW, FIXED_ANON), SysRet(W + 8 * P));
    ASSERT_EQ(checked_mmap(mm, W + 9 * P, P, RW, FIXED_ANON | MAP_NORESERVE), SysRet(W + 9 * P));
    ASSERT_EQ(checked_touch(mm, W + 8 * P, AccessKind::write), FaultOutcome::ok);
    EXPECT_EQ(checked_touch(mm, W + 9 * P, AccessKind::write), FaultOutcome::ok);
    EXPECT_NE(vma_at(mm, W + 9 * P)->anon_vma, vma_at(mm, W + 8 * P)->anon_vma);
    EXPECT_NE(vma_at(mm, W + 9 * P)->anon_vma, 0u);
  }
}

}  // namespace
}  // namespace mmspec::test
