// The .mmt trace language: abstract syntax, parser, printer, expression evaluation.
//
// A trace is a list of statements, one per line (docs/trace-format.md). Names bound by
// `NAME = op ...` are resolved at parse time to binding slots, so that evaluating an
// expression needs no allocation: the static mmspec-live agent evaluates arguments in a child
// process that must not call malloc after its set-up.
//
// This library depends on the standard library only (mmspec-live links it statically). It
// uses the model's Linux constants (vm_flags.hpp, types.hpp), which are header-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mmspec::trace {

struct SrcLoc {
  std::uint32_t line = 0;  // 1-based
  std::uint32_t col = 0;   // 1-based
};

// An address or size: base + offset, computed with wrapping 64-bit arithmetic.
//   0x1000, 4K, 2M        absolute      (base = absolute, offset = value)
//   +0x1000, -4K          window-relative (base = window)
//   A, A+4K, A-8K         binding-relative (base = binding slot of A)
struct Expr {
  enum class Base : std::uint8_t { absolute, window, binding };
  Base base = Base::absolute;
  std::int32_t binding = -1;  // slot, for Base::binding
  std::uint64_t offset = 0;   // added (mod 2^64) to the base value
};

// Outcome of a memory access (`touch`), as user space observes it.
enum class Access : std::uint8_t { read, write, exec };
enum class TouchOutcome : std::uint8_t { ok, segv_maperr, segv_accerr, sigbus };

std::string_view access_name(Access a);
// madvise advice words: "dontfork" <-> MADV_DONTFORK; -1 / "" for a word / value not in the
// language.
int advice_of(std::string_view word);
std::string_view advice_name(int advice);
std::string_view touch_outcome_name(TouchOutcome o);  // "ok", "SEGV_MAPERR", "SEGV_ACCERR", "SIGBUS"

// Profiles a line is limited to: bit i set <=> the i-th entry of known_profiles(). 0 = all.
using ProfileMask = std::uint32_t;
const std::vector<std::string>& known_profiles();  // "linux-5.10", "linux-6.1", "linux-6.18"
bool mask_includes(ProfileMask m, std::string_view profile);

// The expected result written on an operation line: `-> EINVAL`, `-> +0x2000`, `-> A+4K`,
// `-> 0`, `-> SEGV_ACCERR`, optionally limited to profiles: `-> EFAULT on linux-6.18`.
struct Expect {
  enum class Kind : std::uint8_t { value, error, touch };
  Kind kind = Kind::value;
  Expr value;    // Kind::value
  int errnum = 0;  // Kind::error (Linux errno value)
  TouchOutcome touch = TouchOutcome::ok;  // Kind::touch
  ProfileMask profiles = 0;
  SrcLoc loc;
};

// One line of an expect-maps block, as /proc/PID/maps shows the VMA:
//   START-END PERMS WHAT [+xx -yy ...]
// WHAT: `anon` (no name), `shmem` (shared anonymous: "/dev/zero (deleted)"), `[heap]`,
// `[stack]`, `[vdso]`, ... or a trace file `f1` / `f1@PAGE` (file name and vm_pgoff).
// +xx / -yy: smaps VmFlags mnemonics that must be present / absent.
struct MapsLine {
  Expr start, end;
  char perms[4] = {'-', '-', '-', 'p'};
  enum class What : std::uint8_t { anon, shmem, named, file };
  What what = What::anon;
  std::string name;           // What::named: the bracketed name, e.g. "[heap]"
  std::int32_t file = -1;     // What::file: index into Trace::files
  std::uint64_t pgoff = 0;    // What::file: page offset shown in the maps line
  std::vector<std::string> flags_present, flags_absent;
  SrcLoc loc;
};

struct ExpectMaps {
  std::vector<MapsLine> lines;  // exactly the VMAs intersecting the window, in order
  ProfileMask profiles = 0;
  SrcLoc loc;
};

// `file NAME SIZE [ro|wo|rw]` creates an inode of SIZE bytes (zero-filled) and opens it;
// `open NAME OTHER [ro|wo|rw]` opens OTHER's inode again: a different struct file.
struct FileDecl {
  std::string name;
  std::uint64_t size = 0;
  std::int32_t inode_of = -1;  // -1: new inode; else index of the file whose inode it reopens
  bool readable = true, writable = true;
  SrcLoc loc;
};

enum class OpKind : std::uint8_t {
  mmap,        // [N =] mmap ADDR LEN PROT FLAGS... [FILE[@PAGE]] [offset=EXPR]
  munmap,      // munmap ADDR LEN
  mprotect,    // mprotect ADDR LEN PROT [growsdown|growsup]
  mremap,      // [N =] mremap ADDR OLDLEN NEWLEN [maymove] [fixed NEWADDR]
  mlock,       // mlock ADDR LEN [onfault]     (mlock2; onfault: MLOCK_ONFAULT)
  munlock,     // munlock ADDR LEN
  mlockall,    // mlockall [current] [future] [onfault]
  madvise,     // madvise ADDR LEN ADVICE    (ADVICE: a word, e.g. dontfork; in Op::flags)
  munlockall,  // munlockall
  brk,         // [N =] brk ADDR          result: the new (or unchanged) break
  touch,       // touch ADDR read|write|exec
  heap,        // heap ADDR               start_brk = brk = ADDR (set-up, no result)
  rlimit,      // rlimit as|data|memlock|stack VALUE|unlimited   (set-up, no result)
  expect_maps, // expect-maps [on PROFILES] ... end
};

enum class Rlimit : std::uint8_t { as, data, memlock, stack };
inline constexpr std::uint64_t RLIM_INFINITY_VALUE = ~std::uint64_t{0};

struct Op {
  OpKind kind = OpKind::mmap;
  SrcLoc loc;
  std::int32_t bind = -1;  // binding slot receiving the raw result, or -1
  Expr addr, len;          // mmap, munmap, mprotect, mlock, munlock; addr for brk/touch/heap
  int prot = 0;            // mmap, mprotect: PROT_* bits (incl. PROT_GROWSDOWN/UP)
  int flags = 0;  // mmap: MAP_* bits; mremap: MREMAP_*; mlock: MLOCK_*; mlockall: MCL_*
  std::int32_t file = -1;  // mmap: index into Trace::files; -1 = none
  bool bad_fd = false;     // mmap: `badfd` — pass fd -1 without MAP_ANONYMOUS
  Expr offset;             // mmap: file offset in bytes (FILE@PAGE sets PAGE*4096)
  Expr new_len, new_addr;  // mremap: NEWLEN and (with `fixed`) NEWADDR; len is OLDLEN
  Access access = Access::read;  // touch
  Rlimit rlimit = Rlimit::as;    // rlimit
  std::uint64_t rlimit_value = 0;
  std::vector<Expect> expect;    // results expected on this line (possibly per profile)
  std::int32_t maps = -1;        // expect_maps: index into Trace::maps
};

struct Trace {
  std::string path;                 // for messages
  std::string profile;              // `profile` line, "" if absent
  bool has_window = false;
  std::uint64_t window = 0, window_size = 0;
  std::vector<FileDecl> files;
  std::vector<std::string> bindings;  // slot -> name
  std::vector<Op> ops;
  std::vector<ExpectMaps> maps;
};

struct ParseError {
  std::string path;
  SrcLoc loc;
  std::string message;  // what was expected, e.g. "expected a size such as 4K, found 'x'"
  std::string str() const;  // "path:line:col: error: message"
};

// Parse a whole trace. Never throws on bad input; returns the first error.
struct ParseResult {
  std::optional<Trace> trace;
  std::optional<ParseError> error;
};
ParseResult parse(std::string_view text, std::string_view path = "<input>");

// Print a trace back in canonical form; parse(print(t)) yields a trace equal to t.
std::string print(const Trace& t);
bool operator==(const Trace& a, const Trace& b);

// Expression evaluation: window base and the binding values so far (slot-indexed).
struct Env {
  std::uint64_t window = 0;
  const std::uint64_t* bindings = nullptr;
  std::size_t nbindings = 0;
};
std::uint64_t eval(const Expr& e, const Env& env);

// Rendering helpers shared by the printer, explain and diff output.
std::string format_expr(const Expr& e, const Trace& t);
std::string format_prot(int prot);    // "rw-", plus " growsdown" etc.
std::string format_map_flags(int flags);  // "private anon fixed"
std::string format_profiles(ProfileMask m);  // "linux-5.10,linux-6.1"; "" for 0 (all profiles)
// An expectation as written after `->`: "EINVAL", "A+0x1000 on linux-6.1", "SEGV_ACCERR".
std::string format_expect(const Expect& e, const Trace& t);
// A maps expectation line as written inside expect-maps: "+0x0-+0x1000 rw-p anon +ac".
std::string format_maps_line(const MapsLine& l, const Trace& t);

// Linux errno names (values from <cerrno>): "EINVAL"; "E?<n>" for a value without a name.
// errno_from_str also accepts the aliases EWOULDBLOCK, EDEADLOCK, ENOTSUP and "E?<n>".
std::string errno_str(int e);
std::optional<int> errno_from_str(std::string_view s);

}  // namespace mmspec::trace
