// Runs a trace on the model: builds the process the trace starts in (a default image, or the
// address space imported from a live process), executes every operation, and reports the same
// Observations the live kernel reports — plus, per operation, what the model narrated and any
// invariant violation found by validate_mm after the step.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mmspec/events.hpp"
#include "mmspec/live_output.hpp"
#include "mmspec/mm.hpp"
#include "mmspec/observation.hpp"
#include "mmspec/trace.hpp"

namespace mmspec::conformance {

struct ModelOptions {
  std::optional<Profile> profile;  // overrides the trace's `profile` line
  bool narrate = false;            // collect Events per op (explain)
  bool validate = true;            // validate_mm after every op
  // Start from a live process's address space and layout instead of the default image.
  const LiveLayout* layout = nullptr;
  const std::vector<trace::MapsEntry>* initial = nullptr;
};

struct ModelRun {
  Profile profile = default_profile;
  trace::Observations obs;
  std::vector<std::vector<Event>> events;  // per op (narrate only)
  std::vector<std::string> violations;     // "after line N (op): what"
  std::string final_maps;                  // /proc/PID/maps text at the end
};

// The profile a trace asks for (its `profile` line), or the default; nullopt if the model does
// not know the named profile.
std::optional<Profile> trace_profile(const trace::Trace& t, std::optional<Profile> override_);

// The default process image of a profile: what a small static program looks like right after
// exec without randomisation ([vvar] [vvar_vclock] [vdso] directly below mmap_base, [stack] at
// the top of the 47-bit window).
Mm default_process(const MmConfig& cfg);

// Opens the trace's files in mm's world as the live agent creates them (memfd-like shmem
// inodes under their trace names; `open F2 = F1` shares F1's inode): the FileId of each, in
// the order of t.files.
std::vector<FileId> open_trace_files(Mm& mm, const trace::Trace& t);

// A process built from a live agent's `layout` record and its initial maps.
Mm imported_process(Profile profile, const LiveLayout& layout,
                    const std::vector<trace::MapsEntry>& initial);

ModelRun run_model(const trace::Trace& t, const ModelOptions& opts = {});

// Convert model maps to observation entries.
std::vector<trace::MapsEntry> observe_maps(const Mm& mm);

}  // namespace mmspec::conformance
