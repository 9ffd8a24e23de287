// The scenario child of mmspec-live: set-up, then the trace's operations against the running
// kernel, reported as records (docs/live-protocol.md).
//
// Two phases. Set-up may allocate: it creates the trace's files, preallocates every buffer,
// probes the layout parameters, pre-grows the stack and records the initial address space.
// After set-up nothing allocates, nothing uses stdio, and every kernel call is a raw system
// call, so that the only changes to the address space are the ones the trace asks for.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <ucontext.h>
#include <unistd.h>

#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "agent.hpp"

namespace mmspec::live {
namespace {

namespace tr = mmspec::trace;
using u64 = std::uint64_t;
using u128 = unsigned __int128;

constexpr u64 kPage = 4096;
constexpr u64 kWindowMargin = u64{1} << 20;  // the window must have 1 MiB free on either side
constexpr std::size_t kStackPregrow = 256 * 1024;
constexpr std::size_t kMaxInitialVmas = 8192;

// ---- preallocated storage (static: part of the agent's initial address space) ---------------

Out g_out(1);
char g_smaps_buf[4 << 20];
char g_small_buf[64 * 1024];
Range g_initial[kMaxInitialVmas];
std::size_t g_ninitial = 0;
alignas(16) char g_altstack[64 * 1024];
alignas(16) unsigned char g_exec_scratch[256];
char g_errno_names[256][24];

// ---- touch: fault capture --------------------------------------------------------------------

sigjmp_buf g_jmp;
volatile sig_atomic_t g_in_touch = 0;
volatile sig_atomic_t g_exec_traps = 0;
volatile u64 g_exec_target = 0;
volatile int g_sig = 0;
volatile int g_code = 0;
volatile u64 g_addr = 0;

void reset_and_reraise(int sig) {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigaction(sig, &sa, nullptr);
  raise(sig);  // blocked until the handler returns; then the default action ends the child
}

void on_signal(int sig, siginfo_t* si, void* ctx) {
  if (!g_in_touch) {
    reset_and_reraise(sig);
    return;
  }
  if (sig == SIGTRAP) {
    // Exec touch: the single-step trap after `call` stops at the target before its first
    // instruction is fetched; resume (the saved flags keep TF) to let that instruction run.
    // The next trap means it was fetched and executed.
    const auto* uc = static_cast<const ucontext_t*>(ctx);
    int traps = g_exec_traps;
    g_exec_traps = traps + 1;
    if (traps == 0 &&
        static_cast<u64>(uc->uc_mcontext.gregs[REG_RIP]) == g_exec_target) {
      return;
    }
    g_sig = SIGTRAP;
    g_code = si->si_code;
    g_addr = 0;
    siglongjmp(g_jmp, 1);
  }
  g_sig = sig;
  g_code = si->si_code;
  g_addr = reinterpret_cast<u64>(si->si_addr);
  siglongjmp(g_jmp, 1);
}

// Executes the instruction at `target` under single-step: sets EFLAGS.TF, then calls target
// with %rax pointing to a writable scratch area (zero bytes decode as `add %al,(%rax)`). The
// signal handler leaves through siglongjmp, so control never comes back here. If single-step
// traps were not delivered, the zero bytes run on until they fault at another address, which
// the caller also counts as a successful exec access.
[[noreturn]] __attribute__((noinline)) void exec_at(u64 target) {
  __asm__ volatile(
      "lea -512(%%rsp), %%rsp\n\t"  // stay clear of the red zone: the call pushes
      "pushfq\n\t"
      "orq $0x100, (%%rsp)\n\t"
      "popfq\n\t"
      "call *%0\n\t"
      :
      : "r"(target), "a"(g_exec_scratch + 64)
      : "memory", "cc");
  __builtin_unreachable();
}

enum class TouchResult { ok, maperr, accerr, sigbus, other };

TouchResult do_touch(u64 addr, tr::Access access) {
  g_sig = 0;
  g_code = 0;
  g_addr = 0;
  g_exec_traps = 0;
  g_exec_target = addr;
  if (sigsetjmp(g_jmp, 1) == 0) {
    g_in_touch = 1;
    volatile unsigned char* p = reinterpret_cast<volatile unsigned char*>(addr);
    switch (access) {
      case tr::Access::read:
        (void)*p;
        break;
      case tr::Access::write:
        *p = 0;
        break;
      case tr::Access::exec:
        exec_at(addr);
    }
    g_in_touch = 0;
    return TouchResult::ok;
  }
  g_in_touch = 0;
  if (g_sig == SIGTRAP) return TouchResult::ok;
  if (access == tr::Access::exec && g_addr != addr) {
    // The target instruction ran (or straddled into the next page) and execution faulted
    // further on: the access to the target itself succeeded.
    return TouchResult::ok;
  }
  if (g_sig == SIGBUS) return TouchResult::sigbus;
  if (g_sig == SIGSEGV && g_code == SEGV_MAPERR) return TouchResult::maperr;
  if (g_sig == SIGSEGV && g_code == SEGV_ACCERR) return TouchResult::accerr;
  return TouchResult::other;
}

// ---- helpers ----------------------------------------------------------------------------------

const char* errno_name(long e) {
  if (e >= 0 && e < 256) return g_errno_names[e];
  return "E?";
}

// Ends the child after an error: the error record, then exit status 2.
[[noreturn]] void fail_setup() {
  g_out.flush();
  _exit(2);
}

Out& error_line() { return g_out.str("error "); }

// Does [start, end) (end may be 2^64) intersect a VMA of the initial address space?
const Range* overlaps_agent(u128 start, u128 end) {
  if (start >= end) return nullptr;
  for (std::size_t i = 0; i < g_ninitial; ++i) {
    if (start < g_initial[i].end && g_initial[i].start < end) return &g_initial[i];
  }
  return nullptr;
}

u128 page_down(u128 a) { return a & ~static_cast<u128>(kPage - 1); }
u128 page_up(u128 a) { return (a + kPage - 1) & ~static_cast<u128>(kPage - 1); }

// The page-rounded range an operation on [addr, addr+len) affects.
const Range* op_overlaps(u64 addr, u64 len) {
  if (len == 0) return nullptr;
  return overlaps_agent(page_down(addr), page_up(static_cast<u128>(addr) + len));
}

__attribute__((noinline)) void pregrow_stack() {
  char area[kStackPregrow];
  for (std::size_t i = 0; i < kStackPregrow; i += kPage) area[i] = 0;
  area[kStackPregrow - 1] = 0;
  __asm__ volatile("" : : "r"(area) : "memory");  // keep the stores
}

bool read_sysctl(const char* path, u64* v) {
  if (read_small_file(path, g_small_buf, sizeof g_small_buf) <= 0) return false;
  return parse_dec(g_small_buf, v);
}

void layout_num_or(const char* key, bool ok, u64 v);

void layout_sysctl(const char* key, const char* path) {
  u64 v = 0;
  bool ok = read_sysctl(path, &v);
  layout_num_or(key, ok, v);
}

void layout_num_or(const char* key, bool ok, u64 v) {
  g_out.ch(' ').str(key).ch('=');
  if (ok)
    g_out.hex(v);
  else
    g_out.str("unknown");
}

void layout_rlimit(const char* key, int resource) {
  struct rlimit rl;
  g_out.ch(' ').str(key).ch('=');
  if (getrlimit(resource, &rl) != 0)
    g_out.str("unknown");
  else if (rl.rlim_cur == RLIM_INFINITY)
    g_out.str("unlimited");
  else
    g_out.hex(rl.rlim_cur);
}

// The bracketed choice of a sysfs "a [b] c" setting.
void layout_choice(const char* key, const char* path) {
  g_out.ch(' ').str(key).ch('=');
  if (read_small_file(path, g_small_buf, sizeof g_small_buf) > 0) {
    const char* l = std::strchr(g_small_buf, '[');
    const char* r = l ? std::strchr(l, ']') : nullptr;
    if (l && r && r > l + 1) {
      g_out.text(std::string_view(l + 1, static_cast<std::size_t>(r - l - 1)));
      return;
    }
  }
  g_out.str("unknown");
}

struct Layout {
  StatFields stat;
  bool stat_ok = false;
};

// Writes the `layout` record. Runs before the initial snapshot (the probes map and unmap).
void emit_layout(Layout* lay) {
  lay->stat_ok = read_self_stat(&lay->stat, g_small_buf, sizeof g_small_buf);
  const u64* f = lay->stat.f;

  // 5-level paging: a hint above 2^47 is honoured only when TASK_SIZE is 2^56 - P.
  u64 task_size = 0x7ffffffff000;
  long r = raw_syscall(SYS_mmap, 1L << 47, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!raw_is_error(r)) {
    if (static_cast<u64>(r) >= (u64{1} << 47)) task_size = (u64{1} << 56) - kPage;
    raw_syscall(SYS_munmap, r, kPage);
  }
  // Effective mmap_min_addr: a non-fixed hint below it is moved up to PAGE_ALIGN(mmap_min_addr).
  long minr = raw_syscall(SYS_mmap, 0x1000, kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!raw_is_error(minr)) raw_syscall(SYS_munmap, minr, kPage);

  g_out.str("layout");
  layout_num_or("task_size", true, task_size);
  layout_rlimit("rlimit_stack", RLIMIT_STACK);
  layout_sysctl("mmap_min_addr_sysctl", "/proc/sys/vm/mmap_min_addr");
  layout_num_or("mmap_min_addr", !raw_is_error(minr), static_cast<u64>(minr));
  layout_num_or("start_brk", lay->stat_ok, f[47]);
  layout_num_or("brk", true, static_cast<u64>(raw_syscall(SYS_brk, 0)));
  layout_num_or("start_stack", lay->stat_ok, f[28]);
  layout_sysctl("max_map_count", "/proc/sys/vm/max_map_count");
  layout_sysctl("overcommit_memory", "/proc/sys/vm/overcommit_memory");
  layout_sysctl("overcommit_ratio", "/proc/sys/vm/overcommit_ratio");
  int pers = static_cast<int>(raw_syscall(SYS_personality, 0xffffffffL));
  u64 rva = 0;
  bool rva_ok = read_sysctl("/proc/sys/kernel/randomize_va_space", &rva);
  g_out.str(" randomized=").str((pers & ADDR_NO_RANDOMIZE) == 0 && (!rva_ok || rva != 0) ? "1" : "0");
  struct utsname un;
  g_out.str(" release=");
  if (uname(&un) == 0) {
    for (const char* c = un.release; *c; ++c) g_out.ch(*c == ' ' || *c == '=' ? '_' : *c);
  } else {
    g_out.str("unknown");
  }
  layout_num_or("personality", pers >= 0, static_cast<u64>(static_cast<unsigned>(pers)));
  layout_num_or("randomize_va_space", rva_ok, rva);
  layout_sysctl("legacy_va_layout", "/proc/sys/vm/legacy_va_layout");
  layout_rlimit("rlimit_as", RLIMIT_AS);
  layout_rlimit("rlimit_data", RLIMIT_DATA);
  layout_rlimit("rlimit_memlock", RLIMIT_MEMLOCK);
  layout_num_or("start_code", lay->stat_ok, f[26]);
  layout_num_or("end_code", lay->stat_ok, f[27]);
  layout_num_or("start_data", lay->stat_ok, f[45]);
  layout_num_or("end_data", lay->stat_ok, f[46]);
  layout_num_or("arg_start", lay->stat_ok, f[48]);
  layout_num_or("arg_end", lay->stat_ok, f[49]);
  layout_num_or("env_start", lay->stat_ok, f[50]);
  layout_num_or("env_end", lay->stat_ok, f[51]);
  layout_choice("thp_enabled", "/sys/kernel/mm/transparent_hugepage/enabled");
  // Effective capabilities (CAP_SYS_RAWIO decides MAP_FIXED below mmap_min_addr, CAP_IPC_LOCK
  // the memlock limit, CAP_SYS_RESOURCE raising hard limits).
  bool cap_ok = false;
  u64 cap = 0;
  if (read_small_file("/proc/self/status", g_small_buf, sizeof g_small_buf) > 0) {
    const char* c = std::strstr(g_small_buf, "\nCapEff:");
    if (c != nullptr) {
      c += 8;
      while (*c == ' ' || *c == '\t') ++c;
      cap_ok = parse_hex_adv(&c, c + 16, &cap);
    }
  }
  layout_num_or("cap_eff", cap_ok, cap);
  layout_num_or("uid", true, static_cast<u64>(getuid()));
  g_out.end_line();
}

// An address-space block: KEYWORD [INDEX], the VMAs, `end`.
void emit_block(const char* keyword, long index, bool record_initial) {
  g_out.str(keyword);
  if (index >= 0) g_out.ch(' ').dec(static_cast<u64>(index));
  g_out.end_line();
  std::size_t n = 0;
  long rc = emit_smaps(g_out, g_smaps_buf, sizeof g_smaps_buf,
                       record_initial ? g_initial : nullptr, kMaxInitialVmas, &n);
  g_out.str("end").end_line();
  if (rc < 0) {
    error_line().str("reading /proc/self/smaps failed: ").str(errno_name(-rc)).end_line();
    if (record_initial) fail_setup();
  }
  if (record_initial) {
    if (n > kMaxInitialVmas) {
      error_line().str("the agent has more than ").dec(kMaxInitialVmas).str(" VMAs").end_line();
      fail_setup();
    }
    g_ninitial = n;
  }
}

void result_head(std::size_t index, const tr::Op& op) {
  g_out.str("result ").dec(index).ch(' ').dec(op.loc.line).ch(' ');
}

void emit_value(std::size_t index, const tr::Op& op, long raw, bool never_error) {
  result_head(index, op);
  if (!never_error && raw_is_error(raw))
    g_out.str("error ").str(errno_name(-raw));
  else
    g_out.str("value ").hex(static_cast<u64>(raw));
  g_out.end_line();
}

void emit_refused(std::size_t index, const tr::Op& op) {
  result_head(index, op);
  g_out.str("refused overlaps-agent").end_line();
}

int open_mode(bool readable, bool writable) {
  if (readable && writable) return O_RDWR;
  if (readable) return O_RDONLY;
  if (writable) return O_WRONLY;
  return O_PATH;  // neither: a descriptor mmap rejects with EBADF
}

// Creates the trace's files: a memfd per inode, reopened through /proc/self/fd for `open`
// statements and for read-only / write-only declarations (a new struct file each time).
bool create_files(const tr::Trace& t, std::vector<int>* fds) {
  std::vector<int> inode_fd(t.files.size(), -1);
  fds->assign(t.files.size(), -1);
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    const tr::FileDecl& fd = t.files[i];
    int base;
    if (fd.inode_of < 0) {
      base = static_cast<int>(raw_syscall(SYS_memfd_create,
                                          reinterpret_cast<long>(fd.name.c_str()), 0));
      if (base < 0) {
        error_line().str("line ").dec(fd.loc.line).str(": memfd_create(").text(fd.name)
            .str(") failed: ").str(errno_name(-base)).end_line();
        return false;
      }
      long r = raw_syscall(SYS_ftruncate, base, static_cast<long>(fd.size));
      if (raw_is_error(r)) {
        error_line().str("line ").dec(fd.loc.line).str(": ftruncate(").text(fd.name).str(", ")
            .hex(fd.size).str(") failed: ").str(errno_name(-r)).end_line();
        return false;
      }
      inode_fd[i] = base;
      if (fd.readable && fd.writable) {
        (*fds)[i] = base;
        continue;
      }
    } else {
      if (static_cast<std::size_t>(fd.inode_of) >= i) {
        error_line().str("line ").dec(fd.loc.line).str(": file ").text(fd.name)
            .str(" reopens a file declared after it").end_line();
        return false;
      }
      base = inode_fd[static_cast<std::size_t>(fd.inode_of)];
      inode_fd[i] = base;
    }
    std::string path = "/proc/self/fd/" + std::to_string(base);
    int nfd = ::open(path.c_str(), open_mode(fd.readable, fd.writable));
    if (nfd < 0) {
      error_line().str("line ").dec(fd.loc.line).str(": open(").str(path).str(") for ")
          .text(fd.name).str(" failed: ").str(errno_name(errno)).end_line();
      return false;
    }
    (*fds)[i] = nfd;
  }
  return true;
}

int rlimit_resource(tr::Rlimit r) {
  switch (r) {
    case tr::Rlimit::as: return RLIMIT_AS;
    case tr::Rlimit::data: return RLIMIT_DATA;
    case tr::Rlimit::memlock: return RLIMIT_MEMLOCK;
    case tr::Rlimit::stack: return RLIMIT_STACK;
  }
  return RLIMIT_AS;
}

const char* rlimit_name(tr::Rlimit r) {
  switch (r) {
    case tr::Rlimit::as: return "as";
    case tr::Rlimit::data: return "data";
    case tr::Rlimit::memlock: return "memlock";
    case tr::Rlimit::stack: return "stack";
  }
  return "?";
}

}  // namespace

[[noreturn]] void run_scenario_child(const tr::Trace& t) {
  // ---- set-up -------------------------------------------------------------------------------
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Under memory pressure, let the OOM killer pick the scenario, not the agent's parent.
  int oom = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    (void)!::write(oom, "1000", 4);
    ::close(oom);
  }
  g_out.set_fd(1);
  for (int e = 0; e < 256; ++e) {
    std::string n = tr::errno_str(e);
    std::size_t len = n.size() < sizeof g_errno_names[0] - 1 ? n.size() : sizeof g_errno_names[0] - 1;
    std::memcpy(g_errno_names[e], n.data(), len);
    g_errno_names[e][len] = '\0';
  }

  stack_t ss;
  std::memset(&ss, 0, sizeof ss);
  ss.ss_sp = g_altstack;
  ss.ss_size = sizeof g_altstack;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (sigaltstack(&ss, nullptr) != 0 || sigaction(SIGSEGV, &sa, nullptr) != 0 ||
      sigaction(SIGBUS, &sa, nullptr) != 0 || sigaction(SIGTRAP, &sa, nullptr) != 0) {
    error_line().str("installing the fault handlers failed: ").str(errno_name(errno)).end_line();
    fail_setup();
  }

  std::vector<int> fds;
  std::vector<u64> bindings(t.bindings.size(), 0);
  const tr::Env env{t.window, bindings.data(), bindings.size()};

  Layout lay;
  emit_layout(&lay);
  if (!lay.stat_ok) {
    error_line().str("cannot read /proc/self/stat").end_line();
    fail_setup();
  }
  if (!create_files(t, &fds)) fail_setup();
  // Touch every buffer the run uses, and grow the stack beyond anything the run needs, so
  // that no VMA of the agent changes after the initial snapshot.
  std::memset(g_smaps_buf, 0, sizeof g_smaps_buf);
  std::memset(g_small_buf, 0, sizeof g_small_buf);
  pregrow_stack();

  emit_block("initial", -1, true);
  if (t.has_window) {
    u128 lo = t.window >= kWindowMargin ? t.window - kWindowMargin : 0;
    u128 hi = static_cast<u128>(t.window) + t.window_size + kWindowMargin;
    if (const Range* r = overlaps_agent(lo, hi)) {
      error_line().str("window ").hex(t.window).str(" size ").hex(t.window_size)
          .str(" is not free: the agent's VMA ").hex(r->start).ch('-').hex(r->end)
          .str(" lies within 1 MiB of it").end_line();
      fail_setup();
    }
  }
  g_out.flush();

  // ---- the run: no allocation from here on ----------------------------------------------------
  u64 start_brk_now = lay.stat.f[47];  // moved by `heap`
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const tr::Op& op = t.ops[i];
    long raw = 0;
    bool refused = false;
    switch (op.kind) {
      case tr::OpKind::mmap: {
        u64 addr = tr::eval(op.addr, env);
        u64 len = tr::eval(op.len, env);
        u64 off = tr::eval(op.offset, env);
        // Only MAP_FIXED replaces what is there; hints and MAP_FIXED_NOREPLACE never do.
        bool replaces = (op.flags & MAP_FIXED) != 0 && (op.flags & MAP_FIXED_NOREPLACE) == 0;
        if (replaces && op_overlaps(addr, len) != nullptr) {
          refused = true;
          break;
        }
        long fd = op.file >= 0 ? fds[static_cast<std::size_t>(op.file)] : -1;
        raw = raw_syscall(SYS_mmap, static_cast<long>(addr), static_cast<long>(len), op.prot,
                          op.flags, fd, static_cast<long>(off));
        emit_value(i, op, raw, false);
        break;
      }
      case tr::OpKind::madvise: {
        // Advice that changes flags splits the VMAs it meets: ranges that meet the agent's own
        // VMAs are refused like the other calls. (Discarding advice there would be worse.) An
        // unaligned start, or a range that wraps once the length is rounded up, fails with
        // EINVAL before any VMA is looked at: those always run.
        u64 addr = tr::eval(op.addr, env);
        u64 len = tr::eval(op.len, env);
        const u64 span = (len + kPage - 1) & ~(kPage - 1);  // PAGE_ALIGN, modulo 2^64
        const bool invalid = (addr & (kPage - 1)) != 0 || (len != 0 && span == 0) || addr + span < addr;
        if (!invalid && op_overlaps(addr, len) != nullptr) {
          refused = true;
          break;
        }
        raw = raw_syscall(SYS_madvise, static_cast<long>(addr), static_cast<long>(len), op.flags);
        emit_value(i, op, raw, false);
        break;
      }
      case tr::OpKind::mlock:
      case tr::OpKind::munlock: {
        // Locking changes no page of the agent's own VMAs, but splitting them would show in the
        // maps: ranges that meet them are refused like the other calls. A range that wraps
        // once rounded to pages (as mm/mlock.c rounds it) fails with EINVAL before anything
        // changes: it always runs.
        u64 addr = tr::eval(op.addr, env);
        u64 len = tr::eval(op.len, env);
        const u64 start = addr & ~(kPage - 1);
        const u64 span = (len + (addr & (kPage - 1)) + kPage - 1) & ~(kPage - 1);
        const bool wraps = start + span < start;
        if (!wraps && op_overlaps(addr, len) != nullptr) {
          refused = true;
          break;
        }
        raw = op.kind == tr::OpKind::mlock
                  ? raw_syscall(SYS_mlock2, static_cast<long>(addr), static_cast<long>(len),
                                op.flags)
                  : raw_syscall(SYS_munlock, static_cast<long>(addr), static_cast<long>(len));
        emit_value(i, op, raw, false);
        break;
      }
      case tr::OpKind::mlockall:
      case tr::OpKind::munlockall:
        // These reach the agent's own VMAs too (locking them, MCL_CURRENT faulting them in),
        // which changes none of their pages or ranges; the scenario runs in this child only.
        raw = op.kind == tr::OpKind::mlockall ? raw_syscall(SYS_mlockall, op.flags)
                                              : raw_syscall(SYS_munlockall);
        emit_value(i, op, raw, false);
        break;
      case tr::OpKind::munmap:
      case tr::OpKind::mprotect: {
        u64 addr = tr::eval(op.addr, env);
        u64 len = tr::eval(op.len, env);
        if (op_overlaps(addr, len) != nullptr) {
          refused = true;
          break;
        }
        raw = op.kind == tr::OpKind::munmap
                  ? raw_syscall(SYS_munmap, static_cast<long>(addr), static_cast<long>(len))
                  : raw_syscall(SYS_mprotect, static_cast<long>(addr), static_cast<long>(len),
                                op.prot);
        emit_value(i, op, raw, false);
        break;
      }
      case tr::OpKind::mremap: {
        // The old range, and with `fixed` the destination (which MREMAP_FIXED unmaps), must not
        // meet the agent's own VMAs. A move without `fixed` goes where the kernel chooses, into
        // free space: it never replaces anything.
        u64 addr = tr::eval(op.addr, env);
        u64 old_len = tr::eval(op.len, env);
        u64 new_len = tr::eval(op.new_len, env);
        u64 new_addr = tr::eval(op.new_addr, env);
        const bool fixed = (op.flags & MREMAP_FIXED) != 0;
        if (op_overlaps(addr, old_len > new_len ? old_len : new_len) != nullptr ||
            (fixed && op_overlaps(new_addr, new_len) != nullptr)) {
          refused = true;
          break;
        }
        raw = raw_syscall(SYS_mremap, static_cast<long>(addr), static_cast<long>(old_len),
                          static_cast<long>(new_len), op.flags, static_cast<long>(new_addr));
        emit_value(i, op, raw, false);
        break;
      }
      case tr::OpKind::brk: {
        u64 addr = tr::eval(op.addr, env);
        u64 cur = static_cast<u64>(raw_syscall(SYS_brk, 0));
        // brk maps or unmaps [PAGE_ALIGN(lower), PAGE_ALIGN(higher)) of the two breaks, except
        // that a break below min_brk (start_brk, or end_data with CONFIG_COMPAT_BRK) fails
        // before anything changes: such calls (brk 0, the usual query) always run.
        u64 lo = addr < cur ? addr : cur;
        u64 hi = addr < cur ? cur : addr;
        u64 end_data = lay.stat.f[46];
        bool below_min_brk = addr < end_data && addr < start_brk_now;
        if (!below_min_brk && overlaps_agent(page_up(lo), page_up(hi)) != nullptr) {
          refused = true;
          break;
        }
        raw = raw_syscall(SYS_brk, static_cast<long>(addr));
        emit_value(i, op, raw, true);  // brk returns the (new or old) break, never an errno
        break;
      }
      case tr::OpKind::touch: {
        u64 addr = tr::eval(op.addr, env);
        if (op_overlaps(addr, 1) != nullptr) {
          refused = true;
          break;
        }
        TouchResult tres = do_touch(addr, op.access);
        if (tres == TouchResult::other) {
          error_line().str("line ").dec(op.loc.line).str(": touch ").hex(addr)
              .str(" got signal ").dec(static_cast<u64>(g_sig)).str(" code ")
              .sdec(g_code).str(" address ").hex(g_addr).end_line();
          result_head(i, op);
          g_out.str("unknown").end_line();
          break;
        }
        result_head(i, op);
        g_out.str("touch ");
        switch (tres) {
          case TouchResult::ok: g_out.str("ok"); break;
          case TouchResult::maperr: g_out.str("SEGV_MAPERR"); break;
          case TouchResult::accerr: g_out.str("SEGV_ACCERR"); break;
          case TouchResult::sigbus: g_out.str("SIGBUS"); break;
          case TouchResult::other: break;
        }
        g_out.end_line();
        raw = 0;
        break;
      }
      case tr::OpKind::heap: {
        u64 addr = tr::eval(op.addr, env);
        if (op_overlaps(addr, 1) != nullptr) {
          refused = true;
          break;
        }
        const u64* f = lay.stat.f;
        struct prctl_mm_map map;
        std::memset(&map, 0, sizeof map);
        map.start_code = f[26];
        map.end_code = f[27];
        map.start_data = f[45];
        map.end_data = f[46];
        map.start_brk = addr;
        map.brk = addr;
        map.start_stack = f[28];
        map.arg_start = f[48];
        map.arg_end = f[49];
        map.env_start = f[50];
        map.env_end = f[51];
        map.auxv = nullptr;
        map.auxv_size = 0;
        map.exe_fd = static_cast<std::uint32_t>(-1);
        long r = raw_syscall(SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, reinterpret_cast<long>(&map),
                             sizeof map, 0);
        if (raw_is_error(r)) {
          error_line().str("line ").dec(op.loc.line).str(": heap ").hex(addr)
              .str(": prctl(PR_SET_MM, PR_SET_MM_MAP) failed: ").str(errno_name(-r)).end_line();
          emit_block("final", -1, false);
          fail_setup();
        }
        start_brk_now = addr;
        result_head(i, op);
        g_out.str("none").end_line();
        break;
      }
      case tr::OpKind::rlimit: {
        int res = rlimit_resource(op.rlimit);
        struct rlimit cur;
        long r = raw_syscall(SYS_prlimit64, 0, res, 0, reinterpret_cast<long>(&cur));
        if (!raw_is_error(r)) {
          struct rlimit nl = cur;
          rlim_t want = op.rlimit_value == tr::RLIM_INFINITY_VALUE ? RLIM_INFINITY
                                                                   : static_cast<rlim_t>(op.rlimit_value);
          nl.rlim_cur = want;
          if (cur.rlim_max != RLIM_INFINITY && (want == RLIM_INFINITY || want > cur.rlim_max))
            nl.rlim_max = want;
          r = raw_syscall(SYS_prlimit64, 0, res, reinterpret_cast<long>(&nl), 0);
        }
        if (raw_is_error(r)) {
          error_line().str("line ").dec(op.loc.line).str(": rlimit ").str(rlimit_name(op.rlimit))
              .str(": setting the limit failed: ").str(errno_name(-r)).end_line();
          emit_block("final", -1, false);
          fail_setup();
        }
        result_head(i, op);
        g_out.str("none").end_line();
        break;
      }
      case tr::OpKind::expect_maps:
        result_head(i, op);
        g_out.str("none").end_line();
        emit_block("maps", op.maps, false);
        break;
    }
    if (refused) {
      emit_refused(i, op);
      raw = 0;  // a refused operation's binding receives 0
    }
    if (op.bind >= 0 && static_cast<std::size_t>(op.bind) < bindings.size())
      bindings[static_cast<std::size_t>(op.bind)] = static_cast<u64>(raw);
  }
  emit_block("final", -1, false);
  g_out.flush();
  _exit(0);
}

}  // namespace mmspec::live
