// Shared pieces of the mmspec subcommands: loading traces, exit codes, output helpers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mmspec/expect.hpp"
#include "mmspec/model_runner.hpp"
#include "mmspec/trace.hpp"

namespace mmspec::cli {
using namespace mmspec::conformance;

// Exit codes scripts can rely on (docs/cli.md).
inline constexpr int EXIT_OK = 0;          // everything held
inline constexpr int EXIT_MISMATCH = 1;    // an expectation, an invariant or an agreement failed
inline constexpr int EXIT_USAGE = 2;       // bad command line or a trace that does not parse
inline constexpr int EXIT_ENV = 3;         // the live kernel could not be run
inline constexpr int EXIT_SKIP = 77;       // check --skip-unsupported on a machine it cannot check

struct Loaded {
  std::string path;
  std::string text;
  std::optional<trace::Trace> trace;
  std::optional<trace::ParseError> error;
};

// Read and parse a file; I/O errors become a ParseError at 0:0.
Loaded load_trace(const std::string& path);

// Expand directories into their *.mmt files (sorted); keep files as given.
std::vector<std::string> expand_paths(const std::vector<std::string>& args);

// The source line `n` (1-based) of a text, without newline.
std::string source_line(const std::string& text, std::uint32_t n);

std::optional<Profile> profile_option(const std::string& name);
inline std::string profile_name_of(Profile p) { return std::string(profile_name(p)); }

nlohmann::json mismatch_json(const Mismatch& m);
void print_mismatch(const std::string& path, const Mismatch& m);

int cmd_run(const std::vector<std::string>& files, const std::string& profile, bool json, bool quiet);
int cmd_explain(const std::vector<std::string>& files, const std::string& profile, bool json);
struct CheckOptions {
  std::string live;                  // the agent (default: mmspec-live beside mmspec)
  int timeout = 10;                  // seconds per scenario in the agent
  bool json = false, verbose = false;
  bool skip_unsupported = false;     // 77 instead of 3 when a kernel cannot be had
  std::vector<std::string> kernels;  // --kernel: live, all, or names of kernels/kernels.conf
  double vm_timeout = 300;           // seconds for one qemu boot-and-run
  std::string accel = "tcg";         // qemu accelerator
  std::string qemu = "qemu-system-x86_64";
};
int cmd_check(const std::vector<std::string>& files, const CheckOptions& options);
int cmd_maps(const std::vector<std::string>& files, const std::string& profile);

}  // namespace mmspec::cli
