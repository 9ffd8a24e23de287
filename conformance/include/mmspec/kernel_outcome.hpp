// What one kernel did with a scenario, in terms that do not depend on the kernel's own image,
// so that the outcomes of different kernels can be compared: every operation's result and the
// VMAs the scenario made, with addresses relative to the trace's window or, for hint-less
// placement below mmap_base, to the process's [vvar] (whose own position depends on the size of
// the kernel's vDSO); other addresses are absolute. VmFlags are kept except `sd`, which follows
// the kernel's configuration rather than its generation.
//
//   kernel_outcome(trace, observations) -> [OutcomeItem {where, what}]
#pragma once

#include <string>
#include <vector>

#include "mmspec/observation.hpp"
#include "mmspec/trace.hpp"

namespace mmspec::conformance {

struct OutcomeItem {
  std::string where;  // "line 14" (a result), "line 20 maps" (an expect-maps), "final maps"
  std::string what;   // "EINVAL", "+0x2000", "vvar-0x3000", "SEGV_ACCERR";
                      // maps: "+0x0-+0x2000 rw-p anon [rd wr mr mw me ac]; ..."
  bool operator==(const OutcomeItem&) const = default;
};

// Items in trace order: one per operation with a result, one per expect-maps snapshot (the
// VMAs inside the window), and the final VMAs (inside the window, plus any VMA outside it that
// whose range the initial address space did not have, [stack] aside).
std::vector<OutcomeItem> kernel_outcome(const trace::Trace& t, const trace::Observations& obs);

}  // namespace mmspec::conformance
