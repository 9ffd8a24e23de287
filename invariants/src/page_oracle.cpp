// The page-level oracle (see page_oracle.hpp). Every rule cites the section of
// shared/kernel-semantics.md it comes from; none of it uses the model's VMA code.
#include "mmspec/page_oracle.hpp"

#include <algorithm>
#include <cstdio>

namespace mmspec::oracle {
namespace {

constexpr Addr P = PAGE_SIZE;
constexpr std::uint64_t MAX_LFS_FILESIZE = 0x7fffffffffffffffull;
constexpr Addr DEFAULT_MAP_WINDOW_ = (Addr{1} << 47) - PAGE_SIZE;
constexpr Addr MAP_32BIT_LOW = 0x40000000, MAP_32BIT_HIGH = 0x80000000;
// include/linux/mman.h LEGACY_MAP_MASK as the kernel spells it: it lists MAP_32BIT and the
// MAP_HUGE_2MB / MAP_HUGE_1GB size codes, and on x86 6.18 MAP_ABOVE4G (checked live on
// 6.18.44: MAP_SHARED_VALIDATE with each of them maps a memfd).
constexpr std::uint64_t MAP_HUGE_2MB_ = std::uint64_t{21} << 26;
constexpr std::uint64_t MAP_HUGE_1GB_ = std::uint64_t{30} << 26;
std::uint64_t legacy_map_mask(Profile p) {
  std::uint64_t m = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |
                    MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED |
                    MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |
                    MAP_32BIT | MAP_HUGE_2MB_ | MAP_HUGE_1GB_;
  if (p == Profile::linux_6_18) m |= MAP_ABOVE4G;  // MAP_ABOVE4G is 6.3+
  return m;
}

constexpr VmFlags RWX = VM_READ | VM_WRITE | VM_EXEC;

Outcome ret(std::int64_t v, std::string why) { return Outcome{true, v, std::move(why)}; }
Outcome fail(int e, std::string why) { return Outcome{true, -static_cast<std::int64_t>(e), std::move(why)}; }
Outcome undecided(std::string why) { return Outcome{false, 0, std::move(why)}; }

Addr page_up(Addr a) { return (a + P - 1) & PAGE_MASK; }
bool accessible(VmFlags f) { return (f & RWX) != 0; }
// The maple-tree generations (6.1 on): gap searches apply guard gaps by retrying (mm/mmap.c
// unmapped_area(_topdown) v6.1, mm/vma.c v6.18), and brk needs a VMA to give back (mm/mmap.c
// brk v6.1, mm/vma.c v6.18).
bool maple(const Config& c) { return c.profile != Profile::linux_5_10; }
// Behaviour new since 6.1 that the 6.18 profile has (kernel versions at each use).
bool v618(const Config& c) { return c.profile == Profile::linux_6_18; }

}  // namespace

PageOracle::PageOracle(Config cfg, PageMap initial, std::map<FileId, FileInfo> files)
    : cfg_(cfg), pages_(std::move(initial)), files_(std::move(files)) {}

PageOracle PageOracle::of(const Mm& mm) {
  std::map<FileId, FileInfo> files;
  const World& w = *mm.world;
  for (const OpenFile& f : w.files) {
    const Inode* ino = w.inode(f.inode);
    if (!ino) continue;
    files[f.id] = FileInfo{ino->size, f.readable, f.writable, ino->hugetlb, ino->directory};
  }
  PageOracle o(config_of(mm), abstraction(mm), std::move(files));
  // Shared anonymous objects that already exist are known by the model's struct file id;
  // the oracle names its own from a range the model's ids never reach.
  for (const auto& [p, s] : o.pages_)
    if (s.backing == Backing::shmem)
      if (const Inode* ino = w.inode_of(static_cast<FileId>(s.object)))
        o.shmem_[s.object] = page_up(ino->size) >> PAGE_SHIFT;
  o.next_object_ = std::uint64_t{1} << 40;
  o.start_brk_ = mm.start_brk;
  o.brk_ = mm.brk;
  return o;
}

Config config_of(const Mm& mm) {
  Config c;
  c.profile = mm.cfg.profile;
  c.task_size = mm.layout.task_size;
  c.mmap_min_addr = mm.cfg.layout.mmap_min_addr;
  c.mmap_min_addr_sysctl = mm.cfg.layout.mmap_min_addr_sysctl;
  c.cap_sys_rawio = mm.cfg.caps.sys_rawio;
  c.cap_ipc_lock = mm.cfg.caps.ipc_lock;
  c.rlimit_memlock = mm.cfg.rlimits.memlock;
  c.rlimit_stack = mm.cfg.rlimits.stack;
  c.mmap_base = mm.layout.mmap_base;
  c.legacy_base = mm.layout.mmap_legacy_base;
  c.topdown = mm.layout.topdown;
  c.stack_guard_gap = mm.cfg.layout.stack_guard_gap;
  c.soft_dirty = mm.cfg.machine.soft_dirty;
  c.thp = mm.cfg.machine.thp;
  c.overcommit_memory = mm.cfg.sysctl.overcommit_memory;
  c.def_flags = mm.def_flags;
  c.limits_unreached = mm.cfg.rlimits.as == RLIM_INFINITY && mm.cfg.rlimits.data == RLIM_INFINITY &&
                       mm.cfg.sysctl.overcommit_memory != 2 &&
                       mm.cfg.sysctl.max_map_count >= 1024;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Page-map helpers

const PageState* PageOracle::at(PageNo p) const {
  auto it = pages_.find(p);
  return it == pages_.end() ? nullptr : &it->second;
}

bool PageOracle::any_mapped(PageNo lo, PageNo hi) const {
  auto it = pages_.lower_bound(lo);
  return it != pages_.end() && it->first < hi;
}

// A range whose start or end falls inside a mapping that refuses to be split there cannot be
// unmapped or changed (kernel-semantics 5.1, the may_split hook): a special mapping never
// splits, a hugetlb mapping only on a huge page boundary.
bool PageOracle::cuts_unsplittable(PageNo lo, PageNo hi) const {
  auto inside = [&](PageNo b) {
    if (b == 0) return false;
    const PageState* below = at(b - 1);
    const PageState* above = at(b);
    if (!below || !above || below->backing != above->backing || below->object != above->object)
      return false;
    if (above->backing == Backing::special) return true;
    return (above->flags & VM_HUGETLB) && (below->flags & VM_HUGETLB) &&
           below->index + 1 == above->index && ((b << PAGE_SHIFT) & (PMD_SIZE - 1)) != 0;
  };
  return inside(lo) || inside(hi);
}

// vm_start_gap (kernel-semantics 3.5): a VM_GROWSDOWN VMA keeps stack_guard_gap free below it.
Addr PageOracle::start_gap(PageNo p) const {
  const Addr a = p << PAGE_SHIFT;
  const PageState* s = at(p);
  if (!s || !(s->flags & VM_GROWSDOWN)) return a;
  return a > cfg_.stack_guard_gap ? a - cfg_.stack_guard_gap : 0;
}

// [a, a+len) holds no page and ends at or below the guard gap of the mapping that follows
// (the hint test of kernel-semantics 3.2/3.3: only the next VMA is looked at).
bool PageOracle::fits(Addr a, std::uint64_t len) const {
  const PageNo lo = a >> PAGE_SHIFT, hi = (a + len) >> PAGE_SHIFT;
  auto it = pages_.lower_bound(lo);
  if (it == pages_.end()) return true;
  if (it->first < hi) return false;
  return a + len <= start_gap(it->first);
}

void PageOracle::unmap(PageNo lo, PageNo hi) {
  pages_.erase(pages_.lower_bound(lo), pages_.lower_bound(hi));
}

// mm_populate (kernel-semantics 6.1 notes, 8.2): write faults on private writable pages,
// nothing on PROT_NONE, VM_IO/VM_PFNMAP, VM_LOCKONFAULT or special pages.
void PageOracle::populate(PageNo lo, PageNo hi) {
  for (auto it = pages_.lower_bound(lo); it != pages_.end() && it->first < hi; ++it) {
    PageState& s = it->second;
    if (s.flags & (VM_IO | VM_PFNMAP | VM_LOCKONFAULT)) continue;
    if (!accessible(s.flags)) continue;
    if ((s.flags & (VM_WRITE | VM_SHARED)) == VM_WRITE && s.backing != Backing::special)
      s.written = true;
  }
}

void PageOracle::resync(const Mm& mm, ObjectMatch& ids) {
  PageMap next = abstraction(mm);
  for (auto& [p, s] : next) {
    if (s.backing == Backing::shmem) {
      auto it = ids.model_to_oracle.find(s.object);
      if (it == ids.model_to_oracle.end()) {
        const std::uint64_t mine = next_object_++;
        const Inode* ino = mm.world->inode_of(static_cast<FileId>(s.object));
        shmem_[mine] = ino ? page_up(ino->size) >> PAGE_SHIFT : 0;
        it = ids.model_to_oracle.emplace(s.object, mine).first;
        ids.oracle_to_model[mine] = s.object;
      }
      s.object = it->second;
    }
    const PageState* old = at(p);
    s.written = old && old->same_mapping(s) && old->written;
  }
  pages_ = std::move(next);
  start_brk_ = mm.start_brk;
  brk_ = mm.brk;
}

// ---------------------------------------------------------------------------------------------
// Placement (kernel-semantics 3.1-3.5), over the free runs of the page map.

// The free runs of the page map (maximal ranges of unmapped pages) in address order, each
// with the first mapped page after it (the page that ends it), if any.
std::vector<PageOracle::FreeRun> PageOracle::free_runs() const {
  std::vector<FreeRun> runs;
  PageNo next = 0;  // first page not yet covered
  for (const auto& [p, s] : pages_) {
    if (p > next) runs.push_back(FreeRun{next << PAGE_SHIFT, p << PAGE_SHIFT, true, p});
    next = p + 1;
  }
  runs.push_back(FreeRun{next << PAGE_SHIFT, ~Addr{0}, false, 0});
  return runs;
}

// The highest fitting address in [low, high). 5.10 (mm/mmap.c unmapped_area_topdown): the
// highest free run that has room below `high`, a run that ends at a VM_GROWSDOWN mapping
// being shortened by its guard gap. 6.18 (mm/vma.c unmapped_area_topdown): the highest free
// run with room below `high`; if the page that ends it starts a VM_GROWSDOWN mapping whose
// guard gap reaches into the candidate, `high` drops to the start of that guard gap and the
// search starts over (so the guard gap also hides free pages below other mappings under it).
std::int64_t PageOracle::search_topdown(std::uint64_t len, Addr low, Addr high) const {
  if (v618(cfg_) && low < cfg_.mmap_min_addr) low = cfg_.mmap_min_addr;
  const std::vector<FreeRun> runs = free_runs();
  Addr hi = high;
  for (std::size_t round = 0; round <= runs.size() + 1; ++round) {
    if (hi < low || hi - low < len) return -ENOMEM;
    const FreeRun* found = nullptr;
    Addr cand = 0;
    for (auto r = runs.rbegin(); r != runs.rend() && !found; ++r) {
      Addr use_end = std::min(r->end, hi);
      if (!maple(cfg_) && r->has_above) use_end = std::min(use_end, start_gap(r->above));
      const Addr use_start = std::max(r->start, low);
      if (use_end > use_start && use_end - use_start >= len) found = &*r, cand = use_end - len;
    }
    if (!found) return -ENOMEM;
    if (maple(cfg_) && found->has_above && (at(found->above)->flags & VM_GROWSDOWN) &&
        start_gap(found->above) < std::min(found->end, hi)) {
      hi = start_gap(found->above);
      continue;
    }
    return static_cast<std::int64_t>(cand);
  }
  return -ENOMEM;
}

// The lowest fitting address in [low, high). 5.10 (mm/mmap.c unmapped_area): the lowest free
// run with room, shortened by the guard gap of a VM_GROWSDOWN mapping that ends it. 6.18
// (mm/vma.c unmapped_area): the lowest free run with room; if the mapping that ends it is
// VM_GROWSDOWN with its guard gap reaching into the candidate, `low` moves past that mapping
// and the search starts over.
std::int64_t PageOracle::search_bottomup(std::uint64_t len, Addr low, Addr high) const {
  if (v618(cfg_) && low < cfg_.mmap_min_addr) low = cfg_.mmap_min_addr;
  const std::vector<FreeRun> runs = free_runs();
  Addr lo = low;
  for (std::size_t round = 0; round <= runs.size() + 1; ++round) {
    if (high < lo || high - lo < len) return -ENOMEM;
    const FreeRun* found = nullptr;
    Addr cand = 0;
    for (const FreeRun& r : runs) {
      Addr use_end = std::min(r.end, high);
      if (!maple(cfg_) && r.has_above) use_end = std::min(use_end, start_gap(r.above));
      const Addr use_start = std::max(r.start, lo);
      if (use_end > use_start && use_end - use_start >= len) {
        found = &r, cand = use_start;
        break;
      }
    }
    if (!found) return -ENOMEM;
    if (maple(cfg_) && found->has_above && (at(found->above)->flags & VM_GROWSDOWN) &&
        start_gap(found->above) < cand + len) {
      lo = (found->above + 1) << PAGE_SHIFT;  // past the growsdown mapping
      continue;
    }
    return static_cast<std::int64_t>(cand);
  }
  return -ENOMEM;
}

// get_unmapped_area for a request that is not MAP_FIXED (kernel-semantics 3.1-3.3).
std::int64_t PageOracle::place(Addr hint, std::uint64_t len, std::uint64_t flags) const {
  const Addr task = cfg_.task_size;
  auto bottom_up = [&](Addr h) -> std::int64_t {
    Addr begin = cfg_.legacy_base, end = h > DEFAULT_MAP_WINDOW_ ? task : DEFAULT_MAP_WINDOW_;
    if (flags & MAP_32BIT) begin = MAP_32BIT_LOW, end = MAP_32BIT_HIGH;
    if (len > end) return -ENOMEM;
    if (h) {
      h = page_up(h);
      if (end - len >= h && fits(h, len)) return static_cast<std::int64_t>(h);
    }
    return search_bottomup(len, begin, end);
  };
  if (!cfg_.topdown || (flags & MAP_32BIT)) return bottom_up(hint);
  if (hint) {
    const bool valid = !(task - len < hint) &&
                       ((hint > DEFAULT_MAP_WINDOW_) == (hint + len > DEFAULT_MAP_WINDOW_));
    if (valid && fits(hint, len)) return static_cast<std::int64_t>(hint);
  }
  const Addr low = (v618(cfg_) && (flags & MAP_ABOVE4G)) ? (Addr{1} << 32) : P;
  Addr high = cfg_.mmap_base;
  if (hint > DEFAULT_MAP_WINDOW_) high += task - DEFAULT_MAP_WINDOW_;
  const std::int64_t r = search_topdown(len, low, high);
  if (r >= 0) return r;
  return bottom_up(hint);
}

// The checks get_unmapped_area applies to every result, MAP_FIXED included (3.1 steps 5-7).
std::int64_t PageOracle::fixed_checks(Addr a, std::uint64_t len) const {
  if (a > cfg_.task_size - len) return -ENOMEM;
  if (a & (P - 1)) return -EINVAL;
  if (a < cfg_.mmap_min_addr_sysctl && !cfg_.cap_sys_rawio) return -EPERM;
  return static_cast<std::int64_t>(a);
}

// ---------------------------------------------------------------------------------------------
// mmap (kernel-semantics 6.1, 6.2, 6.3)

Outcome PageOracle::mmap(Addr addr, std::uint64_t len, std::uint64_t prot, std::uint64_t flags,
                         std::int64_t fd, std::uint64_t off) {
  if (off & (P - 1)) return fail(EINVAL, "offset not page aligned");
  const PgOff pgoff = off >> PAGE_SHIFT;
  FileInfo finfo;
  bool is_file = false, hugetlb = false;
  FileId file = 0;
  if (!(flags & MAP_ANONYMOUS)) {
    auto it = fd >= 0 ? files_.find(static_cast<FileId>(fd)) : files_.end();
    if (it == files_.end()) return fail(EBADF, "fd is not open");
    finfo = it->second;
    is_file = true;
    file = it->first;
    if (finfo.hugetlb) return undecided("hugetlbfs file");
    if (flags & MAP_HUGETLB) return fail(EINVAL, "MAP_HUGETLB on a file that is not hugetlbfs");
  } else if (flags & MAP_HUGETLB) {
    // An anonymous hugetlbfs file of the requested size code (only the 2 MiB default exists).
    const std::uint64_t code = (flags >> 26) & 0x3f;
    if (code != 0 && code != 21) return fail(EINVAL, "no huge page size for that MAP_HUGE_* code");
    len = (len + PMD_SIZE - 1) & ~(PMD_SIZE - 1);
    hugetlb = is_file = true;
    finfo = FileInfo{len, true, true, true, false};
  }
  if (len == 0) return fail(EINVAL, "length 0");
  if (flags & MAP_FIXED_NOREPLACE) flags |= MAP_FIXED;
  if (!(flags & MAP_FIXED)) {
    addr &= PAGE_MASK;
    if (addr && addr < cfg_.mmap_min_addr) addr = page_up(cfg_.mmap_min_addr);
  }
  len = page_up(len);
  if (len == 0) return fail(ENOMEM, "length overflows when rounded to pages");
  if (pgoff + (len >> PAGE_SHIFT) < pgoff) return fail(EOVERFLOW, "file offset + length wraps");
  if (!cfg_.limits_unreached) return undecided("limits may be reached");
  if ((len >> PAGE_SHIFT) > cfg_.max_map_pages) return undecided("mapping too large for a page map");

  VmFlags vm = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | cfg_.def_flags;
  if (prot & PROT_READ) vm |= VM_READ;
  if (prot & PROT_WRITE) vm |= VM_WRITE;
  if (prot & PROT_EXEC) vm |= VM_EXEC;
  if (flags & MAP_GROWSDOWN) vm |= VM_GROWSDOWN;
  if (flags & MAP_LOCKED) vm |= VM_LOCKED;
  if (flags & MAP_SYNC) vm |= VM_SYNC;
  if (v618(cfg_) && cfg_.thp && (flags & MAP_STACK)) vm |= VM_NOHUGEPAGE;

  // get_unmapped_area
  if (len > cfg_.task_size) return fail(ENOMEM, "length above TASK_SIZE");
  std::int64_t a;
  if (hugetlb) {
    if ((flags & MAP_FIXED) && (addr & (PMD_SIZE - 1))) return fail(EINVAL, "hugetlb MAP_FIXED not 2 MiB aligned");
    if (!(flags & MAP_FIXED)) {
      // Any placement ends in the failed reservation below (the pool is empty), unless
      // MAP_NORESERVE, where the 2 MiB-aligned search would have to be modelled.
      if (flags & MAP_NORESERVE) return undecided("hugetlb MAP_NORESERVE placement");
      return fail(ENOMEM, "hugetlb: no placement or no huge page to reserve");
    }
    a = static_cast<std::int64_t>(addr);
  } else if (flags & MAP_FIXED) {
    a = static_cast<std::int64_t>(addr);
  } else {
    if (v618(cfg_) && cfg_.thp && !is_file && (flags & MAP_TYPE) != MAP_SHARED && addr == 0 &&
        len % PMD_SIZE == 0)
      return undecided("THP-aligned placement");
    a = place(addr, len, flags);
    if (a < 0) return fail(static_cast<int>(-a), "no free range");
  }
  a = fixed_checks(static_cast<Addr>(a), len);
  if (a < 0) return fail(static_cast<int>(-a), "address checks of get_unmapped_area");
  const Addr start = static_cast<Addr>(a);
  const PageNo lo = start >> PAGE_SHIFT, hi = (start + len) >> PAGE_SHIFT;
  if ((flags & MAP_FIXED_NOREPLACE) && any_mapped(lo, hi)) return fail(EEXIST, "MAP_FIXED_NOREPLACE over a mapped page");
  if ((flags & MAP_LOCKED) && cfg_.rlimit_memlock == 0 && !cfg_.cap_ipc_lock) return fail(EPERM, "MAP_LOCKED with RLIMIT_MEMLOCK 0");
  if ((vm & VM_LOCKED) && !cfg_.cap_ipc_lock) {
    std::uint64_t locked = 0;
    for (const auto& [p, s] : pages_) locked += (s.flags & VM_LOCKED) ? 1 : 0;
    if ((len >> PAGE_SHIFT) + locked > (cfg_.rlimit_memlock >> PAGE_SHIFT)) return fail(EAGAIN, "beyond RLIMIT_MEMLOCK");
  }

  Backing backing = Backing::anon;
  PgOff index0 = start >> PAGE_SHIFT;
  const std::uint64_t type = flags & MAP_TYPE;
  if (is_file) {
    if (len > MAX_LFS_FILESIZE || pgoff > ((MAX_LFS_FILESIZE - len) >> PAGE_SHIFT))
      return fail(EOVERFLOW, "beyond the maximum file size");
    switch (type) {
      case MAP_SHARED:
      case MAP_SHARED_VALIDATE:
        if (type == MAP_SHARED) flags &= legacy_map_mask(cfg_.profile);
        if (flags & ~legacy_map_mask(cfg_.profile)) return fail(EOPNOTSUPP, "MAP_SHARED_VALIDATE with a flag outside LEGACY_MAP_MASK");
        if ((prot & PROT_WRITE) && !finfo.writable) return fail(EACCES, "shared writable mapping of a file not open for writing");
        vm |= VM_SHARED | VM_MAYSHARE;
        if (!finfo.writable) vm &= ~(VM_MAYWRITE | VM_SHARED);
        [[fallthrough]];
      case MAP_PRIVATE:
        if (!finfo.readable) return fail(EACCES, "file not open for reading");
        if (finfo.directory) return fail(ENODEV, "no mmap operation");
        if (vm & VM_GROWSDOWN) return fail(EINVAL, "MAP_GROWSDOWN on a file");
        break;
      default:
        return fail(EINVAL, "map type neither shared nor private");
    }
    backing = Backing::file;
    index0 = pgoff;
  } else {
    switch (type) {
      case MAP_SHARED:
        if (vm & VM_GROWSDOWN) return fail(EINVAL, "shared anonymous MAP_GROWSDOWN");
        vm |= VM_SHARED | VM_MAYSHARE;
        backing = Backing::shmem;
        index0 = 0;
        break;
      case MAP_DROPPABLE:
        if (!v618(cfg_)) return fail(EINVAL, "no MAP_DROPPABLE before 6.11");
        if (flags & (MAP_LOCKED | MAP_HUGETLB)) return fail(EINVAL, "MAP_DROPPABLE with MAP_LOCKED");
        if (vm & VM_GROWSDOWN) return fail(EINVAL, "MAP_DROPPABLE with MAP_GROWSDOWN");
        vm |= VM_DROPPABLE | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP;
        break;
      case MAP_PRIVATE:
        break;
      default:
        return fail(EINVAL, "anonymous map type neither shared nor private");
    }
  }
  if (flags & MAP_NORESERVE) {
    if (cfg_.overcommit_memory != 2) vm |= VM_NORESERVE;
    if (hugetlb) vm |= VM_NORESERVE;
  }

  // mmap_region: whatever is mapped in the range is unmapped first (munmap semantics).
  if (cuts_unsplittable(lo, hi)) return fail(EINVAL, "MAP_FIXED cuts a mapping that cannot be split there");
  if (hugetlb) {
    if (vm & VM_NORESERVE) return undecided("hugetlb MAP_NORESERVE");
    unmap(lo, hi);  // the replaced mappings are gone before the reservation fails
    return fail(ENOMEM, "hugetlb: no huge page to reserve (range left empty)");
  }
  // accountable_mapping: private, writable, not VM_NORESERVE.
  if ((vm & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE) vm |= VM_ACCOUNT;
  if (cfg_.soft_dirty) vm |= VM_SOFTDIRTY;
  unmap(lo, hi);
  std::uint64_t object = 0;
  if (backing == Backing::shmem) {
    object = next_object_++;
    shmem_[object] = hi - lo;
  } else if (backing == Backing::file) {
    object = file;
  }
  for (PageNo p = lo; p < hi; ++p) {
    PageState s;
    s.flags = vm;
    s.backing = backing;
    s.object = object;
    s.index = backing == Backing::anon ? p : index0 + (p - lo);
    pages_[p] = s;
  }
  if ((vm & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE) populate(lo, hi);
  return ret(static_cast<std::int64_t>(start), (flags & MAP_FIXED) ? "mapped at the fixed address" : "placed");
}

// ---------------------------------------------------------------------------------------------
// munmap (kernel-semantics 7): all or nothing.

Outcome PageOracle::munmap(Addr start, std::uint64_t len) {
  const Addr task = cfg_.task_size;
  if ((start & (P - 1)) || start > task || len > task - start) return fail(EINVAL, "unaligned or beyond TASK_SIZE");
  const Addr end = start + page_up(len);
  if (end == start) return fail(EINVAL, "length 0");
  const PageNo lo = start >> PAGE_SHIFT, hi = end >> PAGE_SHIFT;
  if (!any_mapped(lo, hi)) return ret(0, "nothing mapped");
  if (!cfg_.limits_unreached) return undecided("max_map_count may be reached");
  if (cuts_unsplittable(lo, hi)) return fail(EINVAL, "cuts a mapping that cannot be split there");
  unmap(lo, hi);
  return ret(0, "unmapped");
}

// ---------------------------------------------------------------------------------------------
// mprotect (kernel-semantics 8): page by page in address order; the first hole or refusal
// stops it with the pages before already changed.

Outcome PageOracle::mprotect(Addr start, std::uint64_t len, std::uint64_t prot) {
  const std::uint64_t grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
  prot &= ~static_cast<std::uint64_t>(PROT_GROWSDOWN | PROT_GROWSUP);
  if (grows == (PROT_GROWSDOWN | PROT_GROWSUP)) return fail(EINVAL, "PROT_GROWSDOWN and PROT_GROWSUP");
  if (start & (P - 1)) return fail(EINVAL, "start not page aligned");
  if (len == 0) return ret(0, "length 0");
  const Addr rlen = page_up(len);
  Addr end = start + rlen;
  if (end <= start) return fail(ENOMEM, "range wraps");
  if (prot & ~static_cast<std::uint64_t>(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM)) return fail(EINVAL, "unknown protection bits");
  if (!cfg_.limits_unreached) return undecided("limits may be reached");
  auto first = pages_.lower_bound(start >> PAGE_SHIFT);
  if (first == pages_.end() || first->first >= (end >> PAGE_SHIFT)) return fail(ENOMEM, "nothing mapped in the range");
  Outcome out = ret(0, "changed");
  if (grows & PROT_GROWSDOWN) {
    if (!(first->second.flags & VM_GROWSDOWN)) return fail(EINVAL, "PROT_GROWSDOWN on a mapping without VM_GROWSDOWN");
    // start = vm_start of that VMA: the lowest page of the run of identical pages (assumed).
    PageNo q = first->first;
    auto it = first;
    while (it != pages_.begin()) {
      auto pb = std::prev(it);
      const PageState& a = pb->second;
      const PageState& b = it->second;
      if (pb->first + 1 != it->first || a.flags != b.flags || a.backing != b.backing ||
          a.object != b.object || a.index + 1 != b.index)
        break;
      q = pb->first;
      it = pb;
    }
    out.assumed_vma_lo = q << PAGE_SHIFT;
    out.assumed_vma_hi = (first->first + 1) << PAGE_SHIFT;
    start = q << PAGE_SHIFT;
  } else {
    if ((first->first << PAGE_SHIFT) > start) return fail(ENOMEM, "start is not mapped");
    if (grows & PROT_GROWSUP) return fail(EINVAL, "PROT_GROWSUP on x86");
  }
  // Every result from here on depends on where the loop started.
  auto with_assumption = [&](Outcome o) {
    o.assumed_vma_lo = out.assumed_vma_lo, o.assumed_vma_hi = out.assumed_vma_hi;
    return o;
  };
  const VmFlags bits = ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
                       ((prot & PROT_EXEC) ? VM_EXEC : 0);
  const PageNo hi = end >> PAGE_SHIFT;
  PageNo cur = start >> PAGE_SHIFT;
  while (cur < hi) {
    auto it = pages_.find(cur);
    if (it == pages_.end()) return with_assumption(fail(ENOMEM, "hole in the range (pages before it already changed)"));
    const PageState old = it->second;
    VmFlags nf = (old.flags & ~RWX) | bits;
    if ((nf & ~(nf >> 4)) & RWX) return with_assumption(fail(EACCES, "protection beyond the VM_MAY* rights (pages before already changed)"));
    // The run of pages that behave as one VMA here: same mapping, same anon_vma.
    PageNo run_end = cur + 1;
    for (auto jt = std::next(it); jt != pages_.end() && jt->first == run_end && run_end < hi; ++jt) {
      const PageState& s = jt->second;
      if (s.flags != old.flags || s.backing != old.backing || s.object != old.object ||
          s.index != old.index + (run_end - cur) || s.anon_vma != old.anon_vma)
        break;
      ++run_end;
    }
    if (nf == old.flags) {
      cur = run_end;
      continue;
    }
    if (cuts_unsplittable(cur, run_end)) return with_assumption(fail(EINVAL, "would split a mapping that cannot be split there"));
    if (nf & VM_WRITE) {
      if (!(old.flags & (VM_ACCOUNT | VM_WRITE | VM_HUGETLB | VM_SHARED | VM_NORESERVE))) nf |= VM_ACCOUNT;
    } else if (v618(cfg_) && (old.flags & VM_ACCOUNT) && old.backing == Backing::anon && !old.anon_vma) {
      nf &= ~VM_ACCOUNT;  // 6.18: a never-written anonymous range gives its charge back
    }
    for (PageNo p = cur; p < run_end; ++p) pages_[p].flags = nf;
    if ((old.flags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (nf & VM_WRITE)) populate(cur, run_end);
    cur = run_end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// mremap (mm/mremap.c SYSCALL_DEFINE5(mremap) v5.15, v6.1; do_mremap v6.18): shrink, growth in
// place, the move (with or without MREMAP_FIXED). The page view knows no VMA boundaries; where
// a rule reads vm_end (EFAULT past the end of the VMA, growth in place) the oracle takes the
// run of identical pages around the old address as that VMA and says so
// (Outcome::assumed_vma_exact): the harness leaves the step undecided when the model's VMA is
// smaller. Not decided: old_len 0 (the shared-mapping duplicate), hugetlb, sealed and special
// mappings, MREMAP_DONTUNMAP, RLIMIT_MEMLOCK, and 6.18's pure move of several VMAs at once
// (remap_move: it needs the VMA boundaries inside the range).

std::pair<PageNo, PageNo> PageOracle::run_at(PageNo p) const {
  auto joins = [](const PageState& a, const PageState& b) {  // b is the page after a
    return a.flags == b.flags && a.backing == b.backing && a.object == b.object &&
           a.index + 1 == b.index && a.anon_vma == b.anon_vma;
  };
  auto it = pages_.find(p);
  PageNo lo = p, hi = p + 1;
  for (auto jt = it; jt != pages_.begin();) {
    auto pv = std::prev(jt);
    if (pv->first + 1 != jt->first || !joins(pv->second, jt->second)) break;
    lo = pv->first;
    jt = pv;
  }
  for (auto jt = it, nx = std::next(it); nx != pages_.end(); jt = nx, ++nx) {
    if (jt->first + 1 != nx->first || !joins(jt->second, nx->second)) break;
    hi = nx->first + 1;
  }
  return {lo, hi};
}

// move_vma + copy_vma: the pages keep their backing and index, except a private anonymous
// VMA that was never faulted (no anon_vma): its pages are found by address, so the copy's
// index is its new page number. The growth continues the index. The source is unmapped.
void PageOracle::move_pages(PageNo lo, PageNo old_pages, PageNo new_pages, PageNo dst) {
  std::vector<PageState> src;
  for (PageNo p = lo; p < lo + old_pages; ++p) src.push_back(pages_.at(p));
  const PageState first = src.front();
  const bool by_address = first.backing == Backing::anon && !first.anon_vma;
  unmap(lo, lo + old_pages);
  for (PageNo i = 0; i < new_pages; ++i) {
    PageState s = i < old_pages ? src[i] : first;
    if (i >= old_pages) s.written = false;
    s.index = by_address ? dst + i : first.index + i;
    pages_[dst + i] = s;
  }
  // A locked VMA: the growth is populated (mremap's mm_populate of new_addr + old_len).
  if (first.flags & VM_LOCKED) populate(dst + old_pages, dst + new_pages);
}

Outcome PageOracle::mremap(Addr addr, std::uint64_t old_len, std::uint64_t new_len,
                           std::uint64_t flags, Addr new_addr) {
  const bool fixed = flags & MREMAP_FIXED, maymove = flags & MREMAP_MAYMOVE;
  const Addr task = cfg_.task_size;
  if (flags & ~static_cast<std::uint64_t>(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
    return fail(EINVAL, "unknown flags");
  if (flags & MREMAP_DONTUNMAP) return undecided("MREMAP_DONTUNMAP is not modelled");
  // 5.15/6.1 reject MREMAP_FIXED without MREMAP_MAYMOVE first; 6.18 after its other argument
  // checks, all of which answer EINVAL too.
  if (fixed && !maymove) return fail(EINVAL, "MREMAP_FIXED without MREMAP_MAYMOVE");
  if (addr & (P - 1)) return fail(EINVAL, "old address not page aligned");
  if (old_len > task || new_len > task || addr > task - page_up(old_len))
    return undecided("lengths or old range beyond TASK_SIZE");
  old_len = page_up(old_len);
  new_len = page_up(new_len);
  if (!new_len) return fail(EINVAL, "new_len 0");
  if (!old_len) return undecided("old_len 0 (duplicating a shared mapping)");
  if (!cfg_.limits_unreached) return undecided("limits may be reached");
  const PageNo lo = addr >> PAGE_SHIFT, ohi = (addr + old_len) >> PAGE_SHIFT;
  const PageNo npages = new_len >> PAGE_SHIFT;

  // The VMA at the old address, as the oracle assumes it (checked by the harness).
  Outcome out = ret(static_cast<std::int64_t>(addr), "");
  const bool mapped = at(lo) != nullptr;
  if (mapped) {
    const auto [a, b] = run_at(lo);
    out.assumed_vma_lo = a << PAGE_SHIFT;
    out.assumed_vma_hi = b << PAGE_SHIFT;
    out.assumed_vma_exact = true;
    const PageState& s = *at(lo);
    if (s.flags & VM_SEALED) return undecided("sealed mapping");
    if (s.flags & VM_HUGETLB) return undecided("hugetlb mremap");
    if (s.backing == Backing::special) return undecided("special mapping");
  }
  auto with = [&](Outcome o) {
    o.assumed_vma_lo = out.assumed_vma_lo, o.assumed_vma_hi = out.assumed_vma_hi;
    o.assumed_vma_exact = out.assumed_vma_exact;
    return o;
  };
  auto done = [&](Addr a, const char* why) { return with(ret(static_cast<std::int64_t>(a), why)); };
  // vma_to_resize (5.15, 6.1) / check_prep_vma (6.18) for [addr, addr+olen) -> new_len, on
  // the page map as it is now: 0, -errno, or 1 for undecided.
  auto resize_checks = [&](std::uint64_t olen) -> std::int64_t {
    const PageState* s = at(lo);
    if (!s) return -EFAULT;
    const PageNo vend = run_at(lo).second;
    if (olen > ((vend - lo) << PAGE_SHIFT)) return -EFAULT;
    if (new_len == olen) return 0;
    if (s->flags & (VM_DONTEXPAND | VM_PFNMAP)) return -EFAULT;
    if (new_len > olen && (s->flags & VM_LOCKED) && !cfg_.cap_ipc_lock) return 1;
    return 0;
  };
  // The munmap of a range inside mremap: the munmap rules (nothing mapped is fine).
  auto unmap_range = [&](PageNo a, PageNo b) -> bool {
    if (a >= b || !any_mapped(a, b)) return true;
    if (cuts_unsplittable(a, b)) return false;
    unmap(a, b);
    return true;
  };

  if (fixed) {
    const PageNo dlo = new_addr >> PAGE_SHIFT;
    if (v618(cfg_)) {
      if (new_addr > task - new_len) return fail(EINVAL, "destination beyond TASK_SIZE");
      if (new_addr & (P - 1)) return fail(EINVAL, "new address not page aligned");
    } else {
      // 6.1 looks the VMA up before anything else.
      if (maple(cfg_) && !mapped) return fail(EFAULT, "6.1: no mapping at the old address");
      if (new_addr & (P - 1)) return fail(EINVAL, "new address not page aligned");
      if (new_addr > task - new_len) return fail(EINVAL, "destination beyond TASK_SIZE");
    }
    if (addr + old_len > new_addr && new_addr + new_len > addr) return fail(EINVAL, "old and new ranges overlap");
    if (v618(cfg_)) {
      // Checks on the VMA before the destination is unmapped.
      if (!mapped) return fail(EFAULT, "no mapping at the old address");
      if (old_len == new_len && (out.assumed_vma_hi >> PAGE_SHIFT) < ohi)
        return undecided("6.18: a move of several VMAs");
      const std::int64_t e = resize_checks(std::min(old_len, new_len));
      if (e == 1) return undecided("RLIMIT_MEMLOCK");
      if (e < 0) return with(fail(static_cast<int>(-e), "the checks on the old VMA"));
    }
    if (!unmap_range(dlo, dlo + npages)) return with(fail(EINVAL, "unmapping the destination cuts an unsplittable mapping"));
    std::uint64_t olen = old_len;
    if (old_len > new_len) {
      if (!unmap_range(lo + npages, ohi)) return with(fail(EINVAL, "unmapping the tail cuts an unsplittable mapping"));
      olen = new_len;
    }
    if (!v618(cfg_)) {
      const std::int64_t e = resize_checks(olen);
      if (e == 1) return undecided("RLIMIT_MEMLOCK");
      if (e < 0) return with(fail(static_cast<int>(-e), "the checks on the old VMA (destination already unmapped)"));
    }
    const std::int64_t a = fixed_checks(new_addr, new_len);
    if (a < 0) return with(fail(static_cast<int>(-a), "address checks of get_unmapped_area"));
    move_pages(lo, olen >> PAGE_SHIFT, npages, dlo);
    return done(new_addr, "moved to the fixed address");
  }

  if (maple(cfg_) && !mapped) return fail(EFAULT, "6.1+: no mapping at the old address");
  if (new_len <= old_len) {
    if (new_len == old_len) return done(addr, "same length");
    // 5.15 shrinks without looking the VMA up: the tail is unmapped as munmap would.
    if (!unmap_range(lo + npages, ohi)) return with(fail(EINVAL, "unmapping the tail cuts an unsplittable mapping"));
    return done(addr, "shrunk: the tail unmapped");
  }
  // Growth.
  const std::int64_t e = resize_checks(old_len);
  if (e == 1) return undecided("RLIMIT_MEMLOCK");
  if (e < 0) return with(fail(static_cast<int>(-e), "the checks on the old VMA"));
  const PageState s = *at(lo);
  const PageNo vstart = run_at(lo).first, vend = run_at(lo).second;
  const std::uint64_t delta = new_len - old_len;
  const PageNo dp = delta >> PAGE_SHIFT;
  // vma_expandable: the range right after the VMA is free and [vm_start, end + delta) passes
  // get_unmapped_area(MAP_FIXED).
  if (vend == ohi && !any_mapped(ohi, ohi + dp) &&
      fixed_checks(vstart << PAGE_SHIFT, ((ohi + dp) - vstart) << PAGE_SHIFT) >= 0) {
    const PageState last = *at(ohi - 1);
    for (PageNo i = 0; i < dp; ++i) {
      PageState n = last;
      n.written = false;
      n.index = last.index + 1 + i;
      pages_[ohi + i] = n;
    }
    if (s.flags & VM_LOCKED) populate(ohi, ohi + dp);
    return done(addr, "grown in place");
  }
  if (!maymove) return with(fail(ENOMEM, "cannot grow in place, no MREMAP_MAYMOVE"));
  if (v618(cfg_) && cfg_.thp && s.backing == Backing::anon && new_len % PMD_SIZE == 0)
    return undecided("THP-aligned placement");
  const std::int64_t a = place(0, new_len, (s.flags & VM_MAYSHARE) ? MAP_SHARED : 0);
  if (a < 0) return with(fail(static_cast<int>(-a), "no free range for the move"));
  const std::int64_t c = fixed_checks(static_cast<Addr>(a), new_len);
  if (c < 0) return with(fail(static_cast<int>(-c), "address checks of get_unmapped_area"));
  move_pages(lo, old_len >> PAGE_SHIFT, npages, static_cast<Addr>(a) >> PAGE_SHIFT);
  return done(static_cast<Addr>(a), "moved");
}

// ---------------------------------------------------------------------------------------------
// brk (kernel-semantics 9): the new break, or the old one on any failure.

Outcome PageOracle::brk(Addr b) {
  const Addr orig = brk_;
  auto refuse = [&](const char* why) { return ret(static_cast<std::int64_t>(orig), why); };
  if (b < start_brk_) return refuse("below start_brk");
  if (!cfg_.limits_unreached) return undecided("limits may be reached");
  const Addr newbrk = page_up(b), oldbrk = page_up(brk_);
  if (newbrk == oldbrk) {
    brk_ = b;
    return ret(static_cast<std::int64_t>(b), "same page");
  }
  const PageNo nlo = newbrk >> PAGE_SHIFT, olo = oldbrk >> PAGE_SHIFT;
  if (b <= brk_) {
    if (maple(cfg_) && !any_mapped(nlo, olo)) return refuse("6.1+: nothing mapped in the range given back");
    if (cuts_unsplittable(nlo, olo)) return refuse("munmap of the range given back fails");
    unmap(nlo, olo);
    brk_ = b;
    return ret(static_cast<std::int64_t>(b), "shrunk");
  }
  const std::uint64_t len = newbrk - oldbrk;
  if (len > cfg_.task_size || fixed_checks(oldbrk, len) < 0) return refuse("beyond the address space");
  if ((cfg_.def_flags & VM_LOCKED) && !cfg_.cap_ipc_lock) return undecided("RLIMIT_MEMLOCK for def_flags");
  auto next = pages_.lower_bound(olo);
  if (next != pages_.end() && newbrk + P > start_gap(next->first))
    return refuse("no free page between the new break and the next mapping");
  VmFlags vm = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT | cfg_.def_flags;
  if (cfg_.soft_dirty) vm |= VM_SOFTDIRTY;
  for (PageNo p = olo; p < nlo; ++p) {
    PageState s;
    s.flags = vm;
    s.index = p;
    pages_[p] = s;
  }
  if (vm & VM_LOCKED) populate(olo, nlo);
  brk_ = b;
  return ret(static_cast<std::int64_t>(b), "grown");
}

// ---------------------------------------------------------------------------------------------
// A memory access (kernel-semantics 16).

Outcome PageOracle::touch(Addr addr, AccessKind access) {
  auto outcome = [](FaultOutcome o, const char* why) { return ret(static_cast<std::int64_t>(o), why); };
  if (addr >= cfg_.task_size) return outcome(FaultOutcome::segv_maperr, "above TASK_SIZE");
  const PageNo p = addr >> PAGE_SHIFT;
  if (!at(p)) {
    // 16.1: the first mapping above must be VM_GROWSDOWN and able to grow down to the page.
    auto above = pages_.upper_bound(p);
    if (above == pages_.end()) return outcome(FaultOutcome::segv_maperr, "nothing mapped at or above");
    const PageNo q = above->first;
    const PageState top = above->second;
    if (!(top.flags & VM_GROWSDOWN)) return outcome(FaultOutcome::segv_maperr, "in a hole");
    const Addr a = p << PAGE_SHIFT;
    if (a < cfg_.mmap_min_addr) return outcome(FaultOutcome::segv_maperr, "stack growth below mmap_min_addr");
    auto below = pages_.lower_bound(p);
    if (below != pages_.begin()) {
      const auto& [r, rs] = *std::prev(below);
      if (!(rs.flags & VM_GROWSDOWN) && accessible(rs.flags) &&
          a - ((r + 1) << PAGE_SHIFT) < cfg_.stack_guard_gap)
        return outcome(FaultOutcome::segv_maperr, "stack growth into the guard gap of the mapping below");
    }
    const std::uint64_t grow = q - p;
    if (grow > top.index) return outcome(FaultOutcome::segv_maperr, "vm_pgoff would go negative");
    if (!cfg_.limits_unreached) return undecided("limits may be reached");
    // RLIMIT_STACK bounds the whole VMA: between 1 page and the run of identical pages.
    std::uint64_t run = 0;
    for (auto it = above; it != pages_.end() && it->first == q + run && it->second.same_mapping(
             PageState{top.flags, top.backing, top.object, top.index + run}); ++it)
      ++run;
    if (((run + grow) << PAGE_SHIFT) > cfg_.rlimit_stack) {
      if (((1 + grow) << PAGE_SHIFT) > cfg_.rlimit_stack) return outcome(FaultOutcome::segv_maperr, "beyond RLIMIT_STACK");
      return undecided("RLIMIT_STACK depends on the VMA's size");
    }
    if ((top.flags & VM_LOCKED) && !cfg_.cap_ipc_lock) return undecided("RLIMIT_MEMLOCK on stack growth");
    for (PageNo i = p; i < q; ++i) {
      PageState s = top;
      s.index = top.index - (q - i);
      s.written = true;  // expand_downwards prepares the anon_vma
      pages_[i] = s;
    }
    pages_[q].written = true;
  }
  PageState& s = pages_[p];
  // arch/x86/mm/fault.c access_error: a fetch is a read until the page is present; without
  // VM_EXEC it then faults on NX (after any SIGBUS of bringing the page in).
  const bool denied = access == AccessKind::write ? !(s.flags & VM_WRITE) : !accessible(s.flags);
  if (denied) return outcome(FaultOutcome::segv_accerr, "access not allowed");
  if (s.flags & VM_HUGETLB) return outcome(FaultOutcome::sigbus, "no huge page");
  if (s.backing == Backing::file || s.backing == Backing::shmem) {
    std::uint64_t npages = 0;
    if (s.backing == Backing::file) {
      auto it = files_.find(static_cast<FileId>(s.object));
      if (it == files_.end()) return undecided("unknown file");
      npages = page_up(it->second.size) >> PAGE_SHIFT;
    } else {
      auto it = shmem_.find(s.object);
      if (it == shmem_.end()) return undecided("unknown shmem object");
      npages = it->second;
    }
    if (s.index >= npages) return outcome(FaultOutcome::sigbus, "beyond the end of the file");
  }
  if (access == AccessKind::exec && !(s.flags & VM_EXEC)) return outcome(FaultOutcome::segv_accerr, "fetch without VM_EXEC (NX)");
  if (access == AccessKind::write && !(s.flags & VM_SHARED) && s.backing != Backing::special) s.written = true;
  return outcome(FaultOutcome::ok, "ok");
}

// ---------------------------------------------------------------------------------------------
// The abstraction function and the comparison.

PageMap abstraction(const Mm& mm) {
  PageMap out;
  for (const Vma& v : mm.vmas) {
    PageState s;
    s.flags = v.vm_flags;
    switch (v.kind) {
      case VmaKind::anonymous: s.backing = Backing::anon; break;
      case VmaKind::file: s.backing = Backing::file; s.object = v.vm_file; break;
      case VmaKind::shmem: s.backing = Backing::shmem; s.object = v.vm_file; break;
      case VmaKind::special: s.backing = Backing::special; s.object = static_cast<std::uint64_t>(v.special); break;
    }
    s.anon_vma = v.anon_vma != 0;
    const PageNo lo = v.vm_start >> PAGE_SHIFT, hi = v.vm_end >> PAGE_SHIFT;
    auto hint = out.end();
    for (PageNo p = lo; p < hi; ++p) {
      s.index = v.vm_pgoff + (p - lo);
      hint = out.emplace_hint(hint, p, s);
    }
  }
  return out;
}

bool assumption_holds(const Mm& mm, const Outcome& out) {
  if (!out.assumed_vma_hi) return true;
  const Vma* v = mm.vmas.find_vma(out.assumed_vma_lo);
  if (!v || v->vm_start != out.assumed_vma_lo) return false;
  return out.assumed_vma_exact ? v->vm_end == out.assumed_vma_hi : v->vm_end >= out.assumed_vma_hi;
}

std::string describe(const PageState& s) {
  char perms[5] = {(s.flags & VM_READ) ? 'r' : '-', (s.flags & VM_WRITE) ? 'w' : '-',
                   (s.flags & VM_EXEC) ? 'x' : '-', (s.flags & VM_MAYSHARE) ? 's' : 'p', 0};
  const char* what = s.backing == Backing::anon    ? "anon"
                     : s.backing == Backing::shmem ? "shmem"
                     : s.backing == Backing::file  ? "file"
                                                   : "special";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %s#%llu idx 0x%llx {", perms, what,
                static_cast<unsigned long long>(s.object), static_cast<unsigned long long>(s.index));
  return std::string(buf) + vm_flags_mnemonics(s.flags) + "}";
}

namespace {

// Whether two pages hold the same mapping; shmem objects through the bijection, which grows
// when both sides meet an object for the first time.
bool same_page(const PageState& o, const PageState& m, ObjectMatch& ids) {
  if (o.flags != m.flags || o.backing != m.backing || o.index != m.index) return false;
  if (o.backing != Backing::shmem) return o.object == m.object;
  auto a = ids.oracle_to_model.find(o.object);
  auto b = ids.model_to_oracle.find(m.object);
  if (a == ids.oracle_to_model.end() && b == ids.model_to_oracle.end()) {
    ids.oracle_to_model[o.object] = m.object;
    ids.model_to_oracle[m.object] = o.object;
    return true;
  }
  return a != ids.oracle_to_model.end() && a->second == m.object;
}

std::string side(const PageState* s) { return s ? describe(*s) : std::string("unmapped"); }

}  // namespace

std::vector<std::string> compare(const PageMap& oracle, const PageMap& model, ObjectMatch& ids,
                                 std::size_t limit) {
  std::vector<std::string> out;
  // A run of consecutive differing pages is reported once, by its first page.
  PageNo last_bad = 0;
  bool have_bad = false;
  auto a = oracle.begin(), b = model.begin();
  while (a != oracle.end() || b != model.end()) {
    PageNo p;
    const PageState *o = nullptr, *m = nullptr;
    if (b == model.end() || (a != oracle.end() && a->first < b->first)) {
      p = a->first, o = &a->second, ++a;
    } else if (a == oracle.end() || b->first < a->first) {
      p = b->first, m = &b->second, ++b;
    } else {
      p = a->first, o = &a->second, m = &b->second, ++a, ++b;
    }
    if (o && m && same_page(*o, *m, ids)) continue;
    const bool continues = have_bad && p == last_bad + 1;
    have_bad = true;
    last_bad = p;
    if (continues || out.size() >= limit) continue;
    char buf[48];
    std::snprintf(buf, sizeof buf, "page 0x%llx: ", static_cast<unsigned long long>(p << PAGE_SHIFT));
    out.push_back(buf + ("oracle " + side(o) + ", model " + side(m)));
  }
  return out;
}

std::vector<std::string> check_written(const PageMap& oracle, const PageMap& model, std::size_t limit) {
  std::vector<std::string> out;
  for (const auto& [p, s] : oracle) {
    if (!s.written) continue;
    auto it = model.find(p);
    if (it == model.end() || it->second.anon_vma) continue;
    if (out.size() >= limit) break;
    char buf[128];
    std::snprintf(buf, sizeof buf, "page 0x%llx was written but its VMA has no anon_vma",
                  static_cast<unsigned long long>(p << PAGE_SHIFT));
    out.push_back(buf);
  }
  return out;
}

void adopt_observed(PageMap& oracle, const PageMap& model) {
  auto b = model.begin();
  for (auto& [p, s] : oracle) {
    while (b != model.end() && b->first < p) ++b;
    if (b != model.end() && b->first == p) s.anon_vma = b->second.anon_vma;
  }
}

}  // namespace mmspec::oracle
