// The legitimately non-maximal states of docs/testing.md, each reached by a directed sequence
// through the property harness: the sequence must pass every check, the boundary it leaves
// must be one the mergeability predicate would merge (so the exemption is really needed), and
// the harness must have recorded it under the right reason. A last test shows that the same
// harness does flag a pair that no exemption covers.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "mmspec/vma_merge.hpp"

namespace mmspec::prop {
namespace {

constexpr Addr P = PAGE_SIZE;
constexpr std::uint64_t RW = PROT_READ | PROT_WRITE;
constexpr std::uint64_t FIXED_ANON = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;

Op mmap_op(Addr a, std::uint64_t len, std::uint64_t prot, std::uint64_t flags) {
  Op op;
  op.kind = Op::Kind::mmap;
  op.addr = a, op.len = len, op.prot = prot, op.flags = flags;
  return op;
}
Op simple(Op::Kind k, Addr a, std::uint64_t len = 0, std::uint64_t prot = 0) {
  Op op;
  op.kind = k;
  op.addr = a, op.len = len, op.prot = prot;
  return op;
}
Op touch_op(Addr a, AccessKind k) {
  Op op = simple(Op::Kind::touch, a);
  op.access = k;
  return op;
}

// Runs the ops; every step must pass. Returns whether the VMAs meeting at `boundary` would
// merge by the profile's predicate (both directions).
bool run_all(Harness& h, const std::vector<Op>& ops, Addr boundary) {
  for (const Op& op : ops) {
    const std::string f = h.step(op);
    EXPECT_EQ(f, "") << h.trace_text(f);
    if (!f.empty()) return false;
  }
  const Mm& mm = h.mm();
  const Vma* right = mm.vmas.find_vma(boundary);
  const Vma* left = right ? mm.vmas.prev(right) : nullptr;
  if (!right || !left || right->vm_start != boundary || left->vm_end != boundary) return false;
  auto proposal = [](const Vma& v) {
    MergeProposal p;
    p.start = v.vm_start, p.end = v.vm_end, p.pgoff = v.vm_pgoff, p.flags = v.vm_flags;
    p.file = v.vm_file, p.anon_vma = v.anon_vma, p.anon_name = v.anon_name, p.src = &v;
    return p;
  };
  return can_merge_side(mm, *left, proposal(*right), false) == MergeRefusal::none &&
         can_merge_side(mm, *right, proposal(*left), true) == MergeRefusal::none;
}

std::uint64_t exempted(const Coverage& c, Exemption e) { return c.exempted[static_cast<std::size_t>(e)]; }

TEST(Exemptions, StackGrowthDoesNotMerge) {
  const CaseSetup s = make_setup(Profile::linux_6_18);
  Coverage cov;
  Harness h(s, &cov);
  const Addr L = s.gen_lo + 8 * P, G = s.gen_lo + 10 * P;
  EXPECT_TRUE(run_all(h, {mmap_op(L, P, RW, FIXED_ANON | MAP_GROWSDOWN),
                          mmap_op(G, 2 * P, RW, FIXED_ANON | MAP_GROWSDOWN),
                          touch_op(G - P + 8, AccessKind::write)},  // G grows down to L's end
                      G - P));
  EXPECT_EQ(exempted(cov, Exemption::stack_growth), 1u);
}

TEST(Exemptions, FirstWriteSharesTheNeighboursAnonVmaButDoesNotMerge) {
  // 5.10 refuses to merge a faulted range into an unfaulted neighbour (kernel-semantics 4.1);
  // the neighbour's first write then takes the same anon_vma (4.4) without merging.
  const CaseSetup s = make_setup(Profile::linux_5_10);
  Coverage cov;
  Harness h(s, &cov);
  const Addr A = s.gen_lo + 8 * P, B = A + 2 * P;
  EXPECT_TRUE(run_all(h, {mmap_op(A, 2 * P, RW, FIXED_ANON), touch_op(A, AccessKind::write),
                          simple(Op::Kind::mprotect, A, 2 * P, PROT_READ),
                          mmap_op(B, 2 * P, RW, FIXED_ANON),
                          simple(Op::Kind::mprotect, A, 2 * P, RW),  // refused: A has an anon_vma
                          touch_op(B, AccessKind::write)},           // B takes A's anon_vma
                      B));
  EXPECT_EQ(exempted(cov, Exemption::fault_anon_vma), 1u);
}

TEST(Exemptions, FailedMunmapKeepsItsSplit) {
  for (Profile p : all_profiles) {
    const CaseSetup s = make_setup(p);
    Coverage cov;
    Harness h(s, &cov);
    // [A: 4 pages ending at [vvar]]; munmap from A's second page into [vvar]: A is split, then
    // [vvar] refuses to be split and the call fails with EINVAL.
    const Addr A = s.top - 4 * P;
    EXPECT_TRUE(run_all(h, {mmap_op(A, 4 * P, RW, FIXED_ANON), simple(Op::Kind::munmap, A + P, 4 * P)},
                        A + P))
        << profile_name(p);
    EXPECT_EQ(exempted(cov, Exemption::failed_split), 1u) << profile_name(p);
  }
}

TEST(Exemptions, Brk618DoesNotExtendAVmaEndingAtStartBrk) {
  const CaseSetup s = make_setup(Profile::linux_6_18);
  Coverage cov;
  Harness h(s, &cov);
  const Addr X = s.gen_lo, heap = X + 2 * P;
  EXPECT_TRUE(run_all(h, {mmap_op(X, 2 * P, RW, FIXED_ANON), simple(Op::Kind::heap, heap),
                          simple(Op::Kind::brk, heap + 2 * P)},
                      heap));
  EXPECT_EQ(exempted(cov, Exemption::brk_below_start), 1u);
}

TEST(Exemptions, Brk510ExtendsTheVmaBelow) {
  // The same sequence on 5.10 merges (brk's vma_merge takes any previous VMA): no exemption.
  const CaseSetup s = make_setup(Profile::linux_5_10);
  Coverage cov;
  Harness h(s, &cov);
  const Addr X = s.gen_lo, heap = X + 2 * P;
  for (const Op& op : {mmap_op(X, 2 * P, RW, FIXED_ANON), simple(Op::Kind::heap, heap),
                       simple(Op::Kind::brk, heap + 2 * P)})
    EXPECT_EQ(h.step(op), "");
  const Vma* v = h.mm().vmas.find_vma(X);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->vm_end, heap + 2 * P);
  EXPECT_EQ(exempted(cov, Exemption::brk_below_start), 0u);
}

Op mremap_op(Addr a, std::uint64_t old_len, std::uint64_t new_len, std::uint64_t flags = 0, Addr new_addr = 0) {
  Op op = simple(Op::Kind::mremap, a, old_len);
  op.new_len = new_len, op.flags = flags, op.new_addr = new_addr;
  return op;
}

TEST(Exemptions, Mremap510GrowthInPlaceDoesNotMergeWithNext) {
  // [A: 2 pages] hole [B: 2 pages]; mremap A 2 -> 4 pages grows A in place up to B. 5.15's
  // vma_adjust only moves vm_end: A and B stay apart although they would merge.
  const CaseSetup s = make_setup(Profile::linux_5_10);
  Coverage cov;
  Harness h(s, &cov);
  const Addr A = s.gen_lo + 8 * P, B = A + 4 * P;
  EXPECT_TRUE(run_all(h, {mmap_op(A, 2 * P, RW, FIXED_ANON), mmap_op(B, 2 * P, RW, FIXED_ANON),
                          mremap_op(A, 2 * P, 4 * P)},
                      B));
  EXPECT_EQ(exempted(cov, Exemption::mremap_grow_5_10), 1u);
}

TEST(Exemptions, Mremap61GrowthInPlaceMergesWithNext) {
  // The same sequence on 6.1 and 6.18 merges the extension with B: no exemption.
  for (Profile p : {Profile::linux_6_1, Profile::linux_6_18}) {
    const CaseSetup s = make_setup(p);
    Coverage cov;
    Harness h(s, &cov);
    const Addr A = s.gen_lo + 8 * P, B = A + 4 * P;
    for (const Op& op : {mmap_op(A, 2 * P, RW, FIXED_ANON), mmap_op(B, 2 * P, RW, FIXED_ANON),
                         mremap_op(A, 2 * P, 4 * P)})
      EXPECT_EQ(h.step(op), "") << profile_name(p);
    const Vma* v = h.mm().vmas.find_vma(A);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->vm_end, B + 2 * P) << profile_name(p);
    EXPECT_EQ(exempted(cov, Exemption::mremap_grow_5_10), 0u);
  }
}

// A stray split that no rule explains is flagged: split a VMA behind the harness's back.
TEST(Exemptions, AnUnexplainedSplitIsFlagged) {
  const CaseSetup s = make_setup(Profile::linux_6_18);
  Coverage cov;
  Harness h(s, &cov);
  const Addr A = s.gen_lo;
  ASSERT_EQ(h.step(mmap_op(A, 4 * P, RW, FIXED_ANON)), "");
  Mm& mm = const_cast<Mm&>(h.mm());
  Vma* v = mm.vmas.find_vma(A);
  Vma upper = *v;
  upper.vm_start = A + 2 * P;
  upper.vm_pgoff += 2;
  mm.vmas.adjust(v, A, A + 2 * P);
  mm.vmas.insert(upper);
  mm.map_count++;
  const std::string f = h.step(touch_op(A, AccessKind::read));
  EXPECT_NE(f.find("merge maximality"), std::string::npos) << f;
}

}  // namespace
}  // namespace mmspec::prop
