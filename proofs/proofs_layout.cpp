// 2: the x86-64 layout arithmetic (layout.hpp mmap_base_of, stack_pad_of, udiv6_times5,
// mmap_legacy_base_of), as arch_pick_mmap_layout (model/src/layout.cpp) combines them.
#include <string>
#include <vector>

#include "mmspec/layout.hpp"
#include "prover.hpp"

namespace mmspec::proofs {
namespace {

// ARCH_MMAP_RND_BITS_MAX on x86-64 (arch/x86/Kconfig: ARCH_MMAP_RND_BITS_MIN 28, MAX 32):
// arch_mmap_rnd() = (random & ((1 << mmap_rnd_bits) - 1)) << PAGE_SHIFT, and the set of
// offsets for 32 bits contains those for 28..31.
constexpr unsigned kRndBitsMax = 32;

struct Window {
  const char* name;
  Addr window;                  // what mmap_base() is computed against
  std::vector<Addr> task_sizes; // the TASK_SIZEs this window is used with
};

// arch_pick_mmap_layout passes DEFAULT_MAP_WINDOW (task_size_64bit(0)) for both 4- and 5-level
// paging; the 56-bit window is proved too, in case the base is ever computed against it.
const std::vector<Window>& windows() {
  static const std::vector<Window> w = {
      {"DEFAULT_MAP_WINDOW (47-bit, used with both TASK_SIZEs)", DEFAULT_MAP_WINDOW,
       {TASK_SIZE_4LEVEL, TASK_SIZE_5LEVEL}},
      {"56-bit window (TASK_SIZE with LA57)", TASK_SIZE_5LEVEL, {TASK_SIZE_5LEVEL}},
  };
  return w;
}

using BaseFn = std::function<expr(const expr&, const expr&, const expr&, const expr&)>;

// The inputs as arch_pick_mmap_layout sees them: any RLIMIT_STACK (RLIM_INFINITY is ~0), the
// random offset only with PF_RANDOMIZE, any page-aligned stack_guard_gap.
struct Inputs {
  expr rlim, randomize, rnd, guard, pad, hyp;
};

Inputs inputs(Sym& s) {
  const expr rlim = s.bv("rlimit_stack"), randomize = s.boolean("randomize");
  const expr rnd_drawn = s.bv("arch_mmap_rnd"), guard = s.bv("stack_guard_gap");
  const expr rnd = z3::ite(randomize, rnd_drawn, s.lit(0));  // layout.cpp: p.randomize ? p.rnd : 0
  const expr pad = stack_pad_of<expr>(randomize, guard);
  return {rlim, randomize, rnd, guard, pad,
          s.scaled_below(rnd_drawn, PAGE_SHIFT, kRndBitsMax) && s.page_aligned(guard)};
}

std::vector<Query> base_queries(Sym& s, const BaseFn& base_of) {
  std::vector<Query> q;
  for (const Window& w : windows()) {
    const Inputs in = inputs(s);
    const expr W = s.lit(w.window);
    const Addr gmax_c = w.window / 6 * 5;  // computed here in plain C++, independently
    const expr gmin = s.lit(SIZE_128M), gmax = s.lit(gmax_c);
    const expr base = base_of(in.rlim, in.rnd, in.pad, W);
    const expr room = W - base;
    std::vector<expr> below_task;
    for (Addr t : w.task_sizes) below_task.push_back(z3::ult(base, s.lit(t)));
    const expr fits = z3::ule(in.rlim, in.rlim + in.pad) && z3::ule(in.rlim + in.pad, gmax);
    const std::string n = w.name;
    q.push_back({n + ": page aligned", in.hyp, s.page_aligned(base)});
    // The clamp's bounds: ~128 MiB at least, 5/6 of the window at most, below the window.
    q.push_back({n + ": within the clamp", in.hyp,
                 z3::ule(W - gmax - in.rnd, base) && z3::ule(base, W - gmin - in.rnd)});
    // Never wraps: the lowest base is still above 0, and the base lies below TASK_SIZE.
    q.push_back({n + ": no wrap, below TASK_SIZE", in.hyp,
                 z3::ult(in.rnd, W - gmax) && z3::ule(base, W) && s.all(below_task)});
    q.push_back({n + ": 128 MiB + rnd <= room <= clamp max + rnd", in.hyp,
                 z3::ule(gmin + in.rnd, room) && z3::ule(room, gmax + in.rnd)});
    // Room for the stack at its limit, its guard gap and its random pad, when they fit the clamp.
    for (bool rand : {false, true})
      q.push_back({n + ": room for stack, guard gap and pad, " + (rand ? "" : "not ") + "randomized",
                   in.hyp && (rand ? in.randomize : !in.randomize),
                   z3::implies(fits, z3::ule((in.rlim & s.lit(PAGE_MASK)) + in.pad + in.rnd, room))});
  }
  return q;
}

expr model_base(const expr& rlim, const expr& rnd, const expr& pad, const expr& window) {
  return mmap_base_of<expr>(rlim, rnd, pad, window);
}

// mmap_base_of with the clamp's upper bound one page too high (the negative control).
expr base_clamp_off_by_a_page(const expr& rlim, const expr& rnd, const expr& pad,
                              const expr& window) {
  expr gap = z3::ite(z3::ult(rlim, rlim + pad), rlim + pad, rlim);
  const expr gap_min = O::lit(window, SIZE_128M);
  const expr gap_max = udiv6_times5<expr>(window) + O::lit(window, PAGE_SIZE);
  gap = z3::ite(z3::ult(gap, gap_min), gap_min, z3::ite(z3::ult(gap_max, gap), gap_max, gap));
  const expr base = window - gap - rnd;
  return (base + O::lit(window, PAGE_SIZE - 1)) & O::lit(window, PAGE_MASK);
}

using LegacyFn = std::function<expr(const expr&, const expr&)>;

std::vector<Query> legacy_queries(Sym& s, const LegacyFn& legacy_of) {
  std::vector<Query> q;
  for (const Window& w : windows()) {
    const Inputs in = inputs(s);
    const expr W = s.lit(w.window);
    const Addr third_aligned = page_align(w.window / 3);  // plain C++, independently
    const expr legacy = legacy_of(in.rnd, W);
    std::vector<expr> below_task;
    for (Addr t : w.task_sizes) below_task.push_back(z3::ult(legacy, s.lit(t)));
    q.push_back({w.name, in.hyp,
                 s.page_aligned(legacy) && legacy == s.lit(third_aligned) + in.rnd &&
                     z3::ule(s.lit(third_aligned), legacy) && z3::ult(legacy, W) &&
                     s.all(below_task)});
  }
  return q;
}

}  // namespace

std::vector<Proof> layout_proofs() {
  std::vector<Proof> v;
  v.push_back(Proof{
      "2.base", "mmap_base: aligned, within the clamp, room for the stack, no wrap",
      "layout.hpp mmap_base_of, stack_pad_of, udiv6_times5 (as layout.cpp combines them)",
      [](Sym& s) { return base_queries(s, model_base); }, "clamp maximum one page too high",
      [](Sym& s) { return base_queries(s, base_clamp_off_by_a_page); }});
  v.push_back(Proof{
      "2.legacy", "legacy base: PAGE_ALIGN(window / 3) + rnd, aligned, below TASK_SIZE",
      "layout.hpp mmap_legacy_base_of",
      [](Sym& s) {
        return legacy_queries(
            s, [](const expr& rnd, const expr& w) { return mmap_legacy_base_of<expr>(rnd, w); });
      },
      "legacy base without PAGE_ALIGN",
      [](Sym& s) {
        return legacy_queries(s, [](const expr& rnd, const expr& w) {
          return O::udiv(w, O::lit(w, 3)) + rnd;
        });
      }});
  return v;
}

}  // namespace mmspec::proofs
