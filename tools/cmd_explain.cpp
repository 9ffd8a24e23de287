// mmspec explain: narrate what the model does at each step of a trace.
#include <iostream>

#include "common.hpp"
#include "mmspec/events.hpp"

namespace mmspec::cli {

int cmd_explain(const std::vector<std::string>& files, const std::string& profile_name, bool json) {
  const std::optional<Profile> forced = profile_option(profile_name);
  if (!profile_name.empty() && !forced) {
    std::cerr << "mmspec: unknown profile '" << profile_name << "' (linux-5.10, linux-6.18)\n";
    return EXIT_USAGE;
  }
  int status = EXIT_OK;
  nlohmann::json all = nlohmann::json::array();
  for (const std::string& path : expand_paths(files)) {
    Loaded l = load_trace(path);
    if (l.error) {
      std::cerr << l.error->str() << "\n";
      status = EXIT_USAGE;
      continue;
    }
    const std::optional<Profile> p = trace_profile(*l.trace, forced);
    if (!p) {
      std::cerr << path << ": error: the model has no profile '" << l.trace->profile << "'\n";
      status = EXIT_USAGE;
      continue;
    }
    ModelOptions o;
    o.profile = p;
    o.narrate = true;
    const ModelRun run = run_model(*l.trace, o);
    const trace::Trace& t = *l.trace;
    nlohmann::json steps = nlohmann::json::array();
    if (!json) std::cout << "# " << path << " (" << profile_name_of(*p) << ")\n";
    for (std::size_t i = 0; i < t.ops.size(); ++i) {
      const trace::Op& op = t.ops[i];
      const std::string text = source_line(l.text, op.loc.line);
      const trace::OpResult& r = run.obs.results[i];
      if (json) {
        nlohmann::json ev = nlohmann::json::array();
        for (const Event& e : run.events[i]) {
          nlohmann::json je = {{"kind", std::string(event_kind_name(e.kind))}, {"text", e.text}};
          if (e.kind == EventKind::merge) je["case"] = e.merge_case;
          ev.push_back(std::move(je));
        }
        steps.push_back({{"line", op.loc.line}, {"op", text}, {"result", trace::format_result(r)},
                         {"events", std::move(ev)}});
        continue;
      }
      std::cout << path << ":" << op.loc.line << ": " << text << "\n";
      for (const Event& e : run.events[i])
        std::cout << "    " << event_kind_name(e.kind) << ": " << e.text << "\n";
      if (r.kind != trace::OpResult::Kind::none)
        std::cout << "    => " << trace::format_result(r) << "\n";
      if (op.kind == trace::OpKind::expect_maps && op.maps >= 0)
        for (const auto& e : run.obs.snapshots[static_cast<std::size_t>(op.maps)])
          std::cout << "    | " << e.maps_line() << "\n";
    }
    const auto mism = check_expectations(t, run.obs, profile_name_of(*p));
    if (!mism.empty() || !run.violations.empty()) status = std::max(status, EXIT_MISMATCH);
    if (json) {
      nlohmann::json j = {{"path", path}, {"profile", profile_name_of(*p)}, {"steps", std::move(steps)}};
      j["final_maps"] = nlohmann::json::array();
      for (const auto& e : run.obs.final) j["final_maps"].push_back(e.maps_line());
      j["mismatches"] = nlohmann::json::array();
      for (const auto& m : mism) j["mismatches"].push_back(mismatch_json(m));
      j["violations"] = run.violations;
      all.push_back(std::move(j));
    } else {
      std::cout << "final /proc/PID/maps:\n" << run.final_maps;
      for (const auto& m : mism) print_mismatch(path, m);
      for (const auto& v : run.violations) std::cout << "  invariant: " << v << "\n";
    }
  }
  if (json) std::cout << all.dump(2) << "\n";
  return status;
}

}  // namespace mmspec::cli
