// The page-level oracle: a second, deliberately simple formulation of what mmap, munmap,
// mprotect, mremap, brk and a memory access do, written page by page from the kernel's documented
// semantics (kernel-semantics.md sections 3, 6-9, 16) and sharing no code with the model's VMA
// layer (no VmaTree, no vma_merge, no split/adjust): the address space is a
// std::map<page number, PageState>, every operation is a loop over pages.
//
// What a page carries is what user space can observe or what decides merges: the vm_flags of
// the VMA that maps it (protection, VM_MAY*, shared, VM_ACCOUNT, VM_NORESERVE, VM_GROWSDOWN,
// VM_LOCKED, VM_NOHUGEPAGE, VM_DROPPABLE, VM_SYNC, ...), its backing (private anonymous;
// a shared anonymous object, one per mmap call; an open file and the file page index; a
// special mapping) and the page's index in it (vm_pgoff + page offset). VMA boundaries are
// not part of the abstraction: which neighbours merged is checked separately (merge
// maximality, tests/property).
//
// Where the page view decides the result, the oracle returns it (ENOMEM for holes, EEXIST for
// MAP_FIXED_NOREPLACE, EINVAL for bad arguments and for cutting a special mapping, EACCES for
// missing VM_MAY* rights, the address of a placement, the outcome of a touch). Facts that only
// a VMA-level view has are inputs, never predictions:
//   * whether the VMA holding a page has an anon_vma (PageState::anon_vma, copied from the
//     model after each step; the oracle only checks the lower bound `written`);
//   * the layout parameters (mmap_base, legacy base, TASK_SIZE, mmap_min_addr) and the limits;
//   * the start of a VM_GROWSDOWN VMA for mprotect(PROT_GROWSDOWN): the oracle takes the
//     lowest page of the run of identical pages and says so (Outcome::assumed_vma_*).
// Counters, max_map_count and overcommit are validate_mm's business: the oracle assumes
// limits that are never reached (Config::limits_unreached) and reports steps it cannot decide
// as Outcome::decided = false.
//
// abstraction() is the refinement map: Mm -> PageMap, one entry per page of every VMA.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mmspec/mm.hpp"
#include "mmspec/syscalls.hpp"

namespace mmspec::oracle {

using PageNo = std::uint64_t;  // address >> PAGE_SHIFT

enum class Backing : std::uint8_t {
  anon,     // private anonymous (mmap MAP_PRIVATE|MAP_ANONYMOUS, MAP_DROPPABLE, brk, the stack)
  shmem,    // shared anonymous: each mmap call creates its own object
  file,     // an open file (struct file identity), object = FileId
  special,  // [vvar], [vvar_vclock], [vdso]: object = SpecialName
};

struct PageState {
  VmFlags flags = 0;
  Backing backing = Backing::anon;
  std::uint64_t object = 0;  // file: FileId; shmem: object id; special: SpecialName; anon: 0
  PgOff index = 0;           // file/shmem page index; private anonymous: vm_pgoff (= page number)
  // Observed, not predicted: the VMA holding the page has an anon_vma.
  bool anon_vma = false;
  // Oracle only: written or populated for writing since it was mapped, so its VMA must have
  // an anon_vma.
  bool written = false;

  // Same mapping attributes (what the comparison and the grouping into runs look at).
  bool same_mapping(const PageState& o) const {
    return flags == o.flags && backing == o.backing && object == o.object && index == o.index;
  }
};

using PageMap = std::map<PageNo, PageState>;

struct FileInfo {
  std::uint64_t size = 0;  // bytes (the inode's i_size)
  bool readable = true, writable = true;
  bool hugetlb = false, directory = false;
};

struct Config {
  Profile profile = default_profile;
  Addr task_size = 0;
  Addr mmap_min_addr = 0;         // effective (search floor, hint floor)
  Addr mmap_min_addr_sysctl = 0;  // the EPERM check
  bool cap_sys_rawio = true;
  bool cap_ipc_lock = true;
  std::uint64_t rlimit_memlock = 0;
  std::uint64_t rlimit_stack = 0;
  Addr mmap_base = 0, legacy_base = 0;
  bool topdown = true;
  Addr stack_guard_gap = 0;
  bool soft_dirty = true;
  bool thp = true;
  int overcommit_memory = 0;
  VmFlags def_flags = 0;
  // RLIMIT_AS and RLIMIT_DATA unlimited, overcommit far away, map_count far below
  // vm.max_map_count: the oracle cannot see these (counters, VMA counts), so it decides
  // results only when they hold.
  bool limits_unreached = true;
  // The oracle holds one map entry per page: larger mappings are left undecided.
  std::uint64_t max_map_pages = std::uint64_t{1} << 18;
};

// The decided result of one operation. value: the SysRet of mmap/munmap/mprotect, the break
// for brk, a FaultOutcome for touch.
struct Outcome {
  bool decided = true;
  std::int64_t value = 0;
  std::string why;  // the rule that decided it
  // mprotect(PROT_GROWSDOWN): the oracle assumed that the pages [lo, hi) form one VMA.
  // mremap (assumed_vma_exact): the VMA holding the old address is exactly [lo, hi), the run
  // of identical pages around it (mremap's EFAULT and in-place growth depend on vm_end).
  Addr assumed_vma_lo = 0, assumed_vma_hi = 0;
  bool assumed_vma_exact = false;
};

// Shared anonymous objects are named independently by the oracle and the model; comparison
// matches them up to a bijection that grows as new objects appear.
struct ObjectMatch {
  std::map<std::uint64_t, std::uint64_t> oracle_to_model, model_to_oracle;
};

class PageOracle {
 public:
  PageOracle() = default;
  PageOracle(Config cfg, PageMap initial, std::map<FileId, FileInfo> files);
  // The oracle of a process as the model holds it: abstraction(mm), its layout and limits,
  // the files of its World, its break.
  static PageOracle of(const Mm& mm);

  Outcome mmap(Addr addr, std::uint64_t len, std::uint64_t prot, std::uint64_t flags,
               std::int64_t fd, std::uint64_t off);
  Outcome munmap(Addr addr, std::uint64_t len);
  Outcome mprotect(Addr addr, std::uint64_t len, std::uint64_t prot);
  Outcome brk(Addr brk);
  // mremap(old, old_len, new_len, flags, new_addr): MREMAP_MAYMOVE / MREMAP_FIXED.
  Outcome mremap(Addr old_addr, std::uint64_t old_len, std::uint64_t new_len, std::uint64_t flags,
                 Addr new_addr);
  Outcome touch(Addr addr, AccessKind access);
  void set_heap(Addr a) { start_brk_ = brk_ = a; }  // trace `heap`: start_brk = brk = a

  const PageMap& pages() const { return pages_; }
  PageMap& pages() { return pages_; }
  const Config& config() const { return cfg_; }
  void set_config(const Config& c) { cfg_ = c; }  // after a set-up step changed a limit
  Addr start_brk() const { return start_brk_; }
  Addr brk_value() const { return brk_; }
  void set_brk(Addr start_brk, Addr brk) { start_brk_ = start_brk, brk_ = brk; }
  // Shared anonymous objects the oracle created: id -> size in pages.
  const std::map<std::uint64_t, std::uint64_t>& shmem_objects() const { return shmem_; }
  // Take the model's state (after a step the oracle could not decide): its pages, with shared
  // anonymous objects named through `ids` (new ones get an oracle name), and its break.
  void resync(const Mm& mm, ObjectMatch& ids);

 private:
  struct FreeRun {
    Addr start = 0, end = 0;  // [start, end): no page mapped
    bool has_above = false;   // a mapped page ends the run
    PageNo above = 0;         // that page
  };
  std::vector<FreeRun> free_runs() const;
  const PageState* at(PageNo p) const;
  bool any_mapped(PageNo lo, PageNo hi) const;
  bool cuts_unsplittable(PageNo lo, PageNo hi) const;
  bool fits(Addr a, std::uint64_t len) const;  // free, and clear of a VM_GROWSDOWN guard gap
  std::int64_t place(Addr hint, std::uint64_t len, std::uint64_t flags) const;
  std::int64_t search_topdown(std::uint64_t len, Addr low, Addr high) const;
  std::int64_t search_bottomup(std::uint64_t len, Addr low, Addr high) const;
  std::int64_t fixed_checks(Addr a, std::uint64_t len) const;
  void unmap(PageNo lo, PageNo hi);
  void populate(PageNo lo, PageNo hi);
  Addr start_gap(PageNo p) const;  // vm_start_gap of the VMA that starts at page p
  // The run of pages around p that one VMA could hold: same mapping, consecutive index, same
  // anon_vma. [first, second).
  std::pair<PageNo, PageNo> run_at(PageNo p) const;
  // mremap's move: [lo, lo+old_pages) to dst, new_pages long.
  void move_pages(PageNo lo, PageNo old_pages, PageNo new_pages, PageNo dst);

  Config cfg_;
  PageMap pages_;
  std::map<FileId, FileInfo> files_;
  std::map<std::uint64_t, std::uint64_t> shmem_;
  std::uint64_t next_object_ = 1;
  Addr start_brk_ = 0, brk_ = 0;
};

// The refinement (abstraction) function: every page of every VMA of mm, with the VMA's
// vm_flags, backing (shmem objects identified by their struct file), vm_pgoff + offset and
// whether it has an anon_vma.
PageMap abstraction(const Mm& mm);
Config config_of(const Mm& mm);
// Whether the model's VMAs bear out what the oracle assumed about VMA boundaries
// (Outcome::assumed_vma_*); when they do not, the step is left undecided.
bool assumption_holds(const Mm& mm, const Outcome& out);

// Differences between the oracle's page map and the model's (anon_vma aside), as readable
// lines, consecutive pages with the same difference reported once; at most `limit` lines.
std::vector<std::string> compare(const PageMap& oracle, const PageMap& model, ObjectMatch& ids,
                                 std::size_t limit = 8);
// Pages the oracle knows were written whose VMA in the model has no anon_vma.
std::vector<std::string> check_written(const PageMap& oracle, const PageMap& model,
                                       std::size_t limit = 8);
// Copies the observed (VMA-level) facts from the model's pages: anon_vma.
void adopt_observed(PageMap& oracle, const PageMap& model);

std::string describe(const PageState& s);

}  // namespace mmspec::oracle
