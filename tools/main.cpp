// mmspec: an executable specification of Linux memory management.
#include <iostream>

#include <CLI/CLI.hpp>

#include "common.hpp"

int main(int argc, char** argv) {
  using namespace mmspec::cli;
  CLI::App app{
      "mmspec: what exactly does Linux do for mmap, munmap, mprotect, mremap, mlock, madvise, brk\n"
      "and page faults? Traces (.mmt, see docs/trace-format.md) describe system calls and\n"
      "accesses; the model replays them, says which vma_merge case fired or why a merge was\n"
      "refused, and is checked against the running kernel.\n\n"
      "Exit codes: 0 all held; 1 an expectation, invariant or agreement failed; 2 usage or\n"
      "parse error; 3 a kernel could not be run; 77 check --skip-unsupported had no kernel to run."};
  app.set_version_flag("--version", "mmspec 0.1");
  app.require_subcommand(1);

  std::vector<std::string> files;
  std::string profile;
  bool json = false, quiet = false;

  CLI::App* run = app.add_subcommand("run", "Replay traces on the model and check their expectations");
  run->add_option("files", files, "Trace files or directories of *.mmt")->required();
  run->add_option("--profile", profile, "Kernel profile: linux-6.18 (default), linux-6.1 or linux-5.10");
  run->add_flag("--json", json, "Machine-readable output");
  run->add_flag("-q,--quiet", quiet, "Print only failures and the totals");
  run->footer("Example: mmspec run tests/scenarios\nPrints PASS/FAIL per trace, a diff for each mismatch, and 'N passed, N failed'.");

  CLI::App* explain = app.add_subcommand("explain", "Narrate each step: merge cases, refusals, splits, placement");
  explain->add_option("files", files, "Trace files")->required();
  explain->add_option("--profile", profile, "Kernel profile: linux-6.18 (default), linux-6.1 or linux-5.10");
  explain->add_flag("--json", json, "Machine-readable output");
  explain->footer("Example: mmspec explain tests/scenarios/merge/case6_mprotect.mmt");

  CheckOptions copt;
  CLI::App* check = app.add_subcommand(
      "check", "Run scenarios on the model and on a kernel (running, or Debian's under qemu) and compare");
  check->add_option("files", files, "Scenario files or directories (default: tests/scenarios)");
  check->add_option("--kernel", copt.kernels,
                    "Kernels to check: live (the running one), all, or a name of kernels/kernels.conf "
                    "(linux-5.10, linux-6.1) booted under qemu; repeatable or comma-separated")
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  check->add_option("--live", copt.live, "Path of the mmspec-live agent (default: beside mmspec)");
  check->add_option("--timeout", copt.timeout, "Seconds per scenario in the agent (default 10)");
  check->add_option("--vm-timeout", copt.vm_timeout,
                    "Seconds for one qemu boot-and-run before qemu is killed (default 300)");
  check->add_option("--accel", copt.accel, "qemu accelerator: tcg (default) or kvm")
      ->check(CLI::IsMember({"tcg", "kvm"}));
  check->add_option("--qemu", copt.qemu, "qemu binary (default qemu-system-x86_64)");
  check->add_flag("--json", copt.json, "Machine-readable output");
  check->add_flag("-v,--verbose", copt.verbose, "Details for agreeing scenarios too, every kernel difference");
  check->add_flag("--skip-unsupported", copt.skip_unsupported,
                  "Leave out kernels that cannot be had (not Linux x86-64, no qemu, kernel not fetched); "
                  "exit 77 when none could");
  check->footer(
      "Examples:\n"
      "  mmspec check --json > report.json          the running kernel\n"
      "  scripts/kernels fetch && mmspec check --kernel all\n"
      "                                             running kernel, Debian 5.10 and 6.1 under qemu\n"
      "With --kernel: one agreement table per kernel, then the scenarios whose kernel outcomes\n"
      "differ between kernels, then a summary. Kernel images come from scripts/kernels\n"
      "(cache: $MMSPEC_KERNEL_CACHE, default build/kernels; docs/kernels.md).");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : EXIT_USAGE;
  }
  if (*run) return cmd_run(files, profile, json, quiet);
  if (*explain) return cmd_explain(files, profile, json);
  if (*check) return cmd_check(files, copt);
  return EXIT_USAGE;
}
