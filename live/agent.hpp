// mmspec-live: the kernel side of the conformance harness (docs/live-protocol.md).
//
// The parent (main.cpp) parses traces and forks one child per scenario; the child (child.cpp)
// sets up, then runs the trace's operations against the kernel it runs on and reports them.
// After its set-up the child must not allocate: a scenario may move the program break, unmap
// or protect memory next to the agent's own, and the child's address space is what is being
// observed. Everything below (rawio.cpp) therefore works on caller-provided, preallocated
// storage and on raw system calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mmspec/trace.hpp"

namespace mmspec::live {

// ---- raw system calls (x86-64) --------------------------------------------------------------

// The kernel's return value, unfiltered: a value, or -errno in [-4095, -1].
inline long raw_syscall(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0,
                        long a5 = 0, long a6 = 0) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
inline bool raw_is_error(long r) { return r < 0 && r >= -4095; }

// ---- output ---------------------------------------------------------------------------------

// A line-oriented writer over write(2) with a fixed buffer. Complete lines are written in
// chunks of at most PIPE_BUF bytes where possible, so that a child killed on timeout leaves no
// half-written line in a pipe. Never allocates.
class Out {
 public:
  static constexpr std::size_t kCapacity = 64 * 1024;
  static constexpr std::size_t kChunk = 4096;  // PIPE_BUF on Linux

  explicit Out(int fd) : fd_(fd) {}
  void set_fd(int fd) { fd_ = fd; }

  Out& str(std::string_view s);
  Out& ch(char c);
  Out& hex(std::uint64_t v);  // 0x-prefixed lowercase hex
  Out& dec(std::uint64_t v);
  Out& sdec(std::int64_t v);
  // Text that must stay on one line: control characters become '?'.
  Out& text(std::string_view s);
  void end_line();
  void flush();
  bool failed() const { return failed_; }

 private:
  void write_all(const char* p, std::size_t n);

  int fd_;
  std::size_t len_ = 0;
  std::size_t line_start_ = 0;
  bool failed_ = false;
  char buf_[kCapacity];
};

// ---- /proc readers --------------------------------------------------------------------------

// Reads a whole (small) file into buf, NUL-terminates it. Returns the length or -errno.
long read_small_file(const char* path, char* buf, std::size_t cap);
// Parses a leading unsigned decimal (skipping blanks); false if there is none.
bool parse_dec(const char* s, std::uint64_t* v);
// Parses an unsigned hex number without prefix; advances *s past it.
bool parse_hex_adv(const char** s, const char* end, std::uint64_t* v);

// Fields of /proc/self/stat (1-based numbering as in proc(5)); fields[0] is unused.
struct StatFields {
  static constexpr int kMax = 53;
  std::uint64_t f[kMax] = {};
  int count = 0;  // highest field number read
};
bool read_self_stat(StatFields* out, char* buf, std::size_t cap);

// One VMA range [start, end).
struct Range {
  std::uint64_t start = 0, end = 0;
};

// Streams /proc/self/smaps as an address-space block (`vma ...` / `flags ...` lines) to out.
// If ranges is non-null, the VMA ranges are also stored there (at most max_ranges; *nranges
// receives the count, or max_ranges + 1 if there were more). Uses the caller's scratch buffer
// (a line never exceeds it). Returns 0 or -errno.
long emit_smaps(Out& out, char* scratch, std::size_t scratch_cap, Range* ranges,
                std::size_t max_ranges, std::size_t* nranges);

// ---- the child ------------------------------------------------------------------------------

// Runs one scenario in the current (freshly forked) process, writing its records to stdout,
// and exits: status 0 when every operation ran, 2 when the set-up failed (an `error` record
// says why). Never returns.
[[noreturn]] void run_scenario_child(const mmspec::trace::Trace& t);

}  // namespace mmspec::live
