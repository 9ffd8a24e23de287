// madvise on the model, every step followed by validate_mm. Expected values come from reading
// mm/madvise.c (v5.15.100 for linux-5.10, v6.18.2; the function is named at each test); the
// VMA layouts of the live-checked cases are in tests/scenarios/madvise/.
#include <gtest/gtest.h>

#include "mmspec/syscalls.hpp"
#include "test_util.hpp"

namespace mmspec::test {
namespace {

SysRet checked_madvise(Mm& mm, Addr start, std::uint64_t len, std::uint64_t advice,
                       const std::source_location& loc = std::source_location::current()) {
  const SysRet r = sys_madvise(mm, start, len, advice);
  check_valid(mm, "madvise(" + hex(start) + ", " + hex(len) + ", " + std::to_string(advice) + ")", loc);
  return r;
}

// madvise_behavior_valid / is_valid_madvise: unknown advice, an unaligned start, a length that
// rounds up to 0 or a range that wraps are EINVAL; length 0 is 0; then no VMA at or after the
// start is ENOMEM.
TEST(Madvise, ArgumentErrors) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, 2 * P, RW, FIXED_ANON), SysRet(W));
    EXPECT_EQ(checked_madvise(mm, W, P, 5), -EINVAL);  // 5, 6, 7: no such advice
    EXPECT_EQ(checked_madvise(mm, W + 1, P, MADV_DONTDUMP), -EINVAL);
    EXPECT_EQ(checked_madvise(mm, W, ~std::uint64_t{0}, MADV_DONTDUMP), -EINVAL);  // rounds to 0
    EXPECT_EQ(checked_madvise(mm, W + P, ~Addr{0} - 2 * P, MADV_DONTDUMP), -EINVAL);  // wraps
    EXPECT_EQ(checked_madvise(mm, W, 0, MADV_DONTDUMP), 0);
    EXPECT_EQ(checked_madvise(mm, STACK_END, P, MADV_DONTDUMP), -ENOMEM);  // nothing above
    EXPECT_TRUE(vmas_in(mm, W, W + 2 * P, {{W, W + 2 * P, W >> PAGE_SHIFT, F_RW}}));
  }
}

// madvise_walk_vmas (v6.18) / do_madvise (v5.15): a hole is remembered and the walk goes on;
// ENOMEM comes at the end, after every VMA of the range was advised.
TEST(Madvise, HoleDoesNotStopTheWalk) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, 2 * P, RW, FIXED_ANON), SysRet(W + 2 * P));
    EXPECT_EQ(checked_madvise(mm, W, 3 * P, MADV_DONTFORK), -ENOMEM);
    EXPECT_TRUE(vmas_in(mm, W, W + 4 * P,
                        {{W, W + P, W >> PAGE_SHIFT, F_RW | VM_DONTCOPY},
                         {W + 2 * P, W + 3 * P, (W >> PAGE_SHIFT) + 2, F_RW | VM_DONTCOPY},
                         {W + 3 * P, W + 4 * P, (W >> PAGE_SHIFT) + 3, F_RW}}));
  }
}

// madvise_vma_behavior: the per-advice flag changes and their refusals.
TEST(Madvise, FlagAdvice) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    ASSERT_EQ(checked_mmap(mm, W, P, RW, FIXED_ANON), SysRet(W));
    const Vma* a = mm.vmas.find_vma(W);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_SEQUENTIAL), 0);
    EXPECT_EQ(a->vm_flags & (VM_SEQ_READ | VM_RAND_READ), VM_SEQ_READ);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_RANDOM), 0);
    EXPECT_EQ(a->vm_flags & (VM_SEQ_READ | VM_RAND_READ), VM_RAND_READ);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_NORMAL), 0);
    EXPECT_EQ(a->vm_flags & (VM_SEQ_READ | VM_RAND_READ), 0u);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_HUGEPAGE), 0);
    EXPECT_EQ(a->vm_flags & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_HUGEPAGE);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_NOHUGEPAGE), 0);
    EXPECT_EQ(a->vm_flags & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_NOHUGEPAGE);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_WIPEONFORK), 0);
    EXPECT_NE(a->vm_flags & VM_WIPEONFORK, 0u);
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_KEEPONFORK), 0);
    EXPECT_EQ(a->vm_flags & VM_WIPEONFORK, 0u);
    // [vvar] is VM_IO | VM_PFNMAP: MADV_DOFORK and MADV_DODUMP refuse it (VM_IO / VM_SPECIAL).
    EXPECT_EQ(checked_madvise(mm, VVAR_START, P, MADV_DOFORK), -EINVAL);
    EXPECT_EQ(checked_madvise(mm, VVAR_START, P, MADV_DODUMP), -EINVAL);
    // ... and so do the page advice that need a page walk (can_madv_lru_vma: VM_PFNMAP).
    EXPECT_EQ(checked_madvise(mm, VVAR_START, P, MADV_DONTNEED), -EINVAL);
  }
}

// madvise_remove: EINVAL when locked or without a file, EACCES unless shared and writable (v5.15:
// VM_WRITE; v6.18 and Debian's 6.1: VM_MAYWRITE).
TEST(Madvise, Remove) {
  for (Profile pf : all_profiles) {
    SCOPED_TRACE(profile_str(pf));
    Mm mm = make_process(pf);
    const InodeId ino = mm.world->create_inode(4 * P, "f1", true);
    const FileId f = mm.world->open(ino, true, true);
    ASSERT_EQ(checked_mmap(mm, W, P, PROT_READ, MAP_SHARED | MAP_FIXED, f, 0), SysRet(W));
    ASSERT_EQ(checked_mmap(mm, W + 2 * P, P, RW, MAP_PRIVATE | MAP_FIXED, f, 0), SysRet(W + 2 * P));
    ASSERT_EQ(checked_mmap(mm, W + 4 * P, P, RW, FIXED_ANON), SysRet(W + 4 * P));
    EXPECT_EQ(checked_madvise(mm, W, P, MADV_REMOVE), pf == Profile::linux_5_10 ? -EACCES : 0);
    EXPECT_EQ(checked_madvise(mm, W + 2 * P, P, MADV_REMOVE), -EACCES);
    EXPECT_EQ(checked_madvise(mm, W + 4 * P, P, MADV_REMOVE), -EINVAL);
    EXPECT_EQ(checked_madvise(mm, W + 4 * P, P, MADV_FREE), 0);
    EXPECT_EQ(checked_madvise(mm, W + 2 * P, P, MADV_FREE), -EINVAL);  // not anonymous
  }
}

}  // namespace
}  // namespace mmspec::test
