// The system under test of the property suite: the model (an Mm) next to the page-level
// oracle, run one operation at a time, with every check the properties make after each step
// (docs/testing.md):
//   1. validate_mm(mm) is empty;
//   2. where the oracle decides the result (return value, errno, break, touch outcome), the
//      model returns the same;
//   3. abstraction(mm) equals the oracle's page map (shared anonymous objects up to a
//      bijection), and every page the oracle saw written lies in a VMA with an anon_vma;
//   4. merge maximality: no two adjacent VMAs that the profile's mergeability predicate
//      (can_merge_side, both directions) would merge, except boundaries that Linux
//      legitimately leaves (exemptions, tracked per boundary: see Exemption).
// It also counts what the model did (merge cases, splits, results) for the coverage table and
// keeps the operations as .mmt lines, so that a failure is printed as a trace `mmspec run`
// replays.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "mmspec/events.hpp"
#include "mmspec/mm.hpp"
#include "mmspec/page_oracle.hpp"
#include "mmspec/syscalls.hpp"

namespace mmspec::prop {

using oracle::PageNo;

struct Op {
  enum class Kind : std::uint8_t { mmap, munmap, mprotect, brk, touch, heap, mremap };
  Kind kind = Kind::mmap;
  Addr addr = 0;
  std::uint64_t len = 0;  // mremap: old_len
  std::uint64_t prot = 0;
  std::uint64_t new_len = 0;  // mremap
  Addr new_addr = 0;          // mremap with MREMAP_FIXED
  std::uint64_t flags = 0;
  std::int64_t fd = -1;  // mmap: FileId, or -1
  std::uint64_t off = 0;
  AccessKind access = AccessKind::read;
};

// The process every case starts from, and the addresses the generators aim at. Files are
// declared in the trace header exactly as the harness creates them (FileIds 1..4).
struct CaseSetup {
  Profile profile = default_profile;
  Addr top = 0;          // start of [vvar]: the highest free address below mmap_base
  Addr gen_lo = 0;       // the 64-page window the generators favour: [gen_lo, top)
  Addr window = 0;       // the trace's window: [window, window + window_size)
  std::uint64_t window_size = 0;
  struct File {
    const char* name;
    const char* decl;  // the trace line declaring it
  };
  static constexpr std::array<File, 4> files = {{
      {"f1", "file f1 16K"},       // FileId 1: 4 pages, read-write
      {"f2", "open f2 f1"},        // FileId 2: the same inode, another struct file
      {"f3", "file f3 10000 ro"},  // FileId 3: 3 pages (the last one partial), read-only
      {"f4", "open f4 f1 wo"},     // FileId 4: f1's inode, write-only
  }};
};
CaseSetup make_setup(Profile p);
// The process of a case: default_process() plus the four files.
Mm make_process(const CaseSetup& s);

// Why a boundary between two mergeable VMAs is legitimate (docs/testing.md lists them).
enum class Exemption : std::uint8_t {
  stack_growth,      // expand_downwards never merges
  fault_anon_vma,    // a first write shares the neighbour's anon_vma but merges nothing
  failed_split,      // an munmap/MAP_FIXED/brk that split a VMA and then failed keeps the split
  brk_below_start,   // 6.18 brk never extends a VMA that ends at start_brk
  mremap_grow_5_10,  // 5.10 mremap grows in place with vma_adjust, never merging with next
  count_,
};
const char* exemption_name(Exemption e);

struct Coverage {
  std::array<std::uint64_t, 9> merge_case{};  // [1..8]
  std::map<std::string, std::uint64_t> splits, results, other;
  std::array<std::uint64_t, static_cast<int>(Exemption::count_)> exempted{};
  std::uint64_t steps = 0, undecided = 0, boundaries_checked = 0;
  void print(std::ostream& os, const std::string& title) const;
  std::vector<int> missing_merge_cases() const;
};

class Harness {
 public:
  // perturb: the negative control. The harness then corrupts the oracle's prediction for
  // MAP_NORESERVE (as if the flag were ignored), so the properties must fail.
  Harness(const CaseSetup& setup, Coverage* cov, bool perturb = false);

  // Runs op on the model and the oracle and checks the properties. Returns "" or what failed.
  std::string step(const Op& op);
  // The operations so far as a replayable trace, with a comment saying what failed and, for
  // a disagreement about the address space, an expect-maps block of what the oracle expects.
  std::string trace_text(const std::string& failure) const;

  const Mm& mm() const { return mm_; }
  const oracle::PageOracle& oracle() const { return oracle_; }

 private:
  struct Boundary {
    const Vma* left;
    const Vma* right;
  };
  std::map<Addr, Boundary> boundaries() const;
  bool mergeable(const Vma& a, const Vma& b) const;
  std::string check_maximality(const Op& op, SysRet result, const oracle::PageMap& pre,
                               const oracle::PageMap& post);
  void count(const Op& op, SysRet result);
  std::string expect_maps_block() const;
  std::string addr_str(Addr a) const;

  CaseSetup setup_;
  Coverage* cov_;
  bool perturb_;
  Mm mm_;
  oracle::PageOracle oracle_;
  oracle::ObjectMatch ids_;
  oracle::PageMap last_abs_;
  std::map<Addr, Exemption> exempt_;
  std::set<Addr> violations_;  // the boundaries the failing step found non-maximal
  std::vector<Event> events_;
  std::vector<std::string> lines_;
  bool show_maps_ = false;
  Addr brk_before_ = 0;
};

std::string op_line(const Op& op, const CaseSetup& s);
std::string rel(Addr a, const CaseSetup& s);

}  // namespace mmspec::prop
