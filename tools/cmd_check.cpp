// mmspec check: every scenario on the model and on a kernel — the running one, through
// mmspec-live in a child process, or a Debian kernel booted under qemu with mmspec-live as its
// init (docs/kernels.md); a table per kernel of who met the expectations and whether model and
// kernel agree, and with several kernels a matrix of the scenarios whose kernel outcomes differ.
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "common.hpp"
#include "mmspec/kernel_outcome.hpp"
#include "mmspec/live_output.hpp"
#include "mmspec/qemu_kernel.hpp"

namespace mmspec::cli {
namespace {

namespace fs = std::filesystem;

std::string find_live(const std::string& opt) {
  if (!opt.empty()) return opt;
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    const fs::path p = fs::path(buf).parent_path() / "mmspec-live";
    if (fs::exists(p)) return p.string();
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

// The profile that describes a kernel release ("6.18.44-..." -> linux-6.18, "5.10.0-32-amd64"
// -> linux-5.10): linux-MAJOR.MINOR, if the model has it.
std::optional<Profile> profile_for_release(const std::string& rel) {
  const std::size_t dot = rel.find('.');
  if (dot == std::string::npos) return std::nullopt;
  std::size_t end = dot + 1;
  while (end < rel.size() && std::isdigit(static_cast<unsigned char>(rel[end]))) ++end;
  return parse_profile("linux-" + rel.substr(0, end));
}

std::string status_word(std::size_t n) { return n == 0 ? "ok" : std::to_string(n) + " fail"; }

std::string source_dir() { return MMSPEC_SOURCE_DIR; }

// The names of kernels/kernels.conf (first column), in order.
std::vector<std::string> configured_kernels(std::string& why) {
  const std::string path = source_dir() + "/kernels/kernels.conf";
  std::ifstream in(path);
  if (!in) {
    why = "cannot read " + path + " (the list of qemu kernels)";
    return {};
  }
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string name;
    if (ls >> name && name[0] != '#') names.push_back(name);
  }
  return names;
}

// The image of NAME that scripts/kernels keeps: the uncompressed vmlinux (qemu boots it through
// its PVH entry, seconds faster under TCG) if there is one, else the vmlinuz.
std::string kernel_image(const std::string& name) {
  const char* env = std::getenv("MMSPEC_KERNEL_CACHE");
  std::string cache = env && *env ? env : "build/kernels";
  if (cache[0] != '/') cache = source_dir() + "/" + cache;
  const std::string dir = cache + "/" + name;
  return fs::exists(dir + "/vmlinux") ? dir + "/vmlinux" : dir + "/vmlinuz";
}

std::string fmt_seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", s);
  return b;
}

// One kernel's run: how it went and, if it ran, the table rows.
struct KernelResult {
  std::string name;     // "live", "linux-5.10"
  enum class Status { ran, skipped, error } status = Status::error;
  std::string message;  // skipped/error: what went wrong and what to do
  std::string release;  // as the agent's layout record says
  std::string how;      // "running kernel" or "qemu (tcg)"
  std::optional<Profile> profile;
  double seconds = 0;
  conformance::LiveOutput output;
  std::size_t agree = 0, disagree = 0, model_ok = 0, kernel_ok = 0;
  nlohmann::json rows = nlohmann::json::array();
};

struct Suite {
  std::vector<Loaded> loaded;
  std::vector<trace::Trace> traces;
  std::vector<std::string> paths;
  int parse_errors = 0;
};

// Obtain the agent's records for one kernel, parsed; sets status/message on failure.
void run_kernel(KernelResult& k, const Suite& s, const CheckOptions& o) {
  std::string out;
  std::vector<std::string> guest;
  if (k.name == "live") {
    std::string why;
    k.how = "running kernel";
    const std::string live = find_live(o.live);
    if (!run_agent(live, o.timeout, s.paths, out, why)) {
      k.message = why;
      return;
    }
  } else {
    k.how = "qemu (" + o.accel + ")";
    k.profile = parse_profile(k.name);
    if (!k.profile) {
      k.message = "the model has no profile " + k.name +
                  " (mmspec run --profile lists the known ones); add it to the model before checking this kernel";
      return;
    }
    const std::string image = kernel_image(k.name);
    if (!fs::exists(image)) {
      k.status = KernelResult::Status::skipped;
      k.message = "kernel image " + image + " is missing: run scripts/kernels fetch " + k.name;
      return;
    }
    if (!conformance::program_available(o.qemu)) {
      k.status = KernelResult::Status::skipped;
      k.message = o.qemu + " is not installed: install qemu-system-x86 (scripts/install-deps)";
      return;
    }
    conformance::QemuConfig qc;
    qc.qemu = o.qemu;
    qc.kernel = image;
    qc.agent = find_live(o.live);
    if (qc.agent.find('/') == std::string::npos) {
      k.message = "cannot find the static mmspec-live beside mmspec: build it, or pass --live PATH";
      return;
    }
    for (const auto& l : s.loaded) qc.scenarios.push_back(l.text);
    qc.scenario_timeout = o.timeout;
    qc.vm_timeout = o.vm_timeout;
    qc.accel = o.accel;
    std::cerr << "mmspec check: booting " << k.name << " under qemu with " << s.paths.size()
              << " scenarios...\n";
    conformance::QemuRun r = conformance::run_in_qemu(qc);
    k.seconds = r.seconds;
    if (!r.ok) {
      k.message = "booting " + k.name + " (" + image + ") under qemu: " + r.error;
      return;
    }
    out = std::move(r.records);
    guest = std::move(r.guest_paths);
  }
  // Guest paths map back to the scenarios by position; live paths are the host paths.
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < s.paths.size(); ++i) index[guest.empty() ? s.paths[i] : guest[i]] = i;
  conformance::TraceLookup lookup = [&](std::string_view p) -> const trace::Trace* {
    auto it = index.find(p);
    return it == index.end() ? nullptr : &s.traces[it->second];
  };
  conformance::LiveParseResult lr = conformance::parse_live_output(out, lookup);
  if (!lr.output) {
    k.message = "cannot read the agent's output: " + lr.error->str();
    return;
  }
  k.output = std::move(*lr.output);
  for (auto& sc : k.output.scenarios) {
    auto it = index.find(sc.path);
    if (it != index.end()) sc.path = s.paths[it->second];
  }
  k.status = KernelResult::Status::ran;
  k.release = "unknown";
  for (const auto& sc : k.output.scenarios)
    if (sc.layout && !sc.layout->release.empty()) k.release = sc.layout->release;
  if (k.name == "live") {
    if (k.release == "unknown") {
      struct utsname u {};
      uname(&u);
      k.release = u.release;
    }
    k.profile = profile_for_release(k.release);
    if (!k.profile) {
      std::cerr << "mmspec check: no profile for kernel " << k.release << "; comparing with "
                << profile_name(default_profile) << "\n";
      k.profile = default_profile;
    }
  }
}

// The agreement table of one kernel (text), or its rows (json).
void tabulate(KernelResult& k, const CheckOptions& o, bool multi) {
  const std::string kname = profile_name_of(*k.profile);
  int width = 10;
  for (const auto& sc : k.output.scenarios) width = std::max(width, static_cast<int>(sc.path.size()) + 2);
  if (!o.json) {
    if (multi)
      std::cout << "== " << k.name << ": kernel " << k.release << " (profile " << kname << "), "
                << k.how;
    else
      std::cout << "kernel " << k.release << " (profile " << kname << ")";
    if (k.seconds > 0) std::cout << ", booted and ran " << k.output.scenarios.size() << " scenarios in "
                                 << fmt_seconds(k.seconds) << " s";
    std::cout << "\n" << std::left << std::setw(width) << "scenario" << std::setw(10) << "model"
              << std::setw(10) << "kernel" << "agree\n";
  }
  for (const auto& sc : k.output.scenarios) {
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
    conformance::ModelOptions mo;
    mo.profile = k.profile;
    if (sc.layout && sc.has_initial) {
      mo.layout = &*sc.layout;
      mo.initial = &sc.obs.initial;
    }
    const conformance::ModelRun run = run_model(*t, mo);
    model_m = check_expectations(*t, run.obs, kname);
    for (const auto& v : run.violations) notes.push_back("model invariant: " + v);
    if (sc.comparable()) diffs = compare_observations(*t, run.obs, sc.obs, "model", "kernel");
    const bool ok = notes.empty() && diffs.empty() && kernel_m.empty() && model_m.empty();
    ok ? ++k.agree : ++k.disagree;
    if (model_m.empty()) ++k.model_ok;
    if (kernel_m.empty() && sc.comparable()) ++k.kernel_ok;
    if (o.json) {
      auto arr = [](const std::vector<Mismatch>& v) {
        nlohmann::json a = nlohmann::json::array();
        for (const auto& m : v) a.push_back(mismatch_json(m));
        return a;
      };
      k.rows.push_back({{"scenario", sc.path}, {"agree", ok}, {"model", arr(model_m)},
                        {"kernel", arr(kernel_m)}, {"differences", arr(diffs)}, {"notes", notes}});
      continue;
    }
    std::cout << std::left << std::setw(width) << sc.path << std::setw(10) << status_word(model_m.size())
              << std::setw(10) << (sc.comparable() ? status_word(kernel_m.size()) : "error")
              << (ok ? "yes" : "NO") << "\n";
    if (!ok || o.verbose) {
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
  const std::size_t total = k.agree + k.disagree;
  if (!o.json) {
    std::cout << total << " scenarios: " << k.agree << " agree, " << k.disagree << " disagree"
              << " (expectations met: model " << k.model_ok << "/" << total << ", kernel "
              << k.kernel_ok << "/" << total << ")";
    if (multi) std::cout << " on " << k.name;
    std::cout << "\n";
  }
}

nlohmann::json totals_json(const KernelResult& k, int parse_errors) {
  return {{"scenarios", k.agree + k.disagree}, {"agree", k.agree}, {"disagree", k.disagree},
          {"model_expectations_met", k.model_ok}, {"kernel_expectations_met", k.kernel_ok},
          {"parse_errors", parse_errors}};
}

// One scenario whose kernel outcomes differ: per differing item, each kernel's outcome.
struct Difference {
  std::string scenario;
  struct Item {
    std::string where;
    std::vector<std::string> per_kernel;  // aligned with the kernels that ran
  };
  std::vector<Item> items;
  // Per kernel that ran: a letter naming its whole outcome; kernels with the same letter did the
  // same (A for the first kernel, B for the next different outcome, ...).
  std::string classes;
};

std::vector<Difference> kernel_differences(const Suite& s, const std::vector<const KernelResult*>& ran) {
  std::vector<Difference> out;
  for (std::size_t i = 0; i < s.paths.size(); ++i) {
    std::vector<std::vector<conformance::OutcomeItem>> outcomes;
    for (const KernelResult* k : ran) {
      const conformance::LiveScenario* sc = nullptr;
      for (const auto& x : k->output.scenarios)
        if (x.path == s.paths[i]) sc = &x;
      if (sc && sc->trace && sc->comparable())
        outcomes.push_back(conformance::kernel_outcome(*sc->trace, sc->obs));
      else
        outcomes.push_back({{"run", "(no complete run)"}});
    }
    Difference d{s.paths[i], {}, {}};
    // Items are aligned by `where`, in the order of the first kernel's outcome.
    std::vector<std::string> wheres;
    for (const auto& oc : outcomes)
      for (const auto& it : oc)
        if (std::find(wheres.begin(), wheres.end(), it.where) == wheres.end()) wheres.push_back(it.where);
    for (const auto& w : wheres) {
      Difference::Item item{w, {}};
      for (const auto& oc : outcomes) {
        auto it = std::find_if(oc.begin(), oc.end(), [&](const auto& x) { return x.where == w; });
        item.per_kernel.push_back(it == oc.end() ? "-" : it->what);
      }
      if (std::adjacent_find(item.per_kernel.begin(), item.per_kernel.end(), std::not_equal_to<>()) !=
          item.per_kernel.end())
        d.items.push_back(std::move(item));
    }
    if (d.items.empty()) continue;
    std::vector<std::string> seen;
    for (std::size_t j = 0; j < ran.size(); ++j) {
      std::string whole;
      for (const auto& it : d.items) whole += it.per_kernel[j] + "\n";
      auto at = std::find(seen.begin(), seen.end(), whole);
      if (at == seen.end()) at = seen.insert(seen.end(), whole);
      d.classes.push_back(static_cast<char>('A' + (at - seen.begin())));
    }
    out.push_back(std::move(d));
  }
  return out;
}

void print_differences(const std::vector<Difference>& diffs, const std::vector<const KernelResult*>& ran,
                       bool verbose) {
  std::cout << "== differences between kernels: " << diffs.size() << " scenario"
            << (diffs.size() == 1 ? "" : "s") << " whose kernel outcomes differ; the same letter in a row "
            << "is the same outcome (";
  for (std::size_t j = 0; j < ran.size(); ++j)
    std::cout << (j ? ", " : "") << ran[j]->name << " = " << ran[j]->release;
  std::cout << ")\n";
  std::size_t w = 6, sw = 8;
  for (const KernelResult* k : ran) w = std::max(w, k->name.size());
  for (const auto& d : diffs) sw = std::max(sw, d.scenario.size());
  // The matrix: a letter per kernel, the same letter for the same outcome.
  std::cout << std::left << std::setw(static_cast<int>(sw + 2)) << "scenario";
  for (const KernelResult* k : ran) std::cout << std::setw(static_cast<int>(w + 2)) << k->name;
  std::cout << "\n";
  for (const auto& d : diffs) {
    std::cout << std::setw(static_cast<int>(sw + 2)) << d.scenario;
    for (std::size_t j = 0; j < ran.size(); ++j)
      std::cout << std::setw(static_cast<int>(w + 2)) << std::string(1, d.classes[j]);
    std::cout << "\n";
  }
  std::cout << "what each kernel did, where they differ:\n";
  for (const auto& d : diffs) {
    std::cout << d.scenario << "\n";
    const std::size_t shown = verbose ? d.items.size() : std::min<std::size_t>(d.items.size(), 3);
    for (std::size_t i = 0; i < shown; ++i) {
      std::cout << "  " << d.items[i].where << ":\n";
      for (std::size_t j = 0; j < ran.size(); ++j)
        std::cout << "    " << std::left << std::setw(static_cast<int>(w)) << ran[j]->name << "  "
                  << d.items[i].per_kernel[j] << "\n";
    }
    if (shown < d.items.size()) std::cout << "  ... " << d.items.size() - shown << " more (-v shows all)\n";
  }
}

}  // namespace

int cmd_check(const std::vector<std::string>& args, const CheckOptions& o) {
  struct utsname u {};
  uname(&u);
  const bool supported = std::strcmp(u.sysname, "Linux") == 0 && std::strcmp(u.machine, "x86_64") == 0;
  if (!supported) {
    std::cerr << "mmspec check: running the agent needs Linux on x86-64 (this is " << u.sysname
              << " " << u.machine << ")\n";
    return o.skip_unsupported ? EXIT_SKIP : EXIT_ENV;
  }
  // Which kernels: none named is the running kernel alone, with the single-table output.
  const bool multi = !o.kernels.empty();
  std::vector<std::string> names;
  if (!multi) names.push_back("live");
  for (const auto& n : o.kernels) {
    std::vector<std::string> add;
    if (n == "all" || n != "live") {
      std::string why;
      const std::vector<std::string> conf = configured_kernels(why);
      if (conf.empty()) {
        std::cerr << "mmspec check: " << why << "\n";
        return EXIT_ENV;
      }
      if (n == "all") {
        add.push_back("live");
        add.insert(add.end(), conf.begin(), conf.end());
      } else if (std::find(conf.begin(), conf.end(), n) != conf.end()) {
        add.push_back(n);
      } else {
        std::cerr << "mmspec check: unknown kernel '" << n << "'; use live, all, or one of:";
        for (const auto& c : conf) std::cerr << " " << c;
        std::cerr << " (kernels/kernels.conf)\n";
        return EXIT_USAGE;
      }
    } else {
      add.push_back("live");
    }
    for (auto& a : add)
      if (std::find(names.begin(), names.end(), a) == names.end()) names.push_back(a);
  }

  Suite s;
  const std::vector<std::string> paths = expand_paths(
      args.empty() ? std::vector<std::string>{fs::exists("tests/scenarios") ? "tests/scenarios"
                                                                            : source_dir() + "/tests/scenarios"}
                   : args);
  for (const auto& p : paths) {
    Loaded l = load_trace(p);
    if (l.error) {
      std::cerr << l.error->str() << "\n";
      ++s.parse_errors;
      continue;
    }
    s.traces.push_back(*l.trace);
    s.paths.push_back(p);
    s.loaded.push_back(std::move(l));
  }
  if (s.paths.empty()) {
    std::cerr << "mmspec check: no scenario to run\n";
    return s.parse_errors ? EXIT_USAGE : EXIT_ENV;
  }

  std::vector<KernelResult> results;
  for (const auto& n : names) {
    KernelResult k;
    k.name = n;
    run_kernel(k, s, o);
    if (k.status == KernelResult::Status::ran) {
      tabulate(k, o, multi);
      if (!o.json && multi) std::cout << "\n";
    } else {
      std::cerr << "mmspec check: " << (k.status == KernelResult::Status::skipped ? "skipped " : "")
                << n << ": " << k.message << "\n";
    }
    results.push_back(std::move(k));
  }

  std::vector<const KernelResult*> ran;
  std::size_t disagree = 0, skipped = 0, errors = 0;
  for (const auto& k : results) {
    if (k.status == KernelResult::Status::ran) {
      ran.push_back(&k);
      disagree += k.disagree;
    } else if (k.status == KernelResult::Status::skipped) {
      ++skipped;
    } else {
      ++errors;
    }
  }
  const std::vector<Difference> diffs = ran.size() >= 2 ? kernel_differences(s, ran) : std::vector<Difference>{};

  if (!multi) {
    const KernelResult& k = results.front();
    if (k.status != KernelResult::Status::ran) return EXIT_ENV;
    if (o.json) {
      std::cout << nlohmann::json{{"kernel", {{"release", k.release}, {"profile", profile_name_of(*k.profile)}}},
                                  {"scenarios", k.rows},
                                  {"totals", totals_json(k, s.parse_errors)}}
                       .dump(2)
                << "\n";
    } else if (s.parse_errors) {
      std::cout << s.parse_errors << " did not parse\n";
    }
    if (s.parse_errors) return EXIT_USAGE;
    return k.disagree ? EXIT_MISMATCH : EXIT_OK;
  }

  if (o.json) {
    nlohmann::json ks = nlohmann::json::array();
    for (const auto& k : results) {
      const char* st = k.status == KernelResult::Status::ran       ? "ran"
                       : k.status == KernelResult::Status::skipped ? "skipped"
                                                                   : "error";
      nlohmann::json j = {{"name", k.name}, {"status", st}, {"how", k.how}};
      if (k.status == KernelResult::Status::ran) {
        j["release"] = k.release;
        j["profile"] = profile_name_of(*k.profile);
        j["seconds"] = k.seconds;
        j["scenarios"] = k.rows;
        j["totals"] = totals_json(k, s.parse_errors);
      } else {
        j["message"] = k.message;
      }
      ks.push_back(std::move(j));
    }
    nlohmann::json dj = nlohmann::json::array();
    for (const auto& d : diffs) {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& it : d.items) {
        nlohmann::json per = nlohmann::json::object();
        for (std::size_t j = 0; j < ran.size(); ++j) per[ran[j]->name] = it.per_kernel[j];
        items.push_back({{"where", it.where}, {"outcomes", per}});
      }
      nlohmann::json cls = nlohmann::json::object();
      for (std::size_t j = 0; j < ran.size(); ++j) cls[ran[j]->name] = std::string(1, d.classes[j]);
      dj.push_back({{"scenario", d.scenario}, {"classes", cls}, {"items", items}});
    }
    std::cout << nlohmann::json{{"kernels", ks},
                                {"differences", dj},
                                {"totals",
                                 {{"kernels", results.size()}, {"ran", ran.size()}, {"skipped", skipped},
                                  {"errors", errors}, {"disagree", disagree},
                                  {"differ_between_kernels", diffs.size()},
                                  {"parse_errors", s.parse_errors}}}}
                     .dump(2)
              << "\n";
  } else {
    if (ran.size() >= 2) print_differences(diffs, ran, o.verbose);
    std::cout << "== summary\n";
    for (const auto& k : results) {
      std::cout << "  " << std::left << std::setw(12) << k.name;
      if (k.status == KernelResult::Status::ran)
        std::cout << k.agree + k.disagree << " scenarios: " << k.agree << " agree, " << k.disagree
                  << " disagree (" << k.release << ", profile " << profile_name_of(*k.profile)
                  << (k.seconds > 0 ? ", " + fmt_seconds(k.seconds) + " s" : std::string()) << ")\n";
      else
        std::cout << (k.status == KernelResult::Status::skipped ? "skipped: " : "could not run: ")
                  << k.message.substr(0, k.message.find('\n')) << "\n";
    }
    if (ran.size() >= 2) std::cout << "  " << diffs.size() << " scenarios differ between kernels\n";
    if (s.parse_errors) std::cout << "  " << s.parse_errors << " scenarios did not parse\n";
  }
  if (s.parse_errors) return EXIT_USAGE;
  // --skip-unsupported: a kernel that cannot be had (no qemu, image not fetched) is left out.
  if (ran.empty() && errors == 0 && o.skip_unsupported) return EXIT_SKIP;
  if (errors || (skipped && !o.skip_unsupported)) return EXIT_ENV;
  return disagree ? EXIT_MISMATCH : EXIT_OK;
}

}  // namespace mmspec::cli
