// Another kernel as an implementation: boots a kernel image under qemu with the static
// mmspec-live as its init and the scenarios in the initramfs, and reads the agent's records back
// from the second serial port (the first one carries the kernel log). docs/kernels.md.
//
//   run_in_qemu(config) -> QemuRun {records (docs/live-protocol.md), kernel log, seconds}
#pragma once

#include <string>
#include <vector>

namespace mmspec::conformance {

struct QemuConfig {
  std::string qemu = "qemu-system-x86_64";  // looked up in PATH unless it contains a '/'
  std::string kernel;                       // bzImage / vmlinuz
  std::string agent;                        // the static mmspec-live
  std::vector<std::string> scenarios;       // the texts of the .mmt files, in order (the texts
                                            // the caller parsed: the files may change meanwhile)
  double scenario_timeout = 10;             // the agent's --timeout
  double vm_timeout = 300;                  // qemu is killed after this many seconds
  std::string accel = "tcg";                // "tcg" or "kvm"
  std::string cpu;                          // empty: host_like_cpu() (tcg) or "host" (kvm)
  std::string memory = "1G";
};

struct QemuRun {
  bool ok = false;          // qemu ran and powered off; records holds what the agent wrote
  std::string error;        // when !ok: what went wrong and what to do
  std::string records;      // the agent's output
  std::string kernel_log;   // the first serial port: kernel messages and the agent's stderr
  std::vector<std::string> guest_paths;  // per scenario: its path inside the guest
  double seconds = 0;       // wall time from starting qemu to its exit
  std::string command;      // the qemu command line, for messages
};

// The path a scenario gets inside the guest ("/s/0007.mmt" for the eighth).
std::string guest_scenario_path(std::size_t index);

// The TCG CPU model: qemu's "max" without the features user space would see differently from
// the host the running kernel is on: without pku (protection keys make PROT_EXEC-only memory
// unreadable) and without la57 (5-level paging lets a hint or MAP_FIXED above 47 bits
// succeed) unless the host's /proc/cpuinfo has them. Kernel generations are compared on the
// same (virtual) hardware.
std::string host_like_cpu();

// Whether `program` can be executed (a path, or a name found in PATH).
bool program_available(const std::string& program);

QemuRun run_in_qemu(const QemuConfig& config);

}  // namespace mmspec::conformance
