// Reader of mmspec-live's output (docs/live-protocol.md): one LiveScenario per `scenario`
// record, with the observations aligned with the scenario's parsed trace.
//
//   parse_live_output(text, lookup) -> LiveOutput | LiveParseError (output line + expectation)
//
// The reader is strict: a record out of place, a malformed number, a result whose index or
// trace line does not match the trace, or a missing `done` is an error, because any of them
// means that the agent and the reader disagree about what was run. What the agent itself
// reports as a problem (`error`, `refused`, `unknown`, a killed child) is data, not a parse
// error: LiveScenario::comparable() says whether a scenario can be checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmspec/observation.hpp"
#include "mmspec/trace.hpp"

namespace mmspec::conformance {

// The `layout` record. Typed fields for the keys the model uses; nullopt when the agent wrote
// `unknown`. Limits use trace::RLIM_INFINITY_VALUE for `unlimited`.
struct LiveLayout {
  std::optional<std::uint64_t> task_size;
  std::optional<std::uint64_t> rlimit_stack;
  std::optional<std::uint64_t> mmap_min_addr_sysctl;
  std::optional<std::uint64_t> mmap_min_addr;  // effective
  std::optional<std::uint64_t> start_brk;
  std::optional<std::uint64_t> brk;
  std::optional<std::uint64_t> start_stack;
  std::optional<std::uint64_t> max_map_count;
  std::optional<std::uint64_t> overcommit_memory;
  bool randomized = false;
  std::string release;
  // Every key of the record (the typed ones included), value as written.
  std::map<std::string, std::string> values;

  // A hex or `unlimited` value of any key; nullopt if absent, `unknown` or not a number.
  std::optional<std::uint64_t> number(const std::string& key) const;
};

struct LiveExit {
  enum class Kind : std::uint8_t { ok, code, signal, timeout, not_run };
  Kind kind = Kind::not_run;
  int number = 0;  // Kind::code: exit status; Kind::signal: signal number
  bool operator==(const LiveExit&) const = default;
};

struct LiveRefusal {
  std::size_t op = 0;   // index into Trace::ops
  std::string reason;   // "overlaps-agent"
};

struct LiveScenario {
  std::string path;
  const mmspec::trace::Trace* trace = nullptr;  // from the lookup; null if not run
  std::optional<LiveLayout> layout;
  // results: one per Trace::ops (Kind::none where no result was reported or the op was
  // refused); snapshots: one per Trace::maps (empty where none was reported).
  mmspec::trace::Observations obs;
  std::vector<bool> reported;       // per op: a result record was read
  std::vector<bool> snapshot_seen;  // per Trace::maps entry: its snapshot was read
  bool has_initial = false, has_final = false;
  std::vector<LiveRefusal> refused;
  std::vector<std::size_t> unknown;  // ops performed with an outcome the protocol cannot name
  std::vector<std::string> errors;   // `error` records of the scenario, and cut blocks
  LiveExit exit;

  // Everything ran and was reported: initial and final snapshots, a result for every op, a
  // snapshot for every expect-maps, no refusal, no unknown outcome, no error, exit 0.
  bool comparable() const;
};

struct LiveOutput {
  int version = 0;
  std::vector<std::string> errors;  // `error` records outside any scenario
  std::vector<LiveScenario> scenarios;
};

struct LiveParseError {
  std::size_t line = 0;  // 1-based line of the output
  std::string message;   // what was expected and what was found
  std::string str() const;  // "line N: message"
};

struct LiveParseResult {
  std::optional<LiveOutput> output;
  std::optional<LiveParseError> error;
};

// The parsed trace of a scenario path as written in the `scenario` record (the path given on
// mmspec-live's command line); null when the caller has none (it failed to parse, say). A
// scenario with results needs its trace.
using TraceLookup = std::function<const mmspec::trace::Trace*(std::string_view path)>;

// Never throws on bad input. The Trace pointers in the result point into the caller's traces.
LiveParseResult parse_live_output(std::string_view text, const TraceLookup& lookup);
// Traces matched by Trace::path.
LiveParseResult parse_live_output(std::string_view text,
                                  const std::vector<mmspec::trace::Trace>& traces);

}  // namespace mmspec::conformance
