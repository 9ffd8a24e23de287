// Cross-checks on std::uint64_t: the parts of the proofs that are transcribed from non-template
// model code (walk.hpp: the code around the tree walks; proofs_layout.cpp: how layout.cpp
// combines the layout templates) run here against the model itself on pseudo-random inputs
// (fixed seed). A transcription that drifted from the model fails here, not silently.
#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mmspec/gap.hpp"
#include "mmspec/layout.hpp"
#include "mmspec/page_table.hpp"
#include "mmspec/vm_flags.hpp"
#include "mmspec/vma.hpp"
#include "mmspec/vma_tree.hpp"
#include "prover.hpp"
#include "walk.hpp"

namespace mmspec::proofs {
namespace {

using U = std::uint64_t;

std::string h(U v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

// A random BST shape over n in-order positions.
Shape random_shape(int n, std::mt19937_64& rng) {
  Shape s;
  s.left.assign(n, -1);
  s.right.assign(n, -1);
  std::function<int(int, int)> make = [&](int lo, int hi) -> int {
    if (lo >= hi) return -1;
    const int r = lo + static_cast<int>(rng() % static_cast<U>(hi - lo));
    s.left[r] = make(lo, r);
    s.right[r] = make(r + 1, hi);
    return r;
  };
  s.root = make(0, n);
  return s;
}

struct World {
  std::vector<Vma> vmas;  // sorted
  U guard;
};

World random_world(std::mt19937_64& rng) {
  World w;
  const U guard_choices[] = {0, PAGE_SIZE, 4 * PAGE_SIZE, 256 * PAGE_SIZE};
  w.guard = guard_choices[rng() % 4];
  const int n = static_cast<int>(rng() % 13);
  U at = (rng() % 8) * PAGE_SIZE;
  for (int i = 0; i < n; ++i) {
    at += (rng() % 3 == 0 ? 0 : rng() % 600) * PAGE_SIZE;
    Vma v;
    v.vm_start = at;
    v.vm_end = at + (1 + rng() % 40) * PAGE_SIZE;
    v.vm_flags = VM_READ | (rng() % 5 == 0 ? VM_GROWSDOWN : 0);
    at = v.vm_end;
    w.vmas.push_back(v);
  }
  return w;
}

struct Req {
  U len, low, high, mask, off;
};

Req random_req(std::mt19937_64& rng, U top) {
  Req r;
  r.len = (rng() % 8 == 0 ? rng() % 4000 : rng() % 700) * PAGE_SIZE;
  r.low = rng() % 4 == 0 ? 0 : (rng() % (top / PAGE_SIZE + 1)) * PAGE_SIZE;
  r.high = rng() % 6 == 0 ? (~U{0} & PAGE_MASK) : (rng() % (top / PAGE_SIZE + 1)) * PAGE_SIZE;
  r.mask = rng() % 3 == 0 ? (PMD_SIZE - 1) & PAGE_MASK : 0;
  r.off = (rng() % 1024) * PAGE_SIZE;
  return r;
}

template <class T>
std::string show(const std::optional<T>& v) {
  return v ? h(*v) : std::string("none");
}

std::string describe(const World& w, const Req& r) {
  std::string s = "VMAs";
  for (const Vma& v : w.vmas)
    s += " [" + h(v.vm_start) + "," + h(v.vm_end) + (v.vm_flags & VM_GROWSDOWN ? ")gd" : ")");
  s += " guard " + h(w.guard) + "; len " + h(r.len) + " low " + h(r.low) + " high " + h(r.high) +
       " mask " + h(r.mask) + " off " + h(r.off);
  return s;
}

std::string check_searches() {
  std::mt19937_64 rng(20251122);
  // How often each search found something, and how often in a gap below the last VMA: the
  // random inputs must exercise both outcomes and the walks, or the check proves little.
  long searches = 0, found[4] = {0, 0, 0, 0}, in_tree[4] = {0, 0, 0, 0};
  auto model_subtree_gap = [](const U& a, const U& b, const U& c) { return subtree_gap<U>(a, b, c); };
  for (int iter = 0; iter < 20000; ++iter) {
    const World w = random_world(rng);
    VmaTree tree(w.guard);
    // Insert in a random order so that VmaTree's shape varies too.
    std::vector<std::size_t> order(w.vmas.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i : order) tree.insert(w.vmas[i]);
    std::vector<U> start, end, sg;
    for (const Vma& v : w.vmas) {
      start.push_back(v.vm_start);
      end.push_back(v.vm_end);
      sg.push_back(vm_start_gap(v, w.guard));
    }
    const std::size_t n = w.vmas.size();
    const U highest = end.empty() ? 0 : end.back();
    const Shape shape = random_shape(static_cast<int>(n), rng);
    const std::vector<Node<U>> nodes = build_nodes<U>(start, end, sg, shape, U{0}, model_subtree_gap);
    const U top = highest + 200 * PAGE_SIZE;
    auto opt = [](bool ok, U a) { return ok ? std::optional<U>(a) : std::nullopt; };
    for (int k = 0; k < 4; ++k) {
      ++searches;
      const Req r = random_req(rng, top);
      const GapRequest g{r.len, r.low, r.high, r.mask, r.off, 0};
      const ClassicRequest<U> cr{r.len, r.low, r.high, r.mask, r.off};
      const GapFacts<U> cf = classic_facts<U>(nodes, cr, U{0});
      // Bottom-up: VmaTree, the transcribed walk, and the scan (placed in the gap it picks).
      const auto bu_model = tree.unmapped_area(g);
      const auto bu = model_bottom_up<U>(nodes, shape, cr, U{0});
      const Pick<U> bs = scan_lowest<U>(cf, U{0});
      const U bs_gs = bs.pick == n + 1 ? highest : nodes[bs.pick - 1].gap_start;
      const auto bu_scan = opt(bs.ok, place_bottom_up<U>(bs_gs, r.low, r.mask, r.off));
      found[0] += bs.ok;
      in_tree[0] += bs.ok && bs.pick <= n;
      if (bu_model != opt(bu.first.ok, bu.second) || bu_model != bu_scan)
        return "bottom-up: VmaTree " + show(bu_model) + ", walk " + show(opt(bu.first.ok, bu.second)) +
               ", scan " + show(bu_scan) + " for " + describe(w, r);
      // Top-down.
      const auto td_model = tree.unmapped_area_topdown(g);
      const auto td = model_top_down<U>(nodes, shape, cr, U{0});
      const Pick<U> ts = scan_highest<U>(cf, U{0});
      const U ts_ge = ts.pick == n + 1 ? r.high : nodes[ts.pick - 1].sg;
      const auto td_scan = opt(ts.ok, place_top_down<U>(ts_ge, r.len, r.high, r.mask, r.off));
      found[1] += ts.ok;
      in_tree[1] += ts.ok && ts.pick <= n;
      if (td_model != opt(td.first.ok, td.second) || td_model != td_scan)
        return "top-down: VmaTree " + show(td_model) + ", walk " + show(opt(td.first.ok, td.second)) +
               ", scan " + show(td_scan) + " for " + describe(w, r);
      // v6.18 empty areas: window [low, high - 1], size = len + mask (+ start_gap 0).
      const U size = r.len + r.mask;
      const U max = r.high - 1;
      const GapFacts<U> vf = v618_facts<U>(nodes, r.low, max, size, U{0});
      const auto ea = tree.empty_area(r.low, max, size);
      const std::optional<U> ea_model = ea ? std::optional<U>(ea->index) : std::nullopt;
      const auto lo = model_empty_area<U>(nodes, shape, r.low, max, size, U{0});
      const Pick<U> ls = scan_lowest<U>(vf, U{0});
      const U ls_first = ls.pick == n + 1 ? highest : nodes[ls.pick - 1].prev_end;
      const auto ea_scan = opt(ls.ok, empty_area_lowest_index<U>(ls_first, r.low));
      found[2] += ls.ok;
      in_tree[2] += ls.ok && ls.pick <= n;
      if (ea_model != opt(lo.first.ok, lo.second) || ea_model != ea_scan)
        return "empty_area: VmaTree " + show(ea_model) + ", walk " + show(opt(lo.first.ok, lo.second)) +
               ", scan " + show(ea_scan) + " for " + describe(w, r);
      const auto er = tree.empty_area_rev(r.low, max, size);
      const std::optional<U> er_model = er ? std::optional<U>(er->last) : std::nullopt;
      const auto hi = model_empty_area_rev<U>(nodes, shape, r.low, max, size, U{0});
      const Pick<U> hs = scan_highest<U>(vf, U{0});
      const U hs_last = hs.pick == n + 1 ? ~U{0} : nodes[hs.pick - 1].start - 1;
      const auto er_scan = opt(hs.ok, empty_area_highest_last<U>(hs_last, max));
      found[3] += hs.ok;
      in_tree[3] += hs.ok && hs.pick <= n;
      if (er_model != opt(hi.first.ok, hi.second) || er_model != er_scan)
        return "empty_area_rev: VmaTree " + show(er_model) + ", walk " + show(opt(hi.first.ok, hi.second)) +
               ", scan " + show(er_scan) + " for " + describe(w, r);
    }
  }
  for (int k = 0; k < 4; ++k) {
    const std::string stats = "search " + std::to_string(k) + ": found " + std::to_string(found[k]) +
                              " (in a gap below the last VMA " + std::to_string(in_tree[k]) + ") of " +
                              std::to_string(searches);
    if (std::getenv("MMSPEC_PROVE_VERBOSE")) std::fprintf(stderr, "  %s\n", stats.c_str());
    if (found[k] < searches / 5 || searches - found[k] < searches / 5 || in_tree[k] < searches / 20)
      return stats + ": the random inputs do not exercise both outcomes";
  }
  return "";
}

// The combination the layout proof makes (proofs_layout.cpp inputs()) against layout.cpp.
std::string check_layout() {
  std::mt19937_64 rng(4711);
  const U rlimits[] = {0, 4096, 8ull << 20, 100ull << 20, 1ull << 40, ~U{0}, ~U{0} - 4096, 12345};
  for (int iter = 0; iter < 20000; ++iter) {
    LayoutParams p;
    p.la57 = rng() % 2;
    p.rlimit_stack = rng() % 3 == 0 ? rng() : rlimits[rng() % 8];
    p.randomize = rng() % 2;
    p.rnd = (rng() & ((U{1} << 32) - 1)) << PAGE_SHIFT;
    p.legacy = rng() % 2;
    p.stack_guard_gap = (rng() % 3 == 0 ? rng() % 100000 : 256) * PAGE_SIZE;
    const Layout l = arch_pick_mmap_layout(p);
    const U rnd = p.randomize ? p.rnd : 0;
    const U base = mmap_base_of<U>(p.rlimit_stack, rnd, stack_pad_of<U>(p.randomize, p.stack_guard_gap),
                                   DEFAULT_MAP_WINDOW);
    const U legacy = mmap_legacy_base_of<U>(rnd, DEFAULT_MAP_WINDOW);
    const U want = p.legacy ? legacy : base;
    if (l.mmap_base != want || l.mmap_legacy_base != legacy)
      return "arch_pick_mmap_layout gives base " + h(l.mmap_base) + " legacy " +
             h(l.mmap_legacy_base) + ", the proof's combination " + h(want) + " / " + h(legacy);
  }
  return "";
}

// Known decompositions (hand-computed from the bit layout in page_table.hpp).
std::string check_page_table() {
  struct Case {
    U a;
    bool la57;
    U pgd, p4d, pud, pmd, pte, off;
  };
  const Case cases[] = {
      {0x00007fffffffefffull, false, 255, 0, 511, 511, 510, 0xfff},
      {0xffff800000001234ull, false, 256, 0, 0, 0, 1, 0x234},
      {0x00ffffffffffffffull, true, 255, 511, 511, 511, 511, 0xfff},
      {0xff00000040201000ull, true, 256, 0, 1, 1, 1, 0},
  };
  for (const Case& c : cases) {
    const PagingMode& m = paging_mode(c.la57);
    const PtIndices<U> i = pt_indices<U>(c.a, m);
    if (i.pgd != c.pgd || i.p4d != c.p4d || i.pud != c.pud || i.pmd != c.pmd || i.pte != c.pte ||
        i.offset != c.off)
      return "pt_indices(" + h(c.a) + ") = " + h(i.pgd) + "/" + h(i.p4d) + "/" + h(i.pud) + "/" +
             h(i.pmd) + "/" + h(i.pte) + "+" + h(i.offset);
    if (!is_canonical_address<U>(c.a, m) || pt_address<U>(i, m) != c.a)
      return "pt_address(pt_indices(" + h(c.a) + ")) = " + h(pt_address<U>(i, m));
  }
  if (is_canonical_address<U>(0x0000800000000000ull, PAGING_4LEVEL) ||
      !is_canonical_address<U>(0x0000800000000000ull, PAGING_5LEVEL) ||
      is_canonical_address<U>(0x0100000000000000ull, PAGING_5LEVEL))
    return "is_canonical_address wrong at the 47/56-bit boundaries";
  return "";
}

}  // namespace

std::vector<CrossCheck> cross_checks() {
  return {
      {"search walks and scans (walk.hpp) = VmaTree, 20000 random VMA sets", check_searches},
      {"layout combination (proofs_layout.cpp) = arch_pick_mmap_layout", check_layout},
      {"page_table.hpp on hand-computed addresses", check_page_table},
  };
}

}  // namespace mmspec::proofs
