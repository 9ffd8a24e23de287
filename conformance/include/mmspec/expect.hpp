// Checking a trace's expectations (`-> RESULT` on operation lines, expect-maps blocks) against
// the observations of one implementation, and comparing two implementations' observations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mmspec/observation.hpp"
#include "mmspec/trace.hpp"

namespace mmspec::conformance {

struct Mismatch {
  trace::SrcLoc loc;     // the trace line the expectation (or operation) is on
  std::string what;      // one-line summary
  std::vector<std::string> expected, actual;  // lines for a readable diff (maps blocks)
};

// Expectations that apply to `profile` (a name such as "linux-6.18"), checked in order.
std::vector<Mismatch> check_expectations(const trace::Trace& t, const trace::Observations& obs,
                                         std::string_view profile);

// Differences between two implementations running the same trace: every operation's result,
// every expect-maps snapshot and the final address space (VMAs that differ, [stack] and
// [vsyscall] aside: the agent's own stack may grow while it works).
std::vector<Mismatch> compare_observations(const trace::Trace& t, const trace::Observations& a,
                                           const trace::Observations& b,
                                           std::string_view a_name, std::string_view b_name);

// A maps entry in trace syntax, window-relative where the trace has a window:
// "+0x0-+0x2000 rw-p anon +ac" style (flags listed only when asked).
std::string format_entry(const trace::Trace& t, const trace::MapsEntry& e, bool with_flags = false);

// Bindings as the trace's operations left them, from recorded results.
std::vector<std::uint64_t> replay_bindings(const trace::Trace& t, const trace::Observations& obs,
                                           std::size_t upto);

}  // namespace mmspec::conformance
