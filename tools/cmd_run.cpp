// mmspec run: replay traces on the model and check their expectations.
#include <iostream>

#include "common.hpp"

namespace mmspec::cli {

int cmd_run(const std::vector<std::string>& files, const std::string& profile_name, bool json,
            bool quiet) {
  const std::optional<Profile> forced = profile_option(profile_name);
  if (!profile_name.empty() && !forced) {
    std::cerr << "mmspec: unknown profile '" << profile_name << "' (linux-5.10, linux-6.18)\n";
    return EXIT_USAGE;
  }
  int passed = 0, failed = 0, parse_errors = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& path : expand_paths(files)) {
    Loaded l = load_trace(path);
    if (l.error) {
      ++parse_errors;
      std::cerr << l.error->str() << "\n";
      out.push_back({{"path", path}, {"status", "parse-error"}, {"error", l.error->str()}});
      continue;
    }
    const std::optional<Profile> p = trace_profile(*l.trace, forced);
    if (!p) {
      ++parse_errors;
      std::cerr << path << ": error: the model has no profile '" << l.trace->profile << "'\n";
      out.push_back({{"path", path}, {"status", "unsupported-profile"}});
      continue;
    }
    ModelOptions o;
    o.profile = p;
    const ModelRun run = run_model(*l.trace, o);
    const auto mism = check_expectations(*l.trace, run.obs, profile_name_of(*p));
    const bool ok = mism.empty() && run.violations.empty();
    ok ? ++passed : ++failed;
    if (json) {
      nlohmann::json j = {{"path", path}, {"profile", profile_name_of(*p)}, {"status", ok ? "pass" : "fail"}};
      j["mismatches"] = nlohmann::json::array();
      for (const auto& m : mism) j["mismatches"].push_back(mismatch_json(m));
      j["violations"] = run.violations;
      out.push_back(std::move(j));
      continue;
    }
    if (!ok || !quiet) std::cout << (ok ? "PASS " : "FAIL ") << path << "\n";
    for (const auto& m : mism) print_mismatch(path, m);
    for (const auto& v : run.violations) std::cout << "  " << path << ": invariant: " << v << "\n";
  }
  if (json) {
    std::cout << nlohmann::json{{"passed", passed}, {"failed", failed}, {"parse_errors", parse_errors},
                                {"traces", out}}.dump(2)
              << "\n";
  } else {
    std::cout << passed << " passed, " << failed << " failed";
    if (parse_errors) std::cout << ", " << parse_errors << " did not parse";
    std::cout << "\n";
  }
  if (parse_errors) return EXIT_USAGE;
  return failed ? EXIT_MISMATCH : EXIT_OK;
}

}  // namespace mmspec::cli
