// Expression evaluation and the small vocabularies of the trace language: profiles, access
// kinds and touch outcomes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mmspec/trace.hpp"

namespace mmspec::trace {

std::string_view access_name(Access a) {
  switch (a) {
    case Access::read: return "read";
    case Access::write: return "write";
    case Access::exec: return "exec";
  }
  return "?";
}

namespace {
struct AdviceWord {
  std::string_view word;
  int value;
};
// include/uapi/asm-generic/mman-common.h
constexpr AdviceWord kAdvice[] = {
    {"normal", 0},     {"random", 1},      {"sequential", 2},  {"willneed", 3},
    {"dontneed", 4},   {"free", 8},        {"remove", 9},      {"dontfork", 10},
    {"dofork", 11},    {"hugepage", 14},   {"nohugepage", 15}, {"dontdump", 16},
    {"dodump", 17},    {"wipeonfork", 18}, {"keeponfork", 19}, {"cold", 20},
    {"pageout", 21},
};
}  // namespace

int advice_of(std::string_view word) {
  for (const AdviceWord& a : kAdvice)
    if (a.word == word) return a.value;
  return -1;
}

std::string_view advice_name(int advice) {
  for (const AdviceWord& a : kAdvice)
    if (a.value == advice) return a.word;
  return "";
}

std::string_view touch_outcome_name(TouchOutcome o) {
  switch (o) {
    case TouchOutcome::ok: return "ok";
    case TouchOutcome::segv_maperr: return "SEGV_MAPERR";
    case TouchOutcome::segv_accerr: return "SEGV_ACCERR";
    case TouchOutcome::sigbus: return "SIGBUS";
  }
  return "?";
}

const std::vector<std::string>& known_profiles() {
  static const std::vector<std::string> profiles{"linux-5.10", "linux-6.1", "linux-6.18"};
  return profiles;
}

bool mask_includes(ProfileMask m, std::string_view profile) {
  if (m == 0) return true;
  const std::vector<std::string>& ps = known_profiles();
  for (std::size_t i = 0; i < ps.size() && i < 32; ++i) {
    if (ps[i] == profile) return (m >> i) & 1u;
  }
  return false;
}

std::string format_profiles(ProfileMask m) {
  std::string out;
  const std::vector<std::string>& ps = known_profiles();
  for (std::size_t i = 0; i < ps.size() && i < 32; ++i) {
    if ((m >> i) & 1u) {
      if (!out.empty()) out += ',';
      out += ps[i];
    }
  }
  return out;
}

std::uint64_t eval(const Expr& e, const Env& env) {
  std::uint64_t base = 0;
  switch (e.base) {
    case Expr::Base::absolute: base = 0; break;
    case Expr::Base::window: base = env.window; break;
    case Expr::Base::binding:
      if (env.bindings != nullptr && e.binding >= 0 &&
          static_cast<std::size_t>(e.binding) < env.nbindings) {
        base = env.bindings[e.binding];
      }
      break;
  }
  return base + e.offset;  // unsigned: wraps modulo 2^64
}

}  // namespace mmspec::trace
