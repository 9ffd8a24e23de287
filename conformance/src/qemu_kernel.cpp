// Boot-and-run of a kernel under qemu (qemu_kernel.hpp).
//
// The initramfs holds /init (the static mmspec-live) and /s/NNNN.mmt (the scenarios, numbered
// so that the kernel command line stays short and host paths stay out of the guest). The
// kernel runs /init with `--output /dev/ttyS1 /s`; the agent, as process 1, mounts what it needs,
// runs every scenario, drains the port and powers the machine off. qemu writes the first serial
// port (kernel console) and the second (records) to files in a private work directory.
#include "mmspec/qemu_kernel.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mmspec/cpio.hpp"

namespace mmspec::conformance {
namespace {

namespace fs = std::filesystem;

bool read_whole(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

bool write_whole(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

// The last `lines` lines of a log, printable characters only (the firmware clears the screen
// with escape sequences), each indented for inclusion in a message.
std::string tail(const std::string& log, int lines) {
  std::string clean;
  for (std::size_t i = 0; i < log.size(); ++i) {
    const char c = log[i];
    if (c == '\x1b') {  // skip an escape sequence up to its final letter
      while (i + 1 < log.size() && !std::isalpha(static_cast<unsigned char>(log[i + 1]))) ++i;
      ++i;
      continue;
    }
    if (c == '\n' || (c >= 0x20 && c < 0x7f)) clean.push_back(c);
  }
  while (!clean.empty() && clean.back() == '\n') clean.pop_back();
  std::size_t pos = clean.size();
  for (int n = 0; n < lines && pos != std::string::npos && pos > 0; ++n) pos = clean.rfind('\n', pos - 1);
  std::string t = (pos == std::string::npos || pos == 0) ? clean : clean.substr(pos + 1);
  std::string out;
  std::size_t start = 0;
  while (start < t.size()) {
    std::size_t e = t.find('\n', start);
    if (e == std::string::npos) e = t.size();
    out += "    | " + t.substr(start, e - start) + "\n";
    start = e + 1;
  }
  return out.empty() ? "    (empty)\n" : out;
}

std::string fmt_seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.0f", s);
  return b;
}

class WorkDir {
 public:
  WorkDir() {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/mmspec-qemu.XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~WorkDir() {
    if (path_.empty()) return;
    if (std::getenv("MMSPEC_QEMU_KEEP") != nullptr) {
      std::fprintf(stderr, "mmspec: kept the qemu work directory %s (MMSPEC_QEMU_KEEP)\n", path_.c_str());
      return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string guest_scenario_path(std::size_t index) {
  char b[32];
  std::snprintf(b, sizeof b, "/s/%04zu.mmt", index);
  return b;
}

std::string host_like_cpu() {
  std::string info, flags;
  read_whole("/proc/cpuinfo", info);
  const std::size_t at = info.find("\nflags");
  if (at != std::string::npos) flags.append(" ").append(info, at + 1, info.find('\n', at + 1) - at - 1).append(" ");
  std::string cpu = "max";
  for (const char* f : {"pku", "la57"}) {
    std::string word(" ");
    word.append(f).append(" ");
    if (flags.find(word) == std::string::npos) cpu.append(",").append(f).append("=off");
  }
  return cpu;
}

bool program_available(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= p.size()) {
    std::size_t e = p.find(':', start);
    if (e == std::string::npos) e = p.size();
    const std::string dir = e > start ? p.substr(start, e - start) : ".";
    if (::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    start = e + 1;
  }
  return false;
}

QemuRun run_in_qemu(const QemuConfig& c) {
  QemuRun r;
  // The initramfs.
  std::string agent;
  if (!read_whole(c.agent, agent) || agent.empty()) {
    r.error = "cannot read the agent " + c.agent + " (build the mmspec-live target)";
    return r;
  }
  CpioWriter cpio;
  cpio.file("init", agent, 0755);
  cpio.directory("s");
  for (std::size_t i = 0; i < c.scenarios.size(); ++i) {
    const std::string g = guest_scenario_path(i);
    cpio.file(g.substr(1), c.scenarios[i]);
    r.guest_paths.push_back(g);
  }
  WorkDir wd;
  if (wd.path().empty()) {
    r.error = std::string("cannot create a work directory under $TMPDIR or /tmp: ") + std::strerror(errno);
    return r;
  }
  if (wd.path().find(',') != std::string::npos) {
    r.error = "the work directory " + wd.path() + " has a comma, which qemu's -serial cannot take; set TMPDIR";
    return r;
  }
  const std::string initrd = wd.path() + "/initramfs.cpio", klog = wd.path() + "/kernel.log",
                    records = wd.path() + "/records.txt", qout = wd.path() + "/qemu.out";
  if (!write_whole(initrd, cpio.finish())) {
    r.error = "cannot write " + initrd + ": " + std::strerror(errno);
    return r;
  }

  char tbuf[32];
  std::snprintf(tbuf, sizeof tbuf, "%g", c.scenario_timeout);
  const std::string append = std::string("console=ttyS0 quiet panic=-1 rdinit=/init -- --timeout ") +
                             tbuf + " --output /dev/ttyS1 /s";
  std::vector<std::string> args = {c.qemu, "-accel", c.accel, "-cpu",
                                   !c.cpu.empty() ? c.cpu : c.accel == "kvm" ? "host" : host_like_cpu(),
                                   "-m", c.memory, "-nographic", "-no-reboot", "-monitor", "none",
                                   "-nic", "none", "-kernel", c.kernel, "-initrd", initrd,
                                   "-serial", "file:" + klog, "-serial", "file:" + records,
                                   "-append", append};
  for (const auto& a : args) {
    if (!r.command.empty()) r.command += ' ';
    r.command += a.find(' ') == std::string::npos ? a : "'" + a + "'";
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(qout.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::setpgid(0, 0);  // a timeout kills qemu and anything it started
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "cannot execute %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  int st = 0;
  bool timed_out = false;
  for (;;) {
    const pid_t w = ::waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (el > c.vm_timeout) {
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      timed_out = true;
      break;
    }
    struct timespec ts = {0, 20 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::string qemu_out;
  read_whole(klog, r.kernel_log);
  read_whole(records, r.records);
  read_whole(qout, qemu_out);
  const std::string logs = "  kernel log (first serial port), last lines:\n" + tail(r.kernel_log, 15) +
                           (qemu_out.empty() ? "" : "  qemu said:\n" + tail(qemu_out, 10));
  if (timed_out) {
    r.error = "qemu did not power off within " + fmt_seconds(c.vm_timeout) +
              " s and was killed (raise --vm-timeout if the machine is slow; the kernel may "
              "also have hung at boot, e.g. under nested KVM: use --accel tcg)\n" + logs;
    return r;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && r.kernel_log.empty()) {
    r.error = "cannot execute " + c.qemu + " (install qemu-system-x86: scripts/install-deps)\n" + logs;
    return r;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    r.error = "qemu failed (" +
              (WIFEXITED(st) ? "exit status " + std::to_string(WEXITSTATUS(st))
                             : "signal " + std::to_string(WTERMSIG(st))) +
              ")\n  command: " + r.command + "\n" + logs;
    return r;
  }
  if (r.records.size() < 5 || r.records.compare(r.records.size() - 5, 5, "done\n") != 0) {
    r.error = "the agent did not finish inside the guest (" + std::to_string(r.records.size()) +
              " bytes of records, no final 'done'): the kernel may have panicked or the agent "
              "crashed; the init must be the static mmspec-live (--live), and MMSPEC_QEMU_KEEP=1 "
              "keeps the records and logs for a look\n" + logs;
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace mmspec::conformance
