// mmspec check: every scenario on the model and, through mmspec-live in a child process, on the
// running kernel; a table of who met the expectations and whether the two agree.
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "common.hpp"
#include "mmspec/live_output.hpp"

namespace mmspec::cli {
namespace {

std::string find_live(const std::string& opt) {
  if (!opt.empty()) return opt;
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    const std::filesystem::path p = std::filesystem::path(buf).parent_path() / "mmspec-live";
    if (std::filesystem::exists(p)) return p.string();
  }
  return "mmspec-live";
}

// Run the agent and capture its standard output. Returns false with a message on failure.
bool run_agent(const std::string& live, int timeout, const std::vector<std::string>& files,
               std::string& out, std::string& why) {
  int fds[2];
  if (pipe(fds) != 0) {
    why = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::vector<std::string> args = {live, "--timeout", std::to_string(timeout)};
  args.insert(args.end(), files.begin(), files.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    why = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "mmspec: cannot run %s: %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
    why = "could not execute " + live + " (build it, or pass --live PATH)";
    return false;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    why = live + " ended abnormally (status " + std::to_string(st) + ")";
    if (out.empty()) return false;
  }
  return true;
}

// The profile that describes a kernel release ("6.18.44-..." -> linux-6.18).
std::optional<Profile> profile_for_release(const std::string& rel) {
  if (rel.rfind("6.18", 0) == 0) return Profile::linux_6_18;
  if (rel.rfind("5.10", 0) == 0) return Profile::linux_5_10;
  return std::nullopt;
}

std::string status_word(std::size_t n) { return n == 0 ? "ok" : std::to_string(n) + " fail"; }

}  // namespace

int cmd_check(const std::vector<std::string>& args, const std::string& live_opt, int timeout,
              bool json, bool verbose, bool skip_unsupported) {
  struct utsname u {};
  uname(&u);
  const bool supported = std::strcmp(u.sysname, "Linux") == 0 && std::strcmp(u.machine, "x86_64") == 0;
  if (!supported) {
    std::cerr << "mmspec check: the live kernel check needs Linux on x86-64 (this is " << u.sysname
              << " " << u.machine << ")\n";
    return skip_unsupported ? EXIT_SKIP : EXIT_ENV;
  }
  std::vector<std::string> paths = expand_paths(
      args.empty() ? std::vector<std::string>{std::filesystem::exists("tests/scenarios")
                                                  ? "tests/scenarios"
                                                  : std::string(MMSPEC_SOURCE_DIR) + "/tests/scenarios"}
                   : args);
  std::vector<Loaded> loaded;
  std::vector<trace::Trace> traces;
  std::vector<std::string> good;
  int parse_errors = 0;
  for (const auto& p : paths) {
    Loaded l = load_trace(p);
    if (l.error) {
      std::cerr << l.error->str() << "\n";
      ++parse_errors;
      continue;
    }
    traces.push_back(*l.trace);
    good.push_back(p);
    loaded.push_back(std::move(l));
  }
  if (good.empty()) {
    std::cerr << "mmspec check: no scenario to run\n";
    return parse_errors ? EXIT_USAGE : EXIT_ENV;
  }
  std::string out, why;
  const std::string live = find_live(live_opt);
  if (!run_agent(live, timeout, good, out, why)) {
    std::cerr << "mmspec check: " << why << "\n";
    return EXIT_ENV;
  }
  conformance::LiveParseResult lr = conformance::parse_live_output(out, traces);
  if (!lr.output) {
    std::cerr << "mmspec check: cannot read the agent's output: " << lr.error->str() << "\n";
    return EXIT_ENV;
  }
  std::string release = u.release;
  for (const auto& s : lr.output->scenarios)
    if (s.layout && !s.layout->release.empty()) release = s.layout->release;
  std::optional<Profile> kp = profile_for_release(release);
  if (!kp) {
    std::cerr << "mmspec check: no profile for kernel " << release << "; comparing with "
              << profile_name(default_profile) << "\n";
    kp = default_profile;
  }
  const std::string kname = profile_name_of(*kp);

  std::size_t agree = 0, disagree = 0, model_ok = 0, kernel_ok = 0;
  int width = 10;
  for (const auto& sc : lr.output->scenarios) width = std::max(width, static_cast<int>(sc.path.size()) + 2);
  nlohmann::json rows = nlohmann::json::array();
  if (!json) {
    std::cout << "kernel " << release << " (profile " << kname << ")\n";
    std::cout << std::left << std::setw(width) << "scenario" << std::setw(10) << "model"
              << std::setw(10) << "kernel" << "agree\n";
  }
  for (const auto& sc : lr.output->scenarios) {
    const trace::Trace* t = sc.trace;
    if (!t) continue;
    std::vector<Mismatch> kernel_m, model_m, diffs;
    std::vector<std::string> notes;
    if (!sc.comparable()) {
      for (const auto& e : sc.errors) notes.push_back("agent: " + e);
      for (const auto& r : sc.refused)
        notes.push_back("agent refused line " + std::to_string(t->ops[r.op].loc.line) + ": " + r.reason);
      if (sc.exit.kind != conformance::LiveExit::Kind::ok) notes.push_back("agent child did not exit cleanly");
      if (notes.empty()) notes.push_back("agent reported an incomplete run");
    }
    kernel_m = check_expectations(*t, sc.obs, kname);
    conformance::ModelOptions o;
    o.profile = kp;
    if (sc.layout && sc.has_initial) {
      o.layout = &*sc.layout;
      o.initial = &sc.obs.initial;
    }
    const conformance::ModelRun run = run_model(*t, o);
    model_m = check_expectations(*t, run.obs, kname);
    for (const auto& v : run.violations) notes.push_back("model invariant: " + v);
    if (sc.comparable()) diffs = compare_observations(*t, run.obs, sc.obs, "model", "kernel");
    const bool ok = notes.empty() && diffs.empty() && kernel_m.empty() && model_m.empty();
    ok ? ++agree : ++disagree;
    if (model_m.empty()) ++model_ok;
    if (kernel_m.empty() && sc.comparable()) ++kernel_ok;
    if (json) {
      auto arr = [](const std::vector<Mismatch>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& m : v) a.push_back(mismatch_json(m));
        return a;
      };
      rows.push_back({{"scenario", sc.path}, {"agree", ok}, {"model", arr(model_m)},
                      {"kernel", arr(kernel_m)}, {"differences", arr(diffs)}, {"notes", notes}});
      continue;
    }
    std::cout << std::left << std::setw(width) << sc.path << std::setw(10) << status_word(model_m.size())
              << std::setw(10) << (sc.comparable() ? status_word(kernel_m.size()) : "error")
              << (ok ? "yes" : "NO") << "\n";
    if (!ok || verbose) {
      for (const auto& n : notes) std::cout << "  " << n << "\n";
      for (const auto& m : model_m) {
        std::cout << "  model:";
        print_mismatch(sc.path, m);
      }
      for (const auto& m : kernel_m) {
        std::cout << "  kernel:";
        print_mismatch(sc.path, m);
      }
      for (const auto& m : diffs) print_mismatch(sc.path, m);
    }
  }
  const std::size_t total = agree + disagree;
  if (json) {
    std::cout << nlohmann::json{{"kernel", {{"release", release}, {"profile", kname}}},
                                {"scenarios", rows},
                                {"totals",
                                 {{"scenarios", total}, {"agree", agree}, {"disagree", disagree},
                                  {"model_expectations_met", model_ok},
                                  {"kernel_expectations_met", kernel_ok},
                                  {"parse_errors", parse_errors}}}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << total << " scenarios: " << agree << " agree, " << disagree << " disagree"
              << " (expectations met: model " << model_ok << "/" << total << ", kernel " << kernel_ok
              << "/" << total << ")";
    if (parse_errors) std::cout << "; " << parse_errors << " did not parse";
    std::cout << "\n";
  }
  if (parse_errors) return EXIT_USAGE;
  return disagree ? EXIT_MISMATCH : EXIT_OK;
}

}  // namespace mmspec::cli
