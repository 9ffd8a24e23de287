#include "mmspec/events.hpp"

namespace mmspec {

std::string_view event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::check: return "check";
    case EventKind::placement: return "placement";
    case EventKind::merge: return "merge";
    case EventKind::merge_refused: return "no-merge";
    case EventKind::split: return "split";
    case EventKind::adjust: return "adjust";
    case EventKind::remove: return "remove";
    case EventKind::insert: return "insert";
    case EventKind::flags: return "flags";
    case EventKind::account: return "account";
    case EventKind::fault: return "fault";
    case EventKind::brk: return "brk";
  }
  return "?";
}

}  // namespace mmspec
