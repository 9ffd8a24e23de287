// libFuzzer target: bytes -> a sequence of mm operations on the model (both profiles).
//
// The bytes choose, through FuzzedDataProvider, a profile, an optional `heap` set-up and up to
// kMaxOps operations: mmap in every mode (private/shared/shared-validate/droppable, anonymous
// or file-backed, with and without hints, MAP_FIXED and MAP_FIXED_NOREPLACE over existing VMAs
// in a 64-page window, the rarer flags), munmap, mprotect, mlock (with and without MLOCK_ONFAULT),
// munlock, mlockall, munlockall, madvise, brk, touch read/write/exec, rlimit.
// Addresses are biased to page boundaries of the window, with a few unaligned, hint-less,
// binding-relative (H, the last hint-less mmap) and extreme ones.
//
// Every operation is written, as it is generated, as a line of a .mmt trace
// (docs/trace-format.md), then executed directly on an Mm. After every step:
//   * validate_mm(mm) is empty;
//   * the result is consistent with the address space afterwards: a successful mmap covers
//     its whole range (at the requested address for MAP_FIXED), a successful munmap leaves no
//     VMA in its range, a successful mprotect leaves the range covered with exactly the
//     requested rwx bits, a successful mlock / munlock leaves the range covered and every VMA
//     in it that is not VM_SPECIAL locked / unlocked, brk returns mm.brk, a touch that faults
//     SEGV_MAPERR hits no VMA and any other outcome hits one.
// At the end the trace text is parsed and replayed through run_model (what `mmspec run`
// does): it must parse, and give the same result for every line and the same final maps, so a
// reported trace reproduces what the fuzzer saw.
//
// On a failed check the target prints what failed and the trace, writes the trace to
// $MMSPEC_FUZZ_ARTIFACTS/ops-<hash>.mmt (default: the current directory) and aborts; libFuzzer
// then saves the input as crash-<sha1>. With MMSPEC_FUZZ_TRACE=FILE set, the trace so far is
// written to FILE before every operation (use it when re-running a crash input that kills
// the process inside the model, e.g. an ASan report); MMSPEC_FUZZ_PRINT_TRACE=1 prints the
// trace of every input run (turns corpus entries into .mmt files).
#include <fuzzer/FuzzedDataProvider.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "mmspec/model_runner.hpp"
#include "mmspec/procfs.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/trace.hpp"
#include "mmspec/validate_mm.hpp"

extern "C" const char* __asan_default_options() { return "detect_leaks=1"; }
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

namespace {

using namespace mmspec;
using trace::OpResult;

constexpr Addr kWindow = 0x7e0000000000;
constexpr Addr kWindowPages = 64;
constexpr int kMaxOps = 96;

// The trace's files, declared in this order (run_model sets them up the same way).
struct FileSpec {
  const char* decl;  // the trace line
  const char* name;
  std::uint64_t size;
  int inode_of;  // index of the file whose inode is reopened, or -1
  bool readable, writable;
};
constexpr FileSpec kFiles[] = {
    {"file f1 16K", "f1", 16 * 1024, -1, true, true},
    {"file f2 8K ro", "f2", 8 * 1024, -1, true, false},
    {"open g1 f1", "g1", 16 * 1024, 0, true, true},
};
constexpr int kNumFiles = sizeof kFiles / sizeof kFiles[0];

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// An argument: its value and how the trace writes it.
struct Arg {
  std::uint64_t value = 0;
  std::string text;
};

Arg absolute(std::uint64_t v) { return {v, v == 0 ? std::string("0") : hex(v)}; }
Arg window_rel(std::int64_t off) {
  const std::uint64_t v = kWindow + static_cast<std::uint64_t>(off);
  if (off < 0) return {v, "-" + hex(static_cast<std::uint64_t>(-off))};
  return {v, "+" + hex(static_cast<std::uint64_t>(off))};
}
Arg size_arg(std::uint64_t v) {
  if (v != 0 && v % 1024 == 0 && v / 1024 < 100000) return {v, std::to_string(v / 1024) + "K"};
  return absolute(v);
}

std::string rwx(std::uint64_t prot) {
  std::string s;
  s += (prot & PROT_READ) ? 'r' : '-';
  s += (prot & PROT_WRITE) ? 'w' : '-';
  s += (prot & PROT_EXEC) ? 'x' : '-';
  return s;
}

std::uint64_t fnv1a(const std::uint8_t* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  return h;
}

class Run {
 public:
  Run(const std::uint8_t* data, std::size_t size) : data_(data), size_(size), fdp_(data, size) {}

  void go() {
    const Profile profile =
        all_profiles[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(all_profiles) - 1)];
    MmConfig cfg;
    cfg.profile = profile;
    mm_ = conformance::default_process(cfg);
    text_ = "# ops_fuzzer input, replay with: mmspec run FILE\n";
    text_ += "profile " + std::string(profile_name(profile)) + "\n";
    text_ += "window " + hex(kWindow) + " " + std::to_string(kWindowPages * 4) + "K\n";
    for (const FileSpec& f : kFiles) {
      text_ += f.decl;
      text_ += '\n';
      InodeId ino;
      if (f.inode_of >= 0) {
        ino = mm_.world->file(fds_[f.inode_of])->inode;
      } else {
        ino = mm_.world->create_inode(f.size, trace::trace_file_path(f.name), true);
        mm_.world->inodes[ino - 1].dev_minor = 1;
      }
      fds_.push_back(mm_.world->open(ino, f.readable, f.writable));
    }
    trace_file_ = std::getenv("MMSPEC_FUZZ_TRACE");

    // Set-up: a heap in the window (as a scenario's `heap` line), usually page aligned.
    const std::uint8_t h = fdp_.ConsumeIntegral<std::uint8_t>();
    if (h < 200) {
      std::int64_t off = static_cast<std::int64_t>(fdp_.ConsumeIntegralInRange<Addr>(0, 63)) * 4096;
      if (h >= 180) off += fdp_.ConsumeIntegralInRange<std::int64_t>(1, 4095);
      const Arg a = window_rel(off);
      begin_line("heap " + a.text);
      mm_.start_brk = mm_.brk = a.value;
      end_line(OpResult{});
      heap_ = a.value;
    }

    for (int i = 0; i < kMaxOps && fdp_.remaining_bytes() > 0; ++i) step();
    replay();
    if (std::getenv("MMSPEC_FUZZ_PRINT_TRACE")) std::fputs(text_.c_str(), stdout);
  }

 private:
  // ---- argument generators ----

  Arg address(bool allow_zero) {
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    if (k < 150) return window_rel(fdp_.ConsumeIntegralInRange<std::int64_t>(0, kWindowPages) * 4096);
    if (k < 170) {
      const std::int64_t page = fdp_.ConsumeIntegralInRange<std::int64_t>(0, kWindowPages - 1);
      return window_rel(page * 4096 + fdp_.ConsumeIntegralInRange<std::int64_t>(1, 4095));
    }
    if (k < 210 && have_h_) {
      const std::int64_t page = fdp_.ConsumeIntegralInRange<std::int64_t>(-2, 10);
      const std::uint64_t v = h_ + static_cast<std::uint64_t>(page * 4096);
      if (page == 0) return {v, "H"};
      if (page < 0) return {v, "H-" + hex(static_cast<std::uint64_t>(-page) * 4096)};
      return {v, "H+" + hex(static_cast<std::uint64_t>(page) * 4096)};
    }
    if (k < 225 && allow_zero) return absolute(0);
    if (k < 235) return window_rel(-fdp_.ConsumeIntegralInRange<std::int64_t>(1, 4) * 4096);
    static constexpr std::uint64_t kOdd[] = {
        0,          4096,      0xf000,     0x10000,           0x7fffffffe000,
        0x7ffffffff000, 0x800000000000, 0xfffffffffffff000ull, 0x8000000000000000ull,
        0x40000000, 0xffffffffffffffffull};
    return absolute(kOdd[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kOdd) - 1)]);
  }

  Arg length() {
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    if (k < 170) return size_arg(fdp_.ConsumeIntegralInRange<std::uint64_t>(1, 8) * 4096);
    if (k < 200) return size_arg(fdp_.ConsumeIntegralInRange<std::uint64_t>(9, kWindowPages) * 4096);
    if (k < 212) return absolute(0);
    if (k < 230) {
      const std::uint64_t pages = fdp_.ConsumeIntegralInRange<std::uint64_t>(0, 8);
      return absolute(pages * 4096 + fdp_.ConsumeIntegralInRange<std::uint64_t>(1, 4095));
    }
    if (k < 242) return size_arg(fdp_.ConsumeIntegralInRange<std::uint64_t>(1, 2) << 21);
    static constexpr std::uint64_t kHuge[] = {
        std::uint64_t{1} << 47, std::uint64_t{1} << 63, 0xffffffffffffffffull,
        0xfffffffffffff000ull, 0xffffffffffffffffull - kWindow + 1};
    return absolute(kHuge[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kHuge) - 1)]);
  }

  std::uint64_t protection(bool for_mprotect) {
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    if (k < 236) return k & 7;
    static constexpr std::uint64_t kRaw[] = {
        PROT_SEM | PROT_READ | PROT_WRITE, 0x10, PROT_GROWSDOWN | PROT_READ | PROT_WRITE,
        PROT_GROWSUP | PROT_READ, PROT_GROWSDOWN | PROT_GROWSUP | PROT_READ, 0x80000000u};
    (void)for_mprotect;
    return kRaw[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kRaw) - 1)];
  }

  // ---- the trace text ----

  void begin_line(const std::string& line) {
    cur_line_ = 1;
    for (char c : text_) cur_line_ += c == '\n';
    text_ += line;
    if (trace_file_) {
      if (FILE* f = std::fopen(trace_file_, "w")) {
        std::fputs(text_.c_str(), f);
        std::fputs("\n", f);
        std::fclose(f);
      }
    }
  }

  void end_line(const OpResult& r) {
    if (r.kind != OpResult::Kind::none) text_ += "  # model: " + show(r);
    text_ += '\n';
    results_.push_back(r);
  }

  static std::string show(const OpResult& r) {
    if (r.kind == OpResult::Kind::value && r.value >= kWindow - 16 * 4096 &&
        r.value <= kWindow + kWindowPages * 4096) {
      const std::int64_t off = static_cast<std::int64_t>(r.value - kWindow);
      return off < 0 ? "-" + hex(static_cast<std::uint64_t>(-off)) : "+" + hex(r.value - kWindow);
    }
    return trace::format_result(r);
  }

  static OpResult value_or_error(SysRet r) {
    OpResult res;
    if (is_err(r)) {
      res.kind = OpResult::Kind::error;
      res.errnum = static_cast<int>(-r);
    } else {
      res.kind = OpResult::Kind::value;
      res.value = static_cast<std::uint64_t>(r);
    }
    return res;
  }

  // ---- operations ----

  void step() {
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    if (k < 90) do_mmap();
    else if (k < 128) do_munmap();
    else if (k < 160) do_mprotect();
    else if (k < 170) do_mlock();
    else if (k < 180) do_madvise();
    else if (k < 205) do_brk();
    else if (k < 248) do_touch();
    else do_rlimit();
    check_invariants();
  }

  void do_mmap() {
    std::uint64_t flags = 0;
    std::string words;
    auto word = [&](const char* w, std::uint64_t bits) {
      words += ' ';
      words += w;
      flags |= bits;
    };
    const std::uint8_t t = fdp_.ConsumeIntegral<std::uint8_t>();
    if (t < 120) word("private", MAP_PRIVATE);
    else if (t < 190) word("shared", MAP_SHARED);
    else if (t < 210) word("shared-validate", MAP_SHARED_VALIDATE);
    else if (t < 225) word("droppable", MAP_DROPPABLE);
    else if (t < 240) {
      // no MAP_TYPE at all: EINVAL
    } else word("flags=0x4", 0x4);

    const std::uint8_t backing = fdp_.ConsumeIntegral<std::uint8_t>();
    int file = -1;
    bool bad_fd = false;
    if (backing < 160) {
      word("anon", MAP_ANONYMOUS);
      if (backing >= 150) file = fdp_.ConsumeIntegralInRange<int>(0, kNumFiles - 1);  // ignored fd
    } else if (backing < 245) {
      file = fdp_.ConsumeIntegralInRange<int>(0, kNumFiles - 1);
    } else if (backing < 250) {
      bad_fd = true;
    }  // else: no MAP_ANONYMOUS and no file at all (fd -1)

    const std::uint8_t fx = fdp_.ConsumeIntegral<std::uint8_t>();
    if (fx < 100) word("fixed", MAP_FIXED);
    else if (fx < 130) word("noreplace", MAP_FIXED_NOREPLACE);
    else if (fx < 136) {
      word("fixed", MAP_FIXED);
      word("noreplace", MAP_FIXED_NOREPLACE);
    }
    const bool fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0;

    // Rarer flags: each input byte below 48 adds one.
    struct Extra {
      const char* w;
      std::uint64_t bits;
    };
    static constexpr Extra kExtras[] = {
        {"growsdown", MAP_GROWSDOWN}, {"stack", MAP_STACK},       {"noreserve", MAP_NORESERVE},
        {"locked", MAP_LOCKED},       {"populate", MAP_POPULATE}, {"nonblock", MAP_NONBLOCK},
        {"32bit", MAP_32BIT},         {"above4g", MAP_ABOVE4G},   {"hugetlb", MAP_HUGETLB},
        {"sync", MAP_SYNC},           {"flags=0x800", MAP_DENYWRITE},
        {"flags=0x4000000", MAP_UNINITIALIZED}, {"growsdown", MAP_GROWSDOWN},
        {"noreserve", MAP_NORESERVE}, {"populate", MAP_POPULATE}, {"locked", MAP_LOCKED}};
    for (int i = 0; i < 3 && fdp_.ConsumeIntegral<std::uint8_t>() < 48; ++i) {
      const Extra& e = kExtras[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kExtras) - 1)];
      word(e.w, e.bits);
    }

    std::uint64_t offset = 0;
    std::string file_words;
    if (file >= 0) {
      const std::uint64_t page = fdp_.ConsumeIntegralInRange<std::uint64_t>(0, 5);
      offset = page * 4096;
      file_words = std::string(" ") + kFiles[file].name;
      if (page) file_words += "@" + std::to_string(page);
    }
    const std::uint8_t o = fdp_.ConsumeIntegral<std::uint8_t>();
    if (o >= 240) {
      static constexpr std::uint64_t kOffsets[] = {0x123, 0x7ffffffffffff000ull, 0x1000000000,
                                                   0xfffffffffffff000ull, 0x3000};
      offset = kOffsets[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kOffsets) - 1)];
      file_words += " offset=" + absolute(offset).text;
    }
    if (bad_fd) file_words += " badfd";

    Arg addr;
    if (!fixed && fdp_.ConsumeIntegral<std::uint8_t>() < 110) addr = absolute(0);
    else addr = address(true);
    const Arg len = length();
    const std::uint64_t prot = protection(false);
    const std::string prot_text = (prot & ~std::uint64_t{7}) ? hex(prot) : rwx(prot);
    const bool bind = addr.value == 0 && !fixed;

    begin_line(std::string(bind ? "H = " : "") + "mmap " + addr.text + " " + len.text + " " +
               prot_text + words + file_words);
    const std::int64_t fd = (file >= 0 && !bad_fd) ? static_cast<std::int64_t>(fds_[file]) : -1;
    const SysRet r = sys_mmap(mm_, addr.value, len.value, prot, flags, fd, offset);
    const OpResult res = value_or_error(r);
    end_line(res);
    if (bind) {
      h_ = res.raw();
      have_h_ = true;
    }
    if (!is_err(r)) {
      const Addr a = static_cast<Addr>(r);
      if (!page_aligned(a)) fail("mmap returned an unaligned address " + hex(a));
      if ((flags & MAP_FIXED) && a != addr.value)
        fail("MAP_FIXED mmap returned " + hex(a) + ", not the requested " + hex(addr.value));
      if (a + page_align(len.value) > mm_.layout.task_size || a + page_align(len.value) < a)
        fail("mmap returned " + hex(a) + " whose range ends beyond TASK_SIZE");
      else if (const std::string why = uncovered(a, a + page_align(len.value)); !why.empty())
        fail("successful mmap does not cover its range: " + why);
    }
  }

  void do_munmap() {
    const Arg addr = address(false);
    const Arg len = length();
    begin_line("munmap " + addr.text + " " + len.text);
    const SysRet r = sys_munmap(mm_, addr.value, len.value);
    end_line(value_or_error(r));
    if (r == 0) {
      const Addr end = addr.value + page_align(len.value);
      if (end > addr.value) {
        if (const Vma* v = mm_.vmas.find_vma_intersection(addr.value, end))
          fail("successful munmap left a VMA in its range: " + vma_str(*v));
      }
    }
  }

  void do_mprotect() {
    const Arg addr = address(false);
    const Arg len = length();
    std::uint64_t prot = protection(true);
    std::string prot_text;
    if (prot & ~std::uint64_t{7 | PROT_GROWSDOWN | PROT_GROWSUP}) {
      prot_text = hex(prot);
    } else {
      prot_text = rwx(prot);
      if (prot & PROT_GROWSDOWN) prot_text += " growsdown";
      if (prot & PROT_GROWSUP) prot_text += " growsup";
    }
    begin_line("mprotect " + addr.text + " " + len.text + " " + prot_text);
    const SysRet r = sys_mprotect(mm_, addr.value, len.value, prot);
    end_line(value_or_error(r));
    if (r == 0 && !(prot & (PROT_GROWSDOWN | PROT_GROWSUP))) {
      const Addr end = addr.value + page_align(len.value);
      if (end > addr.value) {
        if (const std::string why = uncovered(addr.value, end); !why.empty())
          fail("successful mprotect over a range that is not fully mapped: " + why);
        for (const Vma* v = mm_.vmas.find_vma(addr.value); v && v->vm_start < end;
             v = mm_.vmas.next(v)) {
          if ((v->vm_flags & VM_ACCESS_FLAGS) != (prot & 7))
            fail("after a successful mprotect to " + rwx(prot) + ", " + vma_str(*v) +
                 " has rwx bits " + rwx(v->vm_flags));
        }
      }
    }
  }

  void do_mlock() {
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    const Arg addr = address(false);
    const Arg len = length();
    if (k >= 240) {  // mlockall with any flag bits (EINVAL for the wrong ones), or munlockall
      const std::uint64_t flags = k & 7;
      const bool all = k < 250;
      std::string words;
      if (flags & MCL_CURRENT) words += " current";
      if (flags & MCL_FUTURE) words += " future";
      if (flags & MCL_ONFAULT) words += " onfault";
      begin_line(all ? "mlockall" + words : std::string("munlockall"));
      const SysRet r = all ? sys_mlockall(mm_, flags) : sys_munlockall(mm_);
      end_line(value_or_error(r));
      return;
    }
    const bool lock = k < 170;
    const bool onfault = lock && (k & 1);
    begin_line(std::string(lock ? "mlock " : "munlock ") + addr.text + " " + len.text +
               (onfault ? " onfault" : ""));
    const SysRet r = lock ? sys_mlock2(mm_, addr.value, len.value, onfault ? MLOCK_ONFAULT : 0)
                          : sys_munlock(mm_, addr.value, len.value);
    end_line(value_or_error(r));
    if (r != 0) return;
    const Addr start = addr.value & PAGE_MASK;
    const Addr end = start + page_align(len.value + (addr.value & ~PAGE_MASK));
    if (end <= start) return;  // nothing locked (len 0, or rounded up to 0)
    if (const std::string why = uncovered(start, end); !why.empty())
      fail(std::string("successful ") + (lock ? "mlock" : "munlock") +
           " over a range that is not fully mapped: " + why);
    for (const Vma* v = mm_.vmas.find_vma(start); v && v->vm_start < end; v = mm_.vmas.next(v)) {
      if (v->vm_flags & (VM_SPECIAL | VM_DROPPABLE)) continue;
      if (((v->vm_flags & VM_LOCKED) != 0) != lock)
        fail(std::string("after a successful ") + (lock ? "mlock, " : "munlock, ") + vma_str(*v) +
             (lock ? " is not locked" : " is still locked"));
    }
  }

  void do_madvise() {
    static constexpr int kAdvice[] = {MADV_NORMAL,     MADV_RANDOM,     MADV_SEQUENTIAL, MADV_WILLNEED,
                                      MADV_DONTNEED,   MADV_FREE,       MADV_REMOVE,     MADV_DONTFORK,
                                      MADV_DOFORK,     MADV_HUGEPAGE,   MADV_NOHUGEPAGE, MADV_DONTDUMP,
                                      MADV_DODUMP,     MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
                                      MADV_PAGEOUT};
    const Arg addr = address(false);
    const Arg len = length();
    const int advice = kAdvice[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kAdvice) - 1)];
    begin_line("madvise " + addr.text + " " + len.text + " " +
               std::string(trace::advice_name(advice)));
    const SysRet r = sys_madvise(mm_, addr.value, len.value, static_cast<std::uint64_t>(advice));
    end_line(value_or_error(r));
    // A successful flag advice leaves every VMA of the range with the flag set or clear.
    if (r != 0 || len.value == 0) return;
    VmFlags set = 0, clear = 0;
    switch (advice) {
      case MADV_DONTFORK: set = VM_DONTCOPY; break;
      case MADV_DONTDUMP: set = VM_DONTDUMP; break;
      case MADV_HUGEPAGE: set = VM_HUGEPAGE, clear = VM_NOHUGEPAGE; break;
      case MADV_NOHUGEPAGE: set = VM_NOHUGEPAGE, clear = VM_HUGEPAGE; break;
      case MADV_NORMAL: clear = VM_SEQ_READ | VM_RAND_READ; break;
      default: return;
    }
    const Addr end = addr.value + page_align(len.value);
    if (const std::string why = uncovered(addr.value, end); !why.empty())
      fail("successful madvise over a range that is not fully mapped: " + why);
    for (const Vma* v = mm_.vmas.find_vma(addr.value); v && v->vm_start < end; v = mm_.vmas.next(v))
      if ((v->vm_flags & set) != set || (v->vm_flags & clear))
        fail("after a successful madvise(" + std::to_string(advice) + "), " + vma_str(*v) +
             " has flags {" + vm_flags_mnemonics(v->vm_flags) + "}");
  }

  void do_brk() {
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    Arg a;
    if (k < 150 && heap_) {
      const std::int64_t d = fdp_.ConsumeIntegralInRange<std::int64_t>(-2, 40) * 4096;
      a = window_rel(static_cast<std::int64_t>(heap_ - kWindow) + d + (k >= 130 ? 1 : 0));
    } else if (k < 170) {
      a = absolute(0);
    } else {
      a = address(true);
    }
    begin_line("brk " + a.text);
    const SysRet r = sys_brk(mm_, a.value);
    end_line(value_or_error(r));
    if (static_cast<Addr>(r) != mm_.brk)
      fail("brk returned " + hex(static_cast<Addr>(r)) + " but mm->brk is " + hex(mm_.brk));
  }

  void do_touch() {
    const Arg a = address(false);
    const std::uint8_t k = fdp_.ConsumeIntegralInRange<std::uint8_t>(0, 2);
    static constexpr const char* kNames[] = {"read", "write", "exec"};
    static constexpr AccessKind kKinds[] = {AccessKind::read, AccessKind::write, AccessKind::exec};
    begin_line("touch " + a.text + " " + kNames[k]);
    const FaultOutcome o = touch(mm_, a.value, kKinds[k]);
    OpResult res;
    res.kind = OpResult::Kind::touch;
    switch (o) {
      case FaultOutcome::ok: res.touch = trace::TouchOutcome::ok; break;
      case FaultOutcome::segv_maperr: res.touch = trace::TouchOutcome::segv_maperr; break;
      case FaultOutcome::segv_accerr: res.touch = trace::TouchOutcome::segv_accerr; break;
      case FaultOutcome::sigbus: res.touch = trace::TouchOutcome::sigbus; break;
    }
    end_line(res);
    const Vma* v = mm_.vmas.find_vma(a.value);
    const bool mapped = v && v->vm_start <= a.value;
    if (o == FaultOutcome::segv_maperr && mapped)
      fail("touch reported SEGV_MAPERR at an address inside " + vma_str(*v));
    if (o != FaultOutcome::segv_maperr && !mapped)
      fail("touch reported " + std::string(trace::touch_outcome_name(res.touch)) +
           " at an address no VMA covers");
  }

  void do_rlimit() {
    static constexpr const char* kRes[] = {"as", "data", "memlock", "stack"};
    static constexpr std::uint64_t kValues[] = {0, 16 * 1024, 64 * 1024, 1 << 20, 1ull << 30,
                                                RLIM_INFINITY};
    const std::size_t r = fdp_.ConsumeIntegralInRange<std::size_t>(0, 3);
    const std::uint64_t v = kValues[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kValues) - 1)];
    begin_line(std::string("rlimit ") + kRes[r] + " " +
               (v == RLIM_INFINITY ? std::string("unlimited") : size_arg(v).text));
    Rlimits& rl = mm_.cfg.rlimits;
    switch (r) {
      case 0: rl.as = v; break;
      case 1: rl.data = v; break;
      case 2: rl.memlock = v; break;
      default: rl.stack = v; break;
    }
    end_line(OpResult{});
  }

  // ---- checks ----

  // "" if VMAs cover [start, end) without a hole, else the first hole.
  std::string uncovered(Addr start, Addr end) const {
    Addr at = start;
    for (const Vma* v = mm_.vmas.find_vma(start); v && at < end; v = mm_.vmas.next(v)) {
      if (v->vm_start > at) break;
      at = v->vm_end;
    }
    if (at >= end) return "";
    return "no VMA at " + hex(at) + " in [" + hex(start) + ", " + hex(end) + ")";
  }

  void check_invariants() {
    const std::vector<Violation> vs = validate_mm(mm_);
    if (vs.empty()) return;
    std::string what = "validate_mm:";
    for (const Violation& v : vs) what += "\n  " + v.what;
    fail(what);
  }

  void replay() {
    const trace::ParseResult p = trace::parse(text_, "ops_fuzzer.mmt");
    if (!p.trace) fail("the generated trace does not parse: " + p.error->str());
    // validate_mm already held after every step of the direct run; the replay compares results.
    conformance::ModelOptions opts;
    opts.validate = false;
    const conformance::ModelRun run = conformance::run_model(*p.trace, opts);
    if (run.obs.results.size() != results_.size())
      fail("replay: " + std::to_string(run.obs.results.size()) + " results for " +
           std::to_string(results_.size()) + " operations");
    for (std::size_t i = 0; i < results_.size(); ++i) {
      if (!(run.obs.results[i] == results_[i]))
        fail("replay: operation " + std::to_string(i + 1) + " (line " +
             std::to_string(p.trace->ops[i].loc.line) + ") gave " +
             trace::format_result(run.obs.results[i]) + " through run_model, " +
             trace::format_result(results_[i]) + " directly");
    }
    const std::string maps = render_maps(mm_);
    if (run.final_maps != maps)
      fail("replay: final maps differ\n--- direct\n" + maps + "--- run_model\n" + run.final_maps);
  }

  [[noreturn]] void fail(const std::string& what) {
    std::string out = text_;
    if (!out.empty() && out.back() != '\n') out += '\n';
    // The report goes after the trace, as comments, so that line numbers stay those of the run.
    std::string commented;
    for (char c : what) commented += c == '\n' ? std::string("\n# ") : std::string(1, c);
    out += "# ops_fuzzer: check failed after line " + std::to_string(cur_line_) + ":\n# " +
           commented + "\n";
    std::fprintf(stderr, "\n==== mmspec ops_fuzzer: CHECK FAILED ====\n%s", out.c_str());
    const char* dir = std::getenv("MMSPEC_FUZZ_ARTIFACTS");
    char name[64];
    std::snprintf(name, sizeof name, "ops-%016" PRIx64 ".mmt", fnv1a(data_, size_));
    const std::string path = std::string(dir && *dir ? dir : ".") + "/" + name;
    if (FILE* f = std::fopen(path.c_str(), "w")) {
      std::fputs(out.c_str(), f);
      std::fclose(f);
      std::fprintf(stderr, "==== trace written to %s (replay: mmspec run %s)\n", path.c_str(),
                   path.c_str());
    }
    std::abort();
  }

  const std::uint8_t* data_;
  std::size_t size_;
  FuzzedDataProvider fdp_;
  Mm mm_;
  std::vector<FileId> fds_;
  std::string text_;
  int cur_line_ = 0;  // line number of the operation being run (in the trace without the report)
  std::vector<OpResult> results_;
  const char* trace_file_ = nullptr;
  Addr heap_ = 0;
  std::uint64_t h_ = 0;
  bool have_h_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Run(data, size).go();
  return 0;
}
