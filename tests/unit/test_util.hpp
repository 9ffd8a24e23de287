// Shared helpers for the model's unit tests (merge cases, mmap, mprotect, munmap, brk, layout,
// faults).
//
//   make_process(profile)   default_process(): [vvar] [vvar_vclock] [vdso] just below mmap_base,
//                           [stack] at the top of the 47-bit window; 4 VMAs, nothing near W
//   make_empty(profile)     an Mm with no VMA at all (for placement and layout tests)
//   checked_mmap/munmap/mprotect/brk/touch
//                           run one model step, then require validate_mm(mm) to be empty (the
//                           failure names the step, the caller's line and the maps)
//   EXPECT_MM_VALID(mm)     the same check, on its own
//   vmas_in(mm, lo, hi, {...})
//                           the VMAs lying inside [lo, hi) are exactly the expected ones
//                           (start, end, vm_pgoff, vm_flags ignoring VM_SOFTDIRTY)
//   merge_cases(events)     which vma_merge cases the model narrated
//   dump(mm)                maps lines with pgoff, smaps VmFlags and anon_vma, and the counters
//
// Every expected value in the tests comes from shared/kernel-semantics.md (cited by
// section), never from the model's own output.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <source_location>
#include <string>
#include <vector>

#include "mmspec/events.hpp"
#include "mmspec/layout.hpp"
#include "mmspec/mm.hpp"
#include "mmspec/model_runner.hpp"
#include "mmspec/procfs.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/validate_mm.hpp"
#include "mmspec/vm_flags.hpp"

namespace mmspec::test {

inline constexpr Addr P = PAGE_SIZE;
// The fixed-address window (DESIGN.md "The live side"): far from the default image's VMAs.
inline constexpr Addr W = 0x7e0000000000;
// default_process() without randomisation and with an 8 MiB stack (kernel-semantics.md 2.3/2.4).
inline constexpr Addr MMAP_BASE_8M = 0x7ffff7fff000;
inline constexpr Addr VVAR_START = MMAP_BASE_8M - 8 * P;  // [vvar] 4 + [vvar_vclock] 2 + [vdso] 2
inline constexpr Addr VDSO_START = MMAP_BASE_8M - 2 * P;
inline constexpr Addr STACK_START = 0x7ffffffde000;  // 33 pages below STACK_TOP (2.4)
inline constexpr Addr STACK_END = 0x7ffffffff000;
inline constexpr std::uint64_t DEFAULT_MAP_COUNT = 4;  // vvar, vvar_vclock, vdso, stack

inline constexpr std::uint64_t PRIV_ANON = MAP_PRIVATE | MAP_ANONYMOUS;
inline constexpr std::uint64_t FIXED_ANON = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
inline constexpr std::uint64_t RW = PROT_READ | PROT_WRITE;

// vm_flags of ordinary mappings (kernel-semantics.md 1.2, 6.1 and 6.3): every mmap gets the
// three VM_MAY* bits; a private writable mapping without MAP_NORESERVE is accountable and
// carries VM_ACCOUNT.
inline constexpr VmFlags MAYS = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
inline constexpr VmFlags F_RW = VM_READ | VM_WRITE | MAYS | VM_ACCOUNT;
inline constexpr VmFlags F_R = VM_READ | MAYS;
inline constexpr VmFlags F_RX = VM_READ | VM_EXEC | MAYS;
inline constexpr VmFlags F_NONE = MAYS;

inline MmConfig config(Profile p) {
  MmConfig c;
  c.profile = p;
  return c;
}

inline Mm make_process(Profile p) { return conformance::default_process(config(p)); }
inline Mm make_process(const MmConfig& c) { return conformance::default_process(c); }
inline Mm make_empty(Profile p) { return Mm(config(p)); }

// Pages charged by the operations of a test: World::committed less the charge of the image's
// own VM_ACCOUNT VMAs (the default image's [stack], 33 pages; an empty Mm has none).
inline std::uint64_t image_charge(const Mm& mm) {
  std::uint64_t n = 0;
  for (const Vma& v : mm.vmas)
    if ((v.vm_flags & VM_ACCOUNT) && v.vm_start >= STACK_START && v.vm_end <= STACK_END) n += v.npages();
  return n;
}
inline std::uint64_t charged(const Mm& mm) { return mm.world->committed - image_charge(mm); }
inline Mm make_empty(const MmConfig& c) { return Mm(c); }

inline std::string profile_str(Profile p) { return std::string(profile_name(p)); }

// Maps lines plus what maps does not print: vm_pgoff of anonymous VMAs, the smaps VmFlags,
// the anon_vma identity and chain length; then the counters.
inline std::string dump(const Mm& mm) {
  std::string s = "--- " + profile_str(mm.profile()) + " maps (map_count " +
                  std::to_string(mm.map_count) + ") ---\n";
  auto entries = proc_maps(mm);
  std::size_t i = 0;
  for (const Vma& v : mm.vmas) {
    s += i < entries.size() ? entries[i].line() : std::string("?");
    s += "\n      pgoff " + hex(v.vm_pgoff) + " [" + vm_flags_mnemonics(v.vm_flags) + "]";
    if (v.anon_vma) s += " anon_vma #" + std::to_string(v.anon_vma) + "/" + std::to_string(v.anon_vma_chain);
    s += '\n';
    ++i;
  }
  s += "total_vm " + std::to_string(mm.total_vm) + " data_vm " + std::to_string(mm.data_vm) +
       " exec_vm " + std::to_string(mm.exec_vm) + " stack_vm " + std::to_string(mm.stack_vm) +
       " locked_vm " + std::to_string(mm.locked_vm) + " brk " + hex(mm.brk) + " start_brk " +
       hex(mm.start_brk) + " committed " + std::to_string(mm.world->committed) + "\n";
  return s;
}

inline std::string violations(const Mm& mm) {
  std::string s;
  for (const Violation& v : validate_mm(mm)) s += "  " + v.what + "\n";
  return s;
}

inline void check_valid(const Mm& mm, const std::string& after, const std::source_location& loc) {
  const std::string v = violations(mm);
  if (!v.empty())
    ADD_FAILURE_AT(loc.file_name(), static_cast<int>(loc.line()))
        << "validate_mm after " << after << ":\n" << v << dump(mm);
}

#define EXPECT_MM_VALID(mm)                                                                  \
  do {                                                                                       \
    const std::string mmspec_v_ = ::mmspec::test::violations(mm);                            \
    EXPECT_TRUE(mmspec_v_.empty()) << "validate_mm:\n" << mmspec_v_ << ::mmspec::test::dump(mm); \
  } while (0)

// ---- one step each, followed by validate_mm ----

inline SysRet checked_mmap(Mm& mm, Addr addr, std::uint64_t len, std::uint64_t prot,
                           std::uint64_t flags, std::int64_t fd = -1, std::uint64_t off = 0,
                           std::source_location loc = std::source_location::current()) {
  const SysRet r = sys_mmap(mm, addr, len, prot, flags, fd, off);
  check_valid(mm, "mmap(" + hex(addr) + ", " + hex(len) + ") = " + std::to_string(r), loc);
  return r;
}

inline SysRet checked_munmap(Mm& mm, Addr addr, std::uint64_t len,
                             std::source_location loc = std::source_location::current()) {
  const SysRet r = sys_munmap(mm, addr, len);
  check_valid(mm, "munmap(" + hex(addr) + ", " + hex(len) + ") = " + std::to_string(r), loc);
  return r;
}

inline SysRet checked_mprotect(Mm& mm, Addr addr, std::uint64_t len, std::uint64_t prot,
                               std::source_location loc = std::source_location::current()) {
  const SysRet r = sys_mprotect(mm, addr, len, prot);
  check_valid(mm, "mprotect(" + hex(addr) + ", " + hex(len) + ") = " + std::to_string(r), loc);
  return r;
}

inline SysRet checked_brk(Mm& mm, Addr brk,
                          std::source_location loc = std::source_location::current()) {
  const SysRet r = sys_brk(mm, brk);
  check_valid(mm, "brk(" + hex(brk) + ") = " + hex(static_cast<Addr>(r)), loc);
  return r;
}

inline FaultOutcome checked_touch(Mm& mm, Addr addr, AccessKind a,
                                  std::source_location loc = std::source_location::current()) {
  const FaultOutcome r = touch(mm, addr, a);
  check_valid(mm, "touch(" + hex(addr) + ")", loc);
  return r;
}

// ---- expectations on VMAs ----

struct VmaSpec {
  Addr start, end;
  PgOff pgoff;
  VmFlags flags;  // compared with VM_SOFTDIRTY masked out (it never decides a merge, 4.1)
};

inline std::string spec_str(const VmaSpec& s) {
  return "[" + hex(s.start) + "-" + hex(s.end) + " pgoff " + hex(s.pgoff) + " {" +
         vm_flags_mnemonics(s.flags) + "}]";
}

// The VMAs lying entirely inside [lo, hi) are exactly `want`, in address order.
inline ::testing::AssertionResult vmas_in(const Mm& mm, Addr lo, Addr hi,
                                          std::initializer_list<VmaSpec> want) {
  std::vector<const Vma*> have;
  for (const Vma& v : mm.vmas)
    if (v.vm_start >= lo && v.vm_end <= hi) have.push_back(&v);
  std::string why;
  if (have.size() != want.size()) {
    why = "expected " + std::to_string(want.size()) + " VMAs in [" + hex(lo) + ", " + hex(hi) +
          "), found " + std::to_string(have.size());
  } else {
    std::size_t i = 0;
    for (const VmaSpec& w : want) {
      const Vma& v = *have[i++];
      if (v.vm_start != w.start || v.vm_end != w.end || v.vm_pgoff != w.pgoff ||
          ((v.vm_flags ^ w.flags) & ~VM_SOFTDIRTY)) {
        why = "VMA " + std::to_string(i - 1) + ": expected " + spec_str(w) + ", found " +
              vma_str(v) + " {" + vm_flags_mnemonics(v.vm_flags & ~VM_SOFTDIRTY) + "}";
        break;
      }
    }
  }
  if (why.empty()) return ::testing::AssertionSuccess();
  std::string exp;
  for (const VmaSpec& w : want) exp += "  " + spec_str(w) + "\n";
  return ::testing::AssertionFailure() << why << "\nexpected:\n" << exp << dump(mm);
}

// The VMA containing `a` (nullptr if none).
inline const Vma* vma_at(const Mm& mm, Addr a) {
  const Vma* v = mm.vmas.find_vma(a);
  return v && v->vm_start <= a ? v : nullptr;
}

// ---- narration ----

inline std::vector<int> merge_cases(const std::vector<Event>& ev) {
  std::vector<int> out;
  for (const Event& e : ev)
    if (e.kind == EventKind::merge) out.push_back(e.merge_case);
  return out;
}

inline bool has_kind(const std::vector<Event>& ev, EventKind k) {
  for (const Event& e : ev)
    if (e.kind == k) return true;
  return false;
}

inline std::string events_str(const std::vector<Event>& ev) {
  std::string s;
  for (const Event& e : ev)
    s += "  [" + std::string(event_kind_name(e.kind)) + (e.merge_case ? " " + std::to_string(e.merge_case) : "") +
         "] " + e.text + "\n";
  return s;
}

// The step narrated exactly one merge, and it was case `n`.
inline ::testing::AssertionResult narrated_case(const std::vector<Event>& ev, int n) {
  const std::vector<int> c = merge_cases(ev);
  if (c.size() == 1 && c[0] == n) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected one merge event with merge_case " << n
                                       << ", narration was:\n" << events_str(ev);
}

inline ::testing::AssertionResult narrated_no_merge(const std::vector<Event>& ev) {
  if (merge_cases(ev).empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected no merge, narration was:\n" << events_str(ev);
}

// A file of `size` bytes, opened with the given access (World::create_inode / open); the
// returned FileId is what sys_mmap takes as fd.
inline FileId make_file(Mm& mm, std::uint64_t size, bool readable = true, bool writable = true,
                        const std::string& path = "/tmp/mmspec-unit-file") {
  const InodeId ino = mm.world->create_inode(size, path, false);
  mm.world->inodes[ino - 1].dev_major = 8;
  mm.world->inodes[ino - 1].dev_minor = 1;
  return mm.world->open(ino, readable, writable);
}

inline std::string maps_name_at(const Mm& mm, Addr a) {
  for (const ProcMapsEntry& e : proc_maps(mm))
    if (e.start <= a && a < e.end) return e.name;
  return "<unmapped>";
}

}  // namespace mmspec::test
