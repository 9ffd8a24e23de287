// What the model narrates while it works, for `mmspec explain`: which vma_merge case fired or
// why a merge was refused, which VMAs were split or removed, how vm_pgoff moved, where
// get_unmapped_area searched. Events are plain data; the model does no I/O. They are built only
// when Mm::events is set, so the model pays nothing for them otherwise.
#pragma once

#include <string>
#include <string_view>

namespace mmspec {

enum class EventKind {
  check,          // an argument check decided the result (errno paths)
  placement,      // get_unmapped_area: hint, search window, result
  merge,          // a vma_merge case fired (Event::merge_case = 1..8)
  merge_refused,  // no merge, and which condition failed on which side
  split,          // split_vma / __split_vma
  adjust,         // __vma_adjust / vma_set_range moved a boundary or vm_pgoff
  remove,         // a VMA left the tree (munmap, merge)
  insert,         // a new VMA entered the tree
  flags,          // vm_flags changed (mprotect, VM_ACCOUNT, ...)
  account,        // counters, rlimits, overcommit
  fault,          // touch: the fault path and its outcome
  brk,            // brk decisions
};

std::string_view event_kind_name(EventKind k);

struct Event {
  EventKind kind = EventKind::check;
  int merge_case = 0;  // 1..8 for EventKind::merge
  std::string text;
};

}  // namespace mmspec
