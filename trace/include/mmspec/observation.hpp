// What an implementation (the model, the live kernel, an external process) reports when it runs
// a trace: the result of every operation and the address space at each expect-maps point.
// Observations are the contract between implementations (DESIGN principle 2): they hold only
// what user space can see.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmspec/trace.hpp"

namespace mmspec::trace {

struct OpResult {
  enum class Kind : std::uint8_t { none, value, error, touch };
  Kind kind = Kind::none;   // none: set-up statements and expect-maps
  std::uint64_t value = 0;  // Kind::value
  int errnum = 0;           // Kind::error
  TouchOutcome touch = TouchOutcome::ok;

  // The value a binding receives: the value, or -errno as the kernel returns it.
  std::uint64_t raw() const {
    return kind == Kind::error ? static_cast<std::uint64_t>(-static_cast<std::int64_t>(errnum))
                               : value;
  }
  bool operator==(const OpResult&) const = default;
};

std::string format_result(const OpResult& r);  // "0x7e0000000000", "EINVAL", "SEGV_ACCERR", "-"

// One line of /proc/PID/maps, plus the smaps VmFlags of the VMA when known.
struct MapsEntry {
  std::uint64_t start = 0, end = 0;
  char perms[4] = {'-', '-', '-', 'p'};
  std::uint64_t offset = 0;
  std::uint32_t dev_major = 0, dev_minor = 0;
  std::uint64_t inode = 0;
  std::string name;     // as the kernel prints it: "", "[heap]", "/memfd:f1 (deleted)", ...
  std::string vmflags;  // smaps "VmFlags:" value, e.g. "rd wr mr mw me ac sd"; "" if unknown

  std::string perms_str() const { return std::string(perms, 4); }
  // The maps line exactly as fs/proc/task_mmu.c show_map_vma prints it.
  std::string maps_line() const;
  // Equality as the conformance check sees it: range, perms, offset, name; device and inode
  // numbers only for anonymous VMAs (file identities differ between implementations).
  bool same_vma(const MapsEntry& o) const;
  // Equality of every field, vmflags included.
  bool operator==(const MapsEntry&) const = default;
};

// Parse one /proc/PID/maps line; nullopt if it is not one.
std::optional<MapsEntry> parse_maps_line(std::string_view line);

struct Observations {
  std::vector<OpResult> results;                 // one per Trace::ops entry
  std::vector<std::vector<MapsEntry>> snapshots;  // one per Trace::maps entry (full address space)
  std::vector<MapsEntry> initial;                 // address space before the first operation
  std::vector<MapsEntry> final;                   // address space after the last operation
};

// The name /proc/PID/maps shows for a trace file: how mmspec-live creates it (memfd_create
// with the trace's file name) and how the model renders it.
std::string trace_file_path(std::string_view name);  // "/memfd:NAME (deleted)"
inline constexpr std::string_view SHMEM_ANON_PATH = "/dev/zero (deleted)";

}  // namespace mmspec::trace
