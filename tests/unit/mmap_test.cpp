// mmap: every errno path of the argument checks in the kernel's order (kernel-semantics.md 6.1,
// 3.1, 3.6, 5.2), and what a successful mapping looks like (1.1, 1.3, 1.4, 6.1 notes, 6.2, 6.3).
// All tests run on both profiles: 6.1 is "v5.15 and v6.18 unless marked", and none of the
// checks below is marked.
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace mmspec::test {
namespace {

constexpr PgOff WPG = W >> PAGE_SHIFT;

// Nothing changed: the window is still empty and map_count is that of the default image.
::testing::AssertionResult untouched(const Mm& mm) {
  if (mm.map_count != DEFAULT_MAP_COUNT)
    return ::testing::AssertionFailure() << "map_count " << mm.map_count << "\n" << dump(mm);
  return vmas_in(mm, 0, VVAR_START, {});
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(MmapErrors, EinvalLengthZero) {  // 6.1 row 6
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, 0, RW, PRIV_ANON), -EINVAL);
    EXPECT_EQ(checked_mmap(mm, W, 0, RW, FIXED_ANON), -EINVAL);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EinvalUnalignedOffset) {  // 6.1 row 1: checked first, also for anonymous
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, PRIV_ANON, -1, 0x100), -EINVAL);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, f, P + 0x800), -EINVAL);
    // row 1 comes before row 2 (EBADF) and row 6 (len 0)
    EXPECT_EQ(checked_mmap(mm, 0, 0, PROT_READ, MAP_PRIVATE, 99, 0x10), -EINVAL);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EinvalNoMapType) {  // 6.1 rows 18 (file) and 19 (anonymous)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, MAP_ANONYMOUS), -EINVAL);
    EXPECT_EQ(checked_mmap(mm, W, P, RW, MAP_ANONYMOUS | MAP_FIXED), -EINVAL);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, 0, f, 0), -EINVAL);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EinvalSharedValidateAnonymous) {  // 6.1 row 19: not accepted for anonymous
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS), -EINVAL);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EbadfFdNotOpen) {  // 6.1 row 2
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, 99, 0), -EBADF);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, -1, 0), -EBADF);
    EXPECT_EQ(checked_mmap(mm, 0, 0, PROT_READ, MAP_SHARED, 42, 0), -EBADF);  // row 2 before row 6
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EnomemPageAlignOverflow) {  // 6.1 row 8
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, ~std::uint64_t{0} - 100, RW, PRIV_ANON), -ENOMEM);
    EXPECT_EQ(checked_mmap(mm, 0, ~std::uint64_t{0}, PROT_NONE, PRIV_ANON), -ENOMEM);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EnomemLengthOrFixedAddressBeyondTaskSize) {
  // 3.1 step 2 (len > TASK_SIZE) and step 5 (fixed result > TASK_SIZE - len); 20 verified
  // MAP_FIXED at 0x7ffffffff000 gives ENOMEM.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, Addr{1} << 47, PROT_NONE, PRIV_ANON | MAP_NORESERVE), -ENOMEM);
    EXPECT_EQ(checked_mmap(mm, STACK_END, P, RW, FIXED_ANON), -ENOMEM);
    EXPECT_EQ(checked_mmap(mm, STACK_END - P, 2 * P, RW, FIXED_ANON), -ENOMEM);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
  }
}

TEST(MmapErrors, EexistFixedNoreplaceFullAndPartialOverlap) {  // 6.1 row 12 (20: also partial)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    constexpr std::uint64_t NOREPLACE = PRIV_ANON | MAP_FIXED_NOREPLACE;
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 2 * P));
    // W    +P   +2P       +4P  +5P
    // ..........AAAAAAAAAA.....      A rw-
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, NOREPLACE), -EEXIST);  // exactly A
    EXPECT_EQ(checked_mmap(mm, W + P, 2 * P, PROT_READ, NOREPLACE), -EEXIST);      // A's head
    EXPECT_EQ(checked_mmap(mm, W + 3 * P, 2 * P, PROT_READ, NOREPLACE), -EEXIST);  // A's tail
    EXPECT_EQ(checked_mmap(mm, W, 8 * P, PROT_READ, NOREPLACE), -EEXIST);          // around A
    // row 12 comes before the file checks of row 17
    const FileId ro = make_file(mm, 16 * P, true, false);
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, P, RW, MAP_SHARED | MAP_FIXED_NOREPLACE, ro, 0), -EEXIST);
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P, {{W + 2 * P, W + 4 * P, WPG + 2, F_RW}}));
    // A free range is mapped like MAP_FIXED (row 7: NOREPLACE implies FIXED)
    EXPECT_EQ(checked_mmap(mm, W + 5 * P, P, PROT_READ, NOREPLACE), SysRet(W + 5 * P));
    EXPECT_TRUE(vmas_in(mm, W, W + 8 * P,
                        {{W + 2 * P, W + 4 * P, WPG + 2, F_RW}, {W + 5 * P, W + 6 * P, WPG + 5, F_R}}));
  }
}

TEST(MmapErrors, EinvalUnalignedFixedAddress) {  // 3.1 step 6; 20 verified FIXED and NOREPLACE
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, W + 0x10, P, RW, FIXED_ANON), -EINVAL);
    EXPECT_EQ(checked_mmap(mm, W + 0x800, P, RW, PRIV_ANON | MAP_FIXED_NOREPLACE), -EINVAL);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EaccesSharedWritableMappingOfReadOnlyFd) {  // 6.1 row 17; 20 verified
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId ro = make_file(mm, 16 * P, /*readable=*/true, /*writable=*/false);
    EXPECT_EQ(checked_mmap(mm, W, P, RW, MAP_SHARED | MAP_FIXED, ro, 0), -EACCES);
    EXPECT_EQ(checked_mmap(mm, W, P, RW, MAP_SHARED_VALIDATE | MAP_FIXED, ro, 0), -EACCES);
    EXPECT_TRUE(untouched(mm));
    // "MAP_PRIVATE allowed": a private writable file mapping is accountable (VM_ACCOUNT)
    EXPECT_EQ(checked_mmap(mm, W, P, RW, MAP_PRIVATE | MAP_FIXED, ro, 0), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + P, {{W, W + P, 0, F_RW}}));
  }
}

TEST(MmapErrors, EaccesWriteOnlyFd) {  // 6.1 row 18: fd not opened for reading, any type
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId wo = make_file(mm, 16 * P, /*readable=*/false, /*writable=*/true);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, wo, 0), -EACCES);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_WRITE, MAP_SHARED, wo, 0), -EACCES);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EinvalGrowsdownOnFileOrSharedAnonymous) {  // 6.1 rows 18 and 19
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, f, 0), -EINVAL);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN), -EINVAL);
    EXPECT_TRUE(untouched(mm));
    // a private anonymous MAP_GROWSDOWN mapping is fine and counts as stack (1.2, 1.3)
    EXPECT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON | MAP_GROWSDOWN), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW | VM_GROWSDOWN}}));
    EXPECT_EQ(mm.stack_vm, 33u + 2u);
    EXPECT_EQ(mm.data_vm, 0u);
  }
}

TEST(MmapErrors, EoverflowOffsetBeyondMaximumFileSize) {
  // 6.1 row 15 (file_mmap_ok): pgoff + len beyond MAX_LFS_FILESIZE. Row 9 (pgoff + len/P
  // wrapping) cannot fire through the x86-64 syscall, whose pgoff is off >> 12 (< 2^52); for
  // anonymous memory the offset is not checked beyond row 1 and the mapping succeeds.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    constexpr std::uint64_t huge_off = 0xfffffffffffff000;
    EXPECT_EQ(checked_mmap(mm, 0, 2 * P, PROT_READ, MAP_PRIVATE, f, huge_off), -EOVERFLOW);
    EXPECT_EQ(checked_mmap(mm, 0, 2 * P, PROT_READ, MAP_SHARED, f, huge_off), -EOVERFLOW);
    EXPECT_TRUE(untouched(mm));
    EXPECT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON, -1, huge_off), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW}}));  // pgoff = addr >> 12
  }
}

TEST(MmapErrors, EpermFixedBelowMmapMinAddrWithoutCapSysRawio) {
  // 3.1 step 7 / 3.6: MAP_FIXED below the vm.mmap_min_addr sysctl without CAP_SYS_RAWIO
  // (verified as `nobody` at address 0).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.cfg.caps.sys_rawio = false;
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, FIXED_ANON), -EPERM);
    EXPECT_EQ(checked_mmap(mm, 0, P, RW, PRIV_ANON | MAP_FIXED_NOREPLACE), -EPERM);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, EnomemMapCountAboveMaxMapCount) {
  // 5.2 / 6.1 row 10 (verified at 65530): mmap fails only when map_count > max, before
  // anything else; at map_count == max one more succeeds, then even a mergeable one fails.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.cfg.sysctl.max_map_count = DEFAULT_MAP_COUNT + 1;
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);  // == max
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);  // max + 1
    // W     +2P   +4P   +6P
    // AAAAAA BBBBBB RRRRRR     A rw-, B r--; R r-- would merge with B (case 2) but is refused
    EXPECT_EQ(checked_mmap(mm, W + 4 * P, 2 * P, PROT_READ, FIXED_ANON), -ENOMEM);
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, PRIV_ANON), -ENOMEM);
    EXPECT_EQ(checked_mmap(mm, W + 0x10, P, PROT_READ, FIXED_ANON), -ENOMEM);  // row 10 before row 11
    EXPECT_TRUE(vmas_in(mm, W, W + 6 * P, {{W, W + 2 * P, WPG, F_RW}, {W + 2 * P, W + 4 * P, WPG + 2, F_R}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(MmapErrors, EopnotsuppSharedValidateWithUnknownFlag) {
  // 6.1 row 16: MAP_SHARED_VALIDATE rejects bits outside the legacy set; plain MAP_SHARED drops
  // them; anonymous requests ignore them (6.1 notes: 0x800000 accepted).
  constexpr std::uint64_t UNKNOWN = 0x800000;
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P);
    EXPECT_EQ(checked_mmap(mm, W, P, PROT_READ, MAP_SHARED_VALIDATE | MAP_FIXED | UNKNOWN, f, 0),
              -EOPNOTSUPP);
    EXPECT_TRUE(untouched(mm));
    EXPECT_EQ(checked_mmap(mm, W, P, PROT_READ, MAP_SHARED | MAP_FIXED | UNKNOWN, f, 0), SysRet(W));
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, P, RW, FIXED_ANON | UNKNOWN), SysRet(W + 2 * P));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
  }
}

TEST(MmapErrors, EnodevFileWithoutMmapOperation) {  // 6.1 row 18 (a directory; 20 verified)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId d = make_file(mm, 4 * P, true, false, "/tmp");
    mm.world->inodes[mm.world->file(d)->inode - 1].directory = true;
    EXPECT_EQ(checked_mmap(mm, 0, P, PROT_READ, MAP_PRIVATE, d, 0), -ENODEV);
    EXPECT_TRUE(untouched(mm));
  }
}

TEST(MmapErrors, MapLockedMemlockLimits) {
  // 6.1 rows 13 (EPERM: RLIMIT_MEMLOCK 0 without CAP_IPC_LOCK) and 14 (EAGAIN: beyond it).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    mm.cfg.caps.ipc_lock = false;
    mm.cfg.rlimits.memlock = 0;
    EXPECT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON | MAP_LOCKED), -EPERM);
    mm.cfg.rlimits.memlock = 2 * P;
    EXPECT_EQ(checked_mmap(mm, W, 3 * P, RW, FIXED_ANON | MAP_LOCKED), -EAGAIN);
    EXPECT_TRUE(untouched(mm));
    EXPECT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON | MAP_LOCKED), SysRet(W));
    EXPECT_EQ(mm.locked_vm, 2u);  // 6.3
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, WPG, F_RW | VM_LOCKED}}));
  }
}

// ---------------------------------------------------------------------------------------------
// Successful mappings

TEST(MmapResult, PrivateAnonymousPgoffIsAddressShiftAndMapsOffsetZero) {
  // 1.1 / 6.1 notes: private anonymous pgoff = addr >> 12; 1.4: maps shows offset 0, no name.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const SysRet r = checked_mmap(mm, 0, 3 * P, RW, PRIV_ANON);
    ASSERT_FALSE(is_err(r));
    const Addr a = static_cast<Addr>(r);
    EXPECT_TRUE(vmas_in(mm, a, a + 3 * P, {{a, a + 3 * P, a >> PAGE_SHIFT, F_RW}}));
    const ProcMapsEntry e = proc_maps(mm)[0];
    EXPECT_EQ(e.start, a);
    EXPECT_EQ(e.offset, 0u);
    EXPECT_EQ(e.inode, 0u);
    EXPECT_EQ(e.name, "");
    EXPECT_EQ(std::string(e.perms, 4), "rw-p");
    EXPECT_EQ(mm.total_vm, 41u + 3u);  // default image: 4 + 2 + 2 + 33 pages
    EXPECT_EQ(mm.data_vm, 3u);
    EXPECT_EQ(charged(mm), 3u);  // 6.2 step 3: accountable, charged len/P
  }
}

TEST(MmapResult, FileMappingPgoffAndMapsLine) {  // 1.1, 1.4, 1.3 (r-x private: exec_vm)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId f = make_file(mm, 16 * P, true, true, "/usr/lib/libx.so");
    ASSERT_EQ(checked_mmap(mm, W, 3 * P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, f, 5 * P),
              SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 3 * P, {{W, W + 3 * P, 5, F_RX}}));
    const ProcMapsEntry e = proc_maps(mm)[0];
    EXPECT_EQ(e.offset, 5 * P);
    EXPECT_EQ(e.name, "/usr/lib/libx.so");
    EXPECT_EQ(std::string(e.perms, 4), "r-xp");
    EXPECT_EQ(mm.exec_vm, 2u + 3u);
    EXPECT_EQ(charged(mm), 0u);  // not writable: not accountable
  }
}

TEST(MmapResult, ReadOnlyFdSharedShowsSButClearsVmSharedAndMayWrite) {
  // 1.4 / 6.1 row 17: an fd not open for writing mapped MAP_SHARED: VM_SHARED and VM_MAYWRITE
  // cleared, VM_MAYSHARE kept, so maps prints `r--s`.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const FileId ro = make_file(mm, 16 * P, true, false);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P,
                        {{W, W + 2 * P, 0, VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE}}));
    EXPECT_EQ(std::string(proc_maps(mm)[0].perms, 4), "r--s");
  }
}

TEST(MmapResult, SharedAnonymousIsChargedByShmemWithoutVmAccount) {
  // kernel-semantics.md 17: "shared anonymous / tmpfs / SysV shm: charged by shmem for the
  // object size unless VM_NORESERVE (not via VM_ACCOUNT)".
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const std::uint64_t before = charged(mm);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED), SysRet(W));
    EXPECT_EQ(charged(mm), before + 4);
    EXPECT_EQ(vma_at(mm, W)->vm_flags & VM_ACCOUNT, 0u);
    ASSERT_EQ(checked_mmap(mm, W + 8 * P, 4 * P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE),
              SysRet(W + 8 * P));
    EXPECT_EQ(charged(mm), before + 4);
  }
}

TEST(MmapResult, UnalignedLengthIsRoundedUp) {  // 6.1 row 8: len = PAGE_ALIGN(len)
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, W, P + 1, RW, FIXED_ANON), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 2 * P, WPG, F_RW}}));
    EXPECT_EQ(charged(mm), 2u);
  }
}

TEST(MmapResult, NoreserveMappingHasNoVmAccountAndIsNotCharged) {  // 6.1 notes, 8.2
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON | MAP_NORESERVE), SysRet(W));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, VM_READ | VM_WRITE | MAYS | VM_NORESERVE}}));
    EXPECT_EQ(charged(mm), 0u);
    EXPECT_EQ(mm.data_vm, 4u);
  }
}

TEST(MmapResult, FixedReplacesMiddleOfMapping) {
  // 6.2: MAP_FIXED unmaps what overlaps (munmap semantics, 7) and maps the new range; the two
  // remaining pieces keep their pgoffs (5.1).
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    // W    +P        +3P  +4P
    // AAAAAAAAAAAAAAAAAAAAA      A rw-
    //      RRRRRRRRRR            mmap r-- MAP_FIXED
    // AAAA RRRRRRRRRR AAAA       3 VMAs
    EXPECT_EQ(checked_mmap(mm, W + P, 2 * P, PROT_READ, FIXED_ANON), SysRet(W + P));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + P, WPG, F_RW}, {W + P, W + 3 * P, WPG + 1, F_R}, {W + 3 * P, W + 4 * P, WPG + 3, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 3);
    EXPECT_EQ(mm.data_vm, 2u);
    EXPECT_EQ(mm.total_vm, 41u + 4u);
    EXPECT_EQ(charged(mm), 2u);  // the 2 replaced rw- pages were released
  }
}

TEST(MmapResult, FixedReplacementWithSameFlagsMergesBackIntoOne) {
  // 6.2 (unmap, then vma_merge over the hole) + 4.2 case 1.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    std::vector<Event> ev;
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    // W    +P        +3P  +4P
    // AAAAAAAAAAAAAAAAAAAAA      A rw-
    //      RRRRRRRRRR            mmap rw- MAP_FIXED over its middle
    // AAAAAAAAAAAAAAAAAAAAA      one VMA again (case 1)
    mm.events = &ev;
    EXPECT_EQ(checked_mmap(mm, W + P, 2 * P, RW, FIXED_ANON), SysRet(W + P));
    EXPECT_TRUE(narrated_case(ev, 1));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_RW}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    EXPECT_EQ(mm.data_vm, 4u);
  }
}

TEST(MmapResult, FixedOverSeveralVmasAndHoles) {
  // 6.2 / 7: every VMA in the range goes, the outer ones are trimmed.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 3 * P, P, PROT_READ, FIXED_ANON), SysRet(W + 3 * P));
    ASSERT_EQ(checked_mmap(mm, W + 5 * P, 2 * P, PROT_READ | PROT_EXEC, FIXED_ANON), SysRet(W + 5 * P));
    // W    +P   +2P  +3P  +4P  +5P       +7P
    // AAAAAAAAAA .... BBBB .... CCCCCCCCCC      rw- r-- r-x
    //      RRRRRRRRRRRRRRRRRRRRRRRRR            mmap PROT_NONE MAP_FIXED [W+P, W+6P)
    EXPECT_EQ(checked_mmap(mm, W + P, 5 * P, PROT_NONE, FIXED_ANON), SysRet(W + P));
    EXPECT_TRUE(vmas_in(mm, W, W + 7 * P,
                        {{W, W + P, WPG, F_RW}, {W + P, W + 6 * P, WPG + 1, F_NONE}, {W + 6 * P, W + 7 * P, WPG + 6, F_RX}}));
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 3);
    EXPECT_EQ(mm.data_vm, 1u);
    EXPECT_EQ(mm.exec_vm, 2u + 1u);
  }
}

TEST(MmapResult, MapCountAtMaxStillAllowsFixedReplacementInsideOneVma) {
  // Documented asymmetry (5.2, 6.2): mmap's own check is map_count > max; the munmap part of a
  // MAP_FIXED replacement that needs a 3-way split fails with ENOMEM at map_count >= max.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    mm.cfg.sysctl.max_map_count = mm.map_count;
    // AAAAAAAAAAAAAAAA      A rw- at map_count == max
    //      RRRRRR           MAP_FIXED r-- strictly inside A: hole punch refused
    EXPECT_EQ(checked_mmap(mm, W + P, 2 * P, PROT_READ, FIXED_ANON), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 4 * P, WPG, F_RW}}));
    // replacing A's tail only trims A: allowed (map_count ends at max + 1)
    EXPECT_EQ(checked_mmap(mm, W + 3 * P, P, PROT_READ, FIXED_ANON), SysRet(W + 3 * P));
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P, {{W, W + 3 * P, WPG, F_RW}, {W + 3 * P, W + 4 * P, WPG + 3, F_R}}));
  }
}

TEST(MmapErrors, EinvalFixedReplacingPartOfSpecialMapping) {
  // 6.2: the overlap is unmapped with munmap's rules; splitting [vdso] is refused by may_split
  // (5.1, 2.4), so the mmap fails with EINVAL and nothing is mapped.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, VDSO_START + P, P, RW, FIXED_ANON), -EINVAL);
    EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
    EXPECT_EQ(vma_at(mm, VDSO_START)->vm_end, VDSO_START + 2 * P);
    EXPECT_EQ(maps_name_at(mm, VDSO_START + P), "[vdso]");
  }
}

TEST(MmapErrors, EnomemOvercommitGuessRefusesMoreThanRamPlusSwap) {
  // 6.2 step 3 / 17: policy 0 refuses a single accountable request of more pages than
  // totalram + swap (24 GiB of RAM, no swap in the default machine); MAP_NORESERVE or a
  // read-only mapping is not charged.
  constexpr std::uint64_t GIB = std::uint64_t{1} << 30;
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, W, 25 * GIB, RW, FIXED_ANON), -ENOMEM);
    EXPECT_TRUE(untouched(mm));
    EXPECT_EQ(charged(mm), 0u);
    EXPECT_EQ(checked_mmap(mm, W, 25 * GIB, RW, FIXED_ANON | MAP_NORESERVE), SysRet(W));
    EXPECT_EQ(checked_munmap(mm, W, 25 * GIB), 0);
    EXPECT_EQ(checked_mmap(mm, W, 25 * GIB, PROT_READ, FIXED_ANON), SysRet(W));
    EXPECT_EQ(charged(mm), 0u);
  }
}

TEST(MmapErrors, EnomemSharedAnonymousBeyondRamPlusSwap) {
  // 17: shared anonymous memory is charged by shmem for the object size unless VM_NORESERVE;
  // under policy 0 a single request above totalram + swap (24 GiB, no swap) is refused, and
  // mmap returns the error of shmem_zero_setup (6.2 step 5): ENOMEM.
  constexpr std::uint64_t GIB = std::uint64_t{1} << 30;
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    EXPECT_EQ(checked_mmap(mm, 0, 25 * GIB, RW, MAP_SHARED | MAP_ANONYMOUS), -ENOMEM);
    EXPECT_TRUE(untouched(mm));
    EXPECT_FALSE(is_err(checked_mmap(mm, 0, 25 * GIB, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE)));
  }
}

// ---------------------------------------------------------------------------------------------
// A failed MAP_FIXED: 6.18 restores the replaced VMAs (keeping any split), classic checks
// RLIMIT_AS before touching anything but charges overcommit after unmapping (6.2, 19.11).

TEST(MmapProfiles, FailedFixedUnderRlimitAs_618KeepsTheSplit_510Unchanged) {
  // 6.2 classic step 1: may_expand_vm fails (also with the overlap discounted): ENOMEM,
  // nothing changed. 6.18 steps 1-2: the split done while gathering stays (verified live: "a
  // failed MAP_FIXED under RLIMIT_AS left A split in two").
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 4 * P, RW, FIXED_ANON), SysRet(W));
    mm.cfg.rlimits.as = (mm.total_vm + 1) * P;  // room for one more page only
    // W         +2P       +4P       +6P
    // AAAAAAAAAAAAAAAAAAAA                   A rw-
    //           RRRRRRRRRRRRRRRRRRRR         MAP_FIXED r--: 4 new pages, 2 replaced -> +2
    EXPECT_EQ(checked_mmap(mm, W + 2 * P, 4 * P, PROT_READ, FIXED_ANON), -ENOMEM);
    if (pf == Profile::linux_6_18) {
      EXPECT_TRUE(vmas_in(mm, W, W + 6 * P, {{W, W + 2 * P, WPG, F_RW}, {W + 2 * P, W + 4 * P, WPG + 2, F_RW}}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 2);
    } else {
      EXPECT_TRUE(vmas_in(mm, W, W + 6 * P, {{W, W + 4 * P, WPG, F_RW}}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
    }
    EXPECT_EQ(mm.data_vm, 4u);
    EXPECT_EQ(charged(mm), 4u);
  }
}

TEST(MmapProfiles, FailedFixedOvercommit_510LeavesAHole_618RestoresTheMapping) {
  // 6.2 / 17 / 19.11: under policy 2, classic unmaps the old range first and then charges the
  // full length: the charge fails and the range is left empty. 6.18 charges the length minus
  // the replaced VM_ACCOUNT pages before the point of no return, and re-attaches A on failure.
  // Numbers (17): commit_limit = 100 pages * 50% = 50; CAP_SYS_ADMIN: no admin reserve; user
  // reserve min(total_vm / 32, 32768) = 1 (total_vm 41..49) -> allowed 49.
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    MmConfig c = config(pf);
    c.sysctl.overcommit_memory = 2;
    c.machine.totalram_pages = 100;
    Mm mm = make_process(c);
    ASSERT_EQ(checked_mmap(mm, W, 8 * P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(charged(mm), 8u);
    // W              +8P                                    +60P
    // AAAAAAAAAAAAAAA                                             A rw-, 8 pages charged
    // RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR   MAP_FIXED rw- 60 pages
    EXPECT_EQ(checked_mmap(mm, W, 60 * P, RW, FIXED_ANON), -ENOMEM);
    if (pf == Profile::linux_6_18) {
      EXPECT_TRUE(vmas_in(mm, W, W + 60 * P, {{W, W + 8 * P, WPG, F_RW}}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT + 1);
      EXPECT_EQ(charged(mm), 8u);
    } else {
      EXPECT_TRUE(vmas_in(mm, W, W + 60 * P, {}));
      EXPECT_EQ(mm.map_count, DEFAULT_MAP_COUNT);
      EXPECT_EQ(charged(mm), 0u);
    }
  }
}

// An Mm's VMA tree keeps the subtree maxima its profile searches with: the rb_subtree_gap of
// mm/mmap.c unmapped_area(_topdown) on 5.10, the maple tree's gaps of mm/vma.c
// unmapped_area(_topdown) (mas_empty_area(_rev)) on 6.1 and 6.18. A hint-less mmap, which
// searches, leaves it that way, and the tree stays consistent.
TEST(MmapProfiles, TheVmaTreeKeepsTheGapsItsProfileSearches) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const GapKinds want = pf == Profile::linux_5_10 ? GapKinds::classic : GapKinds::maple;
    EXPECT_EQ(mm.vmas.kinds(), want);
    EXPECT_GT(checked_mmap(mm, 0, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS), 0);
    EXPECT_EQ(mm.vmas.kinds(), want);
    std::string why;
    EXPECT_TRUE(mm.vmas.check_augmentation(&why)) << why;
  }
}

}  // namespace
}  // namespace mmspec::test
