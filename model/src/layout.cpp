#include "mmspec/layout.hpp"

namespace mmspec {

// arch/x86/mm/mmap.c arch_pick_mmap_layout (v5.15, v6.18)
Layout arch_pick_mmap_layout(const LayoutParams& p) {
  Layout l;
  l.task_size = p.la57 ? TASK_SIZE_5LEVEL : TASK_SIZE_4LEVEL;
  l.topdown = !p.legacy;
  const Addr rnd = p.randomize ? p.rnd : 0;
  // The bases are computed for the 47-bit default window even with 5-level paging.
  l.mmap_legacy_base = mmap_legacy_base_of<Addr>(rnd, DEFAULT_MAP_WINDOW);
  if (p.legacy) {
    l.mmap_base = l.mmap_legacy_base;
  } else {
    const Addr pad = stack_pad_of<Addr>(p.randomize, p.stack_guard_gap);
    l.mmap_base = mmap_base_of<Addr>(p.rlimit_stack, rnd, pad, DEFAULT_MAP_WINDOW);
  }
  return l;
}

}  // namespace mmspec
