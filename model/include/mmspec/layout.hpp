// The x86-64 address-space layout: TASK_SIZE, mmap_base, the legacy base, top-down or
// bottom-up (arch/x86/mm/mmap.c arch_pick_mmap_layout, identical in v5.15 and v6.18).
//
//   mmap_base = PAGE_ALIGN(DEFAULT_MAP_WINDOW - clamp(gap, 128 MiB, DEFAULT_MAP_WINDOW/6*5) - rnd)
//   gap       = RLIMIT_STACK + stack_guard_gap + stack randomisation pad (unless that overflows)
//   legacy    = PAGE_ALIGN(DEFAULT_MAP_WINDOW / 3) + rnd
// The arithmetic is templated over the value type (value.hpp) so that proofs/ runs it on Z3.
#pragma once

#include <cstdint>

#include "mmspec/types.hpp"
#include "mmspec/value.hpp"

namespace mmspec {

inline constexpr Addr DEFAULT_MAP_WINDOW = (Addr{1} << 47) - PAGE_SIZE;
inline constexpr Addr TASK_SIZE_4LEVEL = (Addr{1} << 47) - PAGE_SIZE;
inline constexpr Addr TASK_SIZE_5LEVEL = (Addr{1} << 56) - PAGE_SIZE;
inline constexpr Addr SIZE_128M = Addr{128} << 20;
inline constexpr Addr STACK_RND_MASK_64 = 0x3fffff;  // pages
inline constexpr Addr DEFAULT_STACK_GUARD_GAP = Addr{256} << PAGE_SHIFT;

// Inputs of the layout decision (DESIGN principle 5: randomness is an input).
struct LayoutParams {
  bool la57 = false;                      // 5-level paging: TASK_SIZE_MAX = 2^56 - 4K
  std::uint64_t rlimit_stack = 8ull << 20;  // soft RLIMIT_STACK at exec, bytes (~0 = infinity)
  bool randomize = false;                 // PF_RANDOMIZE (randomize_va_space && !ADDR_NO_RANDOMIZE)
  Addr rnd = 0;                           // arch_mmap_rnd(): page multiple, 0 if not randomized
  bool legacy = false;                    // ADDR_COMPAT_LAYOUT or vm.legacy_va_layout
  Addr mmap_min_addr_sysctl = 4096;       // vm.mmap_min_addr (EPERM check)
  Addr mmap_min_addr = 65536;             // effective: max(sysctl, CONFIG_LSM_MMAP_MIN_ADDR)
  Addr stack_guard_gap = DEFAULT_STACK_GUARD_GAP;
};

struct Layout {
  Addr task_size = TASK_SIZE_4LEVEL;
  Addr mmap_base = 0;
  Addr mmap_legacy_base = 0;
  bool topdown = true;
};

// (x / 6) * 5 with unsigned division, written with Ops so Z3 can use bvudiv.
template <class V>
V udiv6_times5(V x) {
  return Ops<V>::udiv(x, Ops<V>::lit(x, 6)) * Ops<V>::lit(x, 5);
}

// arch/x86/mm/mmap.c mmap_base (v5.15, v6.18)
template <class V>
V mmap_base_of(V rlimit_stack, V rnd, V pad, V window) {
  using O = Ops<V>;
  // Values close to RLIM_INFINITY would overflow: the pad is then left out.
  V gap = O::ite(O::ult(rlimit_stack, rlimit_stack + pad), rlimit_stack + pad, rlimit_stack);
  V gap_min = O::lit(window, SIZE_128M);
  V gap_max = udiv6_times5(window);
  gap = O::ite(O::ult(gap, gap_min), gap_min, O::ite(O::ult(gap_max, gap), gap_max, gap));
  V base = window - gap - rnd;
  return (base + O::lit(window, PAGE_SIZE - 1)) & O::lit(window, PAGE_MASK);
}

// arch/x86/mm/mmap.c mmap_legacy_base, __TASK_UNMAPPED_BASE (v5.15, v6.18)
template <class V>
V mmap_legacy_base_of(V rnd, V window) {
  using O = Ops<V>;
  V third = O::udiv(window, O::lit(window, 3));
  return ((third + O::lit(window, PAGE_SIZE - 1)) & O::lit(window, PAGE_MASK)) + rnd;
}

// arch/x86/mm/mmap.c stack_maxrandom_size (v5.15, v6.18): the pad reserved for the stack.
template <class V>
V stack_pad_of(BoolOf<V> randomize, V stack_guard_gap) {
  using O = Ops<V>;
  return O::ite(randomize, O::lit(stack_guard_gap, STACK_RND_MASK_64 << PAGE_SHIFT),
                O::lit(stack_guard_gap, 0)) +
         stack_guard_gap;
}

// arch/x86/mm/mmap.c arch_pick_mmap_layout (v5.15, v6.18)
Layout arch_pick_mmap_layout(const LayoutParams& p);

}  // namespace mmspec
