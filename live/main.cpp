// mmspec-live: runs .mmt traces against the running Linux kernel and reports what it observes
// in the line format of docs/live-protocol.md.
//
// The parent re-executes itself once without address-space randomization, parses each trace,
// and runs it in a forked child (child.cpp) under a timeout. It may be the init process of a
// kernel booted under qemu: then it mounts what it needs and powers the machine off at the end.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "agent.hpp"

namespace {

namespace tr = mmspec::trace;
using mmspec::live::Out;

constexpr std::string_view kUsage =
    "usage: mmspec-live [--no-reexec] [--timeout SECONDS] [--output PATH] FILE.mmt|DIR...\n"
    "\n"
    "Runs each trace in a forked child against the running kernel and writes what it observes\n"
    "(results, /proc/self/smaps snapshots, layout parameters) to standard output in the\n"
    "mmspec-live line protocol (docs/live-protocol.md). A directory stands for every *.mmt\n"
    "file below it, in byte order of their paths.\n"
    "\n"
    "  --no-reexec        do not re-execute once with ADDR_NO_RANDOMIZE\n"
    "  --timeout SECONDS  per-scenario time limit (default 10); the child is killed after it\n"
    "  --output PATH      write the records to PATH instead of standard output (a terminal,\n"
    "                     such as a serial port, is put in raw mode and drained at the end)\n"
    "  --help             print this text\n"
    "\n"
    "As process 1 (the init of a kernel booted under qemu) it mounts devtmpfs on /dev, proc on\n"
    "/proc, sysfs on /sys and a tmpfs on /tmp, and powers the machine off when done.\n";

Out g_out(1);

void write_fd(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t w = ::write(fd, s.data(), s.size());
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s.remove_prefix(static_cast<std::size_t>(w));
  }
}

void diag(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  std::string m = "mmspec-live: ";
  m.append(a).append(b).append(c).push_back('\n');
  write_fd(2, m);
}

// ---- process 1 ------------------------------------------------------------------------------

bool same_device(const char* a, const char* b) {
  struct stat sa, sb;
  return ::stat(a, &sa) == 0 && ::stat(b, &sb) == 0 && sa.st_dev == sb.st_dev;
}

void mount_if_absent(const char* src, const char* dir, const char* type, const char* opts) {
  ::mkdir(dir, 0755);
  if (!same_device(dir, "/")) return;  // something is mounted there already
  if (::mount(src, dir, type, 0, opts) != 0) diag("mounting ", type, std::strerror(errno));
}

void init_setup() {
  // /dev holds the serial ports an --output may name.
  mount_if_absent("devtmpfs", "/dev", "devtmpfs", nullptr);
  // Without a console in the initramfs the kernel starts init with no open descriptors.
  if (::fcntl(1, F_GETFD) < 0) {
    int fd = ::open("/dev/console", O_RDWR);
    if (fd >= 0) {
      for (int i = 0; i < 3; ++i)
        if (fd != i) ::dup2(fd, i);
      if (fd > 2) ::close(fd);
    }
  }
  if (::access("/proc/self/stat", F_OK) != 0) {
    ::mkdir("/proc", 0555);
    if (::mount("proc", "/proc", "proc", 0, nullptr) != 0) diag("mounting proc: ", std::strerror(errno));
  }
  mount_if_absent("sysfs", "/sys", "sysfs", nullptr);
  mount_if_absent("tmpfs", "/tmp", "tmpfs", "mode=1777");
}

[[noreturn]] void init_poweroff() {
  ::sync();
  ::reboot(RB_POWER_OFF);
  // Process 1 must not exit (the kernel would panic); if power-off failed, wait forever.
  for (;;) ::pause();
}

// ---- the scenario list ----------------------------------------------------------------------

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Every *.mmt file below dir (recursively) appended to out; false with *err on a read error.
bool list_traces(const std::string& dir, std::vector<std::string>* out, int* err) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    *err = errno;
    return false;
  }
  std::vector<std::string> found;
  bool ok = true;
  while (struct dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir;
    if (path.empty() || path.back() != '/') path.push_back('/');
    path.append(name);
    if (is_directory(path)) {
      std::vector<std::string> sub;
      if (!list_traces(path, &sub, err)) ok = false;
      found.insert(found.end(), sub.begin(), sub.end());
    } else if (name.size() > 4 && name.substr(name.size() - 4) == ".mmt") {
      found.push_back(std::move(path));
    }
  }
  ::closedir(d);
  std::sort(found.begin(), found.end());
  out->insert(out->end(), found.begin(), found.end());
  return ok;
}

// ---- re-exec without randomization ----------------------------------------------------------

void reexec_without_aslr(char** argv) {
  int cur = ::personality(0xffffffff);
  if (cur == -1 || (cur & ADDR_NO_RANDOMIZE) != 0) return;
  if (::personality(static_cast<unsigned long>(cur) | ADDR_NO_RANDOMIZE) == -1) {
    diag("personality(ADDR_NO_RANDOMIZE) failed: ", std::strerror(errno),
         "; running with randomization");
    return;
  }
  ::execv("/proc/self/exe", argv);
  diag("re-exec through /proc/self/exe failed: ", std::strerror(errno),
       "; running with randomization");
  ::personality(static_cast<unsigned long>(cur));
}

// ---- one scenario ---------------------------------------------------------------------------

bool read_file(const std::string& path, std::string* text, int* err) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = errno;
    return false;
  }
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      ::close(fd);
      return false;
    }
    if (r == 0) break;
    text->append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  return true;
}

double now_seconds() {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Waits for the child until the deadline. True with *status filled if it ended.
bool wait_child(pid_t pid, double timeout, int* status) {
  const double deadline = now_seconds() + timeout;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    pid_t w = ::waitpid(pid, status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      *status = 0;
      break;
    }
    double left = deadline - now_seconds();
    if (left <= 0) {
      if (pidfd >= 0) ::close(pidfd);
      return false;
    }
    if (pidfd >= 0) {
      struct pollfd p = {pidfd, POLLIN, 0};
      double ms = left * 1000.0 + 1.0;
      ::poll(&p, 1, ms > 1e9 ? 1000000000 : static_cast<int>(ms));
    } else {  // kernels before 5.3: poll the child every millisecond
      struct timespec ts = {0, 1000000};
      ::nanosleep(&ts, nullptr);
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return true;
}

void report_status(int status) {
  if (WIFEXITED(status)) {
    if (WEXITSTATUS(status) == 0)
      g_out.str("exit 0");
    else
      g_out.str("exit code ").dec(static_cast<std::uint64_t>(WEXITSTATUS(status)));
  } else if (WIFSIGNALED(status)) {
    g_out.str("exit signal ").dec(static_cast<std::uint64_t>(WTERMSIG(status)));
  } else {
    g_out.str("exit code ").dec(static_cast<std::uint64_t>(status & 0xffff));
  }
  g_out.end_line();
}

void run_file(const std::string& path, double timeout) {
  g_out.str("scenario ").text(path).end_line();
  std::string text;
  int err = 0;
  if (!read_file(path, &text, &err)) {
    g_out.str("error cannot read ").text(path).str(": ").text(std::strerror(err)).end_line();
    g_out.str("exit not-run").end_line();
    return;
  }
  tr::ParseResult pr = tr::parse(text, path);
  if (!pr.trace) {
    g_out.str("error ")
        .text(pr.error ? pr.error->str() : path + ": error: the trace did not parse")
        .end_line();
    g_out.str("exit not-run").end_line();
    return;
  }
  // The child writes to the same descriptor: nothing of ours may still be buffered.
  g_out.flush();
  pid_t pid = ::fork();
  if (pid < 0) {
    g_out.str("error fork failed: ").text(std::strerror(errno)).end_line();
    g_out.str("exit not-run").end_line();
    return;
  }
  if (pid == 0) mmspec::live::run_scenario_child(*pr.trace);
  int status = 0;
  if (!wait_child(pid, timeout, &status)) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // The child may have been stopped in the middle of a record.
    g_out.end_line();
    g_out.str("exit timeout").end_line();
    return;
  }
  if (WIFSIGNALED(status)) g_out.end_line();  // same: a signal may cut a record short
  report_status(status);
}

}  // namespace

int main(int argc, char** argv) {
  bool reexec = true;
  double timeout = 10.0;
  const char* output = nullptr;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      write_fd(1, kUsage);
      return 0;
    } else if (a == "--no-reexec") {
      reexec = false;
    } else if (a == "--timeout" || a == "--output") {
      if (i + 1 >= argc) {
        diag(a, " needs a value");
        write_fd(2, kUsage);
        return 2;
      }
      const char* v = argv[++i];
      if (a == "--output") {
        output = v;
        continue;
      }
      char* end = nullptr;
      errno = 0;
      timeout = std::strtod(v, &end);
      if (errno != 0 || end == v || *end != '\0' || !(timeout > 0) || timeout > 1e6) {
        diag("--timeout needs a positive number of seconds, got '", v, "'");
        return 2;
      }
    } else if (a == "--") {
      for (++i; i < argc; ++i) files.emplace_back(argv[i]);
    } else if (a.size() > 1 && a[0] == '-') {
      diag("unknown option ", a);
      write_fd(2, kUsage);
      return 2;
    } else {
      files.emplace_back(a);
    }
  }
  const bool init = ::getpid() == 1;
  if (init) init_setup();
  if (files.empty()) {
    diag("no trace given");
    write_fd(2, kUsage);
    if (init) init_poweroff();
    return 2;
  }
  if (reexec) reexec_without_aslr(argv);
  if (output != nullptr) {
    int fd = ::open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) {
      diag("cannot open ", output, std::string(": ") + std::strerror(errno));
      if (init) init_poweroff();
      return 2;
    }
    ::dup2(fd, 1);  // dup2 clears O_CLOEXEC on the copy
    ::close(fd);
    // A serial port would turn every newline into CR LF: pass the records through unchanged.
    struct termios tio;
    if (::tcgetattr(1, &tio) == 0) {
      ::cfmakeraw(&tio);
      ::tcsetattr(1, TCSANOW, &tio);
    }
  }
  // Directories stand for the traces below them.
  std::vector<std::string> traces;
  for (const std::string& f : files) {
    if (!is_directory(f)) {
      traces.push_back(f);
      continue;
    }
    int err = 0;
    if (!list_traces(f, &traces, &err))
      diag("cannot read directory ", f, std::string(": ") + std::strerror(err));
  }
  // A reader that goes away must not kill us with SIGPIPE in the middle of a scenario.
  ::signal(SIGPIPE, SIG_IGN);

  g_out.str("mmspec-live 1").end_line();
  for (const std::string& f : traces) run_file(f, timeout);
  g_out.str("done").end_line();
  g_out.flush();
  // Power-off does not wait for a serial port to send what is still queued.
  if (::isatty(1)) ::tcdrain(1);
  if (init) init_poweroff();
  return g_out.failed() ? 1 : 0;
}
