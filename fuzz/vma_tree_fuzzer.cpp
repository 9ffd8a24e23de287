// libFuzzer target: the augmented VMA tree (model/include/mmspec/vma_tree.hpp) against a
// std::map reference.
//
// The bytes choose a stack_guard_gap, the kinds of gap maxima the tree keeps (GapKinds: a
// search of the other kind makes it recompute and keep both), and a sequence of steps:
// insert, erase, adjust (move the bounds of a VMA between its neighbours), refresh (toggle
// VM_GROWSDOWN), copy / move of the whole tree, clear, lookups, and gap searches: the classic
// unmapped_area(_topdown) and the v6.18 empty_area(_rev) and unmapped_area(_topdown)_v618.
// VMAs live in a few small zones
// (near 0, around mmap_min_addr, in the middle, just below 2^64) so that guard gaps, wrapping
// and the ends of the address space are all reached.
//
// The reference keeps the VMAs in a std::map and recomputes every gap from scratch; its
// searches are linear scans written from the contracts in vma_tree.hpp and the kernel code
// they follow (mm/mmap.c v5.15 unmapped_area(_topdown); lib/maple_tree.c mas_empty_area(_rev)
// and mm/vma.c unmapped_area(_topdown) v6.18). After every step: check_augmentation() holds,
// the tree lists exactly the reference's VMAs in order, every stored gap / raw gap equals the
// recomputed one, and the height stays within the WAVL bound. Every lookup and search must give
// the reference's answer. Any difference prints the step and aborts. MMSPEC_FUZZ_VERBOSE=1
// prints every step as it runs (for an input that hangs or crashes inside the tree).
#include <fuzzer/FuzzedDataProvider.h>

#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mmspec/vma_tree.hpp"

extern "C" const char* __asan_default_options() { return "detect_leaks=1"; }
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

namespace {

using mmspec::Addr;
using mmspec::EmptyArea;
using mmspec::GapKinds;
using mmspec::GapRequest;
using mmspec::Vma;
using mmspec::VmaTree;
using mmspec::VM_GROWSDOWN;

constexpr Addr kMax = ~Addr{0};

std::string hex(Addr v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

std::string opt(const std::optional<Addr>& a) { return a ? hex(*a) : std::string("none"); }

// ---- the reference ----

struct Ref {
  std::map<Addr, Vma> vmas;  // by vm_start
  Addr guard = 0;

  Addr start_gap(const Vma& v) const {
    if (!(v.vm_flags & VM_GROWSDOWN)) return v.vm_start;
    return v.vm_start > guard ? v.vm_start - guard : 0;
  }

  bool overlaps(Addr start, Addr end) const {
    for (const auto& [s, v] : vmas)
      if (v.vm_start < end && start < v.vm_end) return true;
    return false;
  }

  const Vma* find_vma(Addr a) const {
    for (const auto& [s, v] : vmas)
      if (v.vm_end > a) return &v;
    return nullptr;
  }

  // Expected gap / raw gap of v: below it, down to the end of the VMA before (or 0).
  Addr gap_of(const Vma& v) const {
    const Vma* p = prev_of(v);
    const Addr gs = p ? p->vm_end : 0;
    const Addr ge = start_gap(v);
    return ge > gs ? ge - gs : 0;
  }
  Addr raw_gap_of(const Vma& v) const {
    const Vma* p = prev_of(v);
    return v.vm_start - (p ? p->vm_end : 0);
  }
  const Vma* prev_of(const Vma& v) const {
    auto it = vmas.find(v.vm_start);
    if (it == vmas.begin()) return nullptr;
    return &std::prev(it)->second;
  }
  const Vma* next_of(const Vma& v) const {
    auto it = std::next(vmas.find(v.vm_start));
    return it == vmas.end() ? nullptr : &it->second;
  }

  // mm/mmap.c unmapped_area (v5.15) as a scan over the gaps in address order.
  std::optional<Addr> unmapped_area(const GapRequest& r) const {
    const Addr L = r.length + r.align_mask;
    if (L < r.length || r.high_limit < L) return std::nullopt;
    const Addr hi = r.high_limit - L;
    if (r.low_limit > hi) return std::nullopt;
    const Addr lo = r.low_limit + L;
    auto place = [&](Addr gs) {
      const Addr a = gs > r.low_limit ? gs : r.low_limit;
      return a + ((r.align_offset - a) & r.align_mask);
    };
    Addr gs = 0;
    for (const auto& [s, v] : vmas) {
      const Addr ge = start_gap(v);
      if (gs > hi) return std::nullopt;  // every later gap starts at least as high
      if (ge >= lo && ge > gs && ge - gs >= L) return place(gs);
      gs = v.vm_end;
    }
    if (gs > hi) return std::nullopt;  // [highest_vm_end, inf)
    return place(gs);
  }

  // mm/mmap.c unmapped_area_topdown (v5.15): [highest_vm_end, inf) first, then the highest
  // fitting gap in address order.
  std::optional<Addr> unmapped_area_topdown(const GapRequest& r) const {
    const Addr L = r.length + r.align_mask;
    if (L < r.length || r.high_limit < L) return std::nullopt;
    const Addr hi = r.high_limit - L;
    if (r.low_limit > hi) return std::nullopt;
    const Addr lo = r.low_limit + L;
    auto place = [&](Addr ge) {
      const Addr a = (ge < r.high_limit ? ge : r.high_limit) - r.length;
      return a - ((a - r.align_offset) & r.align_mask);
    };
    const Addr highest = vmas.empty() ? 0 : vmas.rbegin()->second.vm_end;
    if (highest <= hi) return place(r.high_limit);
    std::optional<Addr> best;
    Addr gs = 0;
    for (const auto& [s, v] : vmas) {
      const Addr ge = start_gap(v);
      if (gs <= hi && ge >= lo && ge > gs && ge - gs >= L) best = ge;
      gs = v.vm_end;
    }
    if (!best) return std::nullopt;
    return place(*best);
  }

  // The empty ranges the maple tree holds, inclusive, with the VMAs around each.
  struct Range {
    Addr first, last;
    const Vma* prev;
    const Vma* next;
  };
  std::vector<Range> ranges() const {
    std::vector<Range> out;
    Addr cursor = 0;
    const Vma* prev = nullptr;
    for (const auto& [s, v] : vmas) {
      if (v.vm_start > cursor) out.push_back({cursor, v.vm_start - 1, prev, &v});
      prev = &v;
      cursor = v.vm_end;
    }
    if (!prev || cursor != 0) out.push_back({cursor, kMax, prev, nullptr});
    return out;
  }

  static bool request_ok(Addr min, Addr max, Addr size) {
    return size != 0 && min <= max && size - 1 <= max - min;
  }
  // The part of [first, last] inside [min, max] holds at least size values.
  static bool fits(const Range& g, Addr min, Addr max, Addr size) {
    const Addr a = g.first > min ? g.first : min;
    const Addr b = g.last < max ? g.last : max;
    return a <= b && b - a >= size - 1;
  }

  // lib/maple_tree.c mas_empty_area (v6.18): the lowest fitting range.
  std::optional<EmptyArea> empty_area(Addr min, Addr max, Addr size) const {
    if (!request_ok(min, max, size)) return std::nullopt;
    for (const Range& g : ranges()) {
      if (!fits(g, min, max, size)) continue;
      EmptyArea a;
      a.index = g.first > min ? g.first : min;
      a.last = a.index + (size - 1);
      a.prev = g.prev;
      a.next = g.next;
      return a;
    }
    return std::nullopt;
  }

  // lib/maple_tree.c mas_empty_area_rev (v6.18): the highest fitting range.
  std::optional<EmptyArea> empty_area_rev(Addr min, Addr max, Addr size) const {
    if (!request_ok(min, max, size)) return std::nullopt;
    const std::vector<Range> rs = ranges();
    for (auto it = rs.rbegin(); it != rs.rend(); ++it) {
      if (!fits(*it, min, max, size)) continue;
      EmptyArea a;
      a.last = it->last < max ? it->last : max;
      a.index = a.last - (size - 1);
      a.prev = it->prev;
      a.next = it->next;
      return a;
    }
    return std::nullopt;
  }

  // mm/vma.c unmapped_area (v6.18).
  std::optional<Addr> unmapped_area_v618(const GapRequest& r) const {
    if (r.length == 0) return std::nullopt;
    const Addr L = r.length + r.align_mask + r.start_gap;
    if (L < r.length) return std::nullopt;
    Addr low = r.low_limit;
    for (int round = 0; round < 100000; ++round) {
      const std::optional<EmptyArea> area = empty_area(low, r.high_limit - 1, L);
      if (!area) return std::nullopt;
      Addr gap = area->index + r.start_gap;
      gap += (r.align_offset - gap) & r.align_mask;
      if (area->next && (area->next->vm_flags & VM_GROWSDOWN)) {
        if (start_gap(*area->next) < gap + L - 1) {
          low = area->next->vm_end;
          continue;
        }
      } else if (area->prev && area->prev->vm_end > gap) {
        low = area->prev->vm_end;
        continue;
      }
      return gap;
    }
    return std::nullopt;
  }

  // mm/vma.c unmapped_area_topdown (v6.18). A search that comes back to a high limit it has
  // already tried would loop forever in the kernel; the model's contract answers nullopt.
  std::optional<Addr> unmapped_area_topdown_v618(const GapRequest& r) const {
    if (r.length == 0) return std::nullopt;
    const Addr L = r.length + r.align_mask + r.start_gap;
    if (L < r.length) return std::nullopt;
    Addr high = r.high_limit;
    std::set<Addr> tried;
    for (;;) {
      if (!tried.insert(high).second) return std::nullopt;
      const std::optional<EmptyArea> area = empty_area_rev(r.low_limit, high - 1, L);
      if (!area) return std::nullopt;
      const Addr gap_end = area->last + 1;
      Addr gap = gap_end - r.length;
      gap -= (gap - r.align_offset) & r.align_mask;
      if (area->next && (area->next->vm_flags & VM_GROWSDOWN)) {
        if (start_gap(*area->next) < gap_end) {
          high = start_gap(*area->next);
          continue;
        }
      } else if (area->prev && area->prev->vm_end > gap) {
        high = area->prev->vm_start;
        continue;
      }
      return gap;
    }
  }
};

// ---- the run ----

class Run {
 public:
  Run(const std::uint8_t* data, std::size_t size) : fdp_(data, size) {}

  void go() {
    static constexpr Addr kGuards[] = {256 * 4096, 0, 4096, 4 * 4096, Addr{1} << 40, kMax & ~Addr{4095}};
    ref_.guard = kGuards[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kGuards) - 1)];
    // The maxima the tree keeps; a search of the other kind makes it keep both from then on.
    static constexpr GapKinds kKinds[] = {GapKinds::both, GapKinds::classic, GapKinds::maple};
    tree_ = VmaTree(ref_.guard,
                    kKinds[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kKinds) - 1)]);
    for (int i = 0; i < 200 && fdp_.remaining_bytes() > 0; ++i) {
      ++step_;
      const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
      if (k < 70) insert();
      else if (k < 95) erase();
      else if (k < 125) adjust();
      else if (k < 140) refresh();
      else if (k < 150) copy_or_move();
      else if (k < 152) clear();
      else if (k < 165) lookups();
      else if (k < 200) classic_search();
      else if (k < 220) empty_area_search();
      else v618_search();
      check_structure();
    }
  }

 private:
  // An address in one of the zones, in pages (sometimes with a byte offset).
  Addr address() {
    static constexpr Addr kZones[] = {0, 0x10000, 0x7e0000000000, 0 - (Addr{256} << 12)};
    const Addr base = kZones[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kZones) - 1)];
    Addr a = base + fdp_.ConsumeIntegralInRange<Addr>(0, 200) * 4096;
    if (fdp_.ConsumeIntegral<std::uint8_t>() >= 240) a += fdp_.ConsumeIntegralInRange<Addr>(1, 4095);
    return a;
  }

  const Vma* pick() {
    if (ref_.vmas.empty()) return nullptr;
    auto it = ref_.vmas.begin();
    std::advance(it, fdp_.ConsumeIntegralInRange<std::size_t>(0, ref_.vmas.size() - 1));
    return &it->second;
  }

  Vma* in_tree(const Vma& v) {
    Vma* t = tree_.find_vma(v.vm_start);
    if (!t || t->vm_start != v.vm_start || t->vm_end != v.vm_end)
      fail("the tree has no VMA [" + hex(v.vm_start) + ", " + hex(v.vm_end) + ")");
    return t;
  }

  void insert() {
    const Addr start = address();
    Addr len = fdp_.ConsumeIntegralInRange<Addr>(1, 8) * 4096;
    if (fdp_.ConsumeIntegral<std::uint8_t>() >= 220) len = fdp_.ConsumeIntegralInRange<Addr>(1, 64) * 4096 - fdp_.ConsumeIntegralInRange<Addr>(0, 4095);
    const Addr end = start + len;
    if (end <= start || ref_.overlaps(start, end)) return;
    Vma v;
    v.vm_start = start;
    v.vm_end = end;
    v.vm_pgoff = start >> 12;
    v.vm_flags = fdp_.ConsumeIntegral<std::uint8_t>() < 64 ? VM_GROWSDOWN : 0;
    note("insert [" + hex(start) + ", " + hex(end) + ")" + (v.vm_flags ? " growsdown" : ""));
    const Vma* t = tree_.insert(v);
    if (!t || t->vm_start != start || t->vm_end != end) fail("insert returned a wrong VMA");
    ref_.vmas[start] = v;
  }

  void erase() {
    const Vma* v = pick();
    if (!v) return;
    note("erase [" + hex(v->vm_start) + ", " + hex(v->vm_end) + ")");
    tree_.erase(in_tree(*v));
    ref_.vmas.erase(v->vm_start);
  }

  void adjust() {
    const Vma* v = pick();
    if (!v) return;
    const Vma* p = ref_.prev_of(*v);
    const Vma* n = ref_.next_of(*v);
    const Addr lo = p ? p->vm_end : 0;
    const Addr hi = n ? n->vm_start : kMax;
    // New bounds near the old ones (pages or bytes), clamped between the neighbours.
    auto move = [&](Addr a) {
      const std::int64_t d = fdp_.ConsumeIntegralInRange<std::int64_t>(-6, 6);
      Addr b = a + static_cast<Addr>(d * (fdp_.ConsumeBool() ? 4096 : 1));
      if (d < 0 && b > a) b = 0;
      if (d > 0 && b < a) b = kMax;
      return b < lo ? lo : b > hi ? hi : b;
    };
    const Addr s = move(v->vm_start);
    const Addr e = move(v->vm_end);
    if (!(s < e)) return;
    note("adjust [" + hex(v->vm_start) + ", " + hex(v->vm_end) + ") to [" + hex(s) + ", " +
         hex(e) + ")");
    Vma copy = *v;
    tree_.adjust(in_tree(*v), s, e);
    ref_.vmas.erase(copy.vm_start);
    copy.vm_start = s;
    copy.vm_end = e;
    ref_.vmas[s] = copy;
  }

  void refresh() {
    const Vma* v = pick();
    if (!v) return;
    note("toggle growsdown on [" + hex(v->vm_start) + ", " + hex(v->vm_end) + ")");
    Vma* t = in_tree(*v);
    t->vm_flags ^= VM_GROWSDOWN;
    tree_.refresh(t);
    ref_.vmas[v->vm_start].vm_flags ^= VM_GROWSDOWN;
  }

  void copy_or_move() {
    switch (fdp_.ConsumeIntegralInRange<int>(0, 3)) {
      case 0: {
        note("copy-construct");
        VmaTree copy(tree_);
        tree_ = VmaTree(ref_.guard);  // the copy must not share nodes with the original
        tree_ = copy;
        break;
      }
      case 1: {
        note("copy-assign, original destroyed");
        VmaTree copy(ref_.guard);
        copy = tree_;
        tree_.clear();
        tree_ = std::move(copy);
        break;
      }
      case 2: {
        note("move-construct");
        VmaTree moved(std::move(tree_));
        tree_ = std::move(moved);
        break;
      }
      default: {
        note("self-assign");
        VmaTree& self = tree_;
        tree_ = self;
        break;
      }
    }
  }

  void clear() {
    note("clear");
    tree_.clear();
    ref_.vmas.clear();
  }

  static std::string range_of(const Vma* v) {
    return v ? "[" + hex(v->vm_start) + ", " + hex(v->vm_end) + ")" : std::string("null");
  }
  static bool same(const Vma* a, const Vma* b) {
    if (!a || !b) return a == b;
    return a->vm_start == b->vm_start && a->vm_end == b->vm_end;
  }

  void lookups() {
    const Addr a = address() - (fdp_.ConsumeBool() ? 1 : 0);
    const Addr b = a + fdp_.ConsumeIntegralInRange<Addr>(1, 16) * 4096;
    note("lookups at " + hex(a) + ", " + hex(b));
    const VmaTree& ct = tree_;
    const Vma* want = ref_.find_vma(a);
    if (!same(tree_.find_vma(a), want) || !same(ct.find_vma(a), want))
      fail("find_vma(" + hex(a) + ") is " + range_of(ct.find_vma(a)) + ", expected " + range_of(want));
    const Vma* want_prev = want ? ref_.prev_of(*want)
                                : (ref_.vmas.empty() ? nullptr : &ref_.vmas.rbegin()->second);
    Vma* prev = nullptr;
    const Vma* cprev = nullptr;
    if (!same(tree_.find_vma_prev(a, &prev), want) || !same(prev, want_prev) ||
        !same(ct.find_vma_prev(a, &cprev), want) || !same(cprev, want_prev))
      fail("find_vma_prev(" + hex(a) + ") gives prev " + range_of(prev) + ", expected " +
           range_of(want_prev));
    const Vma* want_i = (want && want->vm_start < b) ? want : nullptr;
    if (b > a && (!same(tree_.find_vma_intersection(a, b), want_i) ||
                  !same(ct.find_vma_intersection(a, b), want_i)))
      fail("find_vma_intersection(" + hex(a) + ", " + hex(b) + ") is " +
           range_of(ct.find_vma_intersection(a, b)) + ", expected " + range_of(want_i));
    const Vma* want_first = ref_.vmas.empty() ? nullptr : &ref_.vmas.begin()->second;
    const Vma* want_last = ref_.vmas.empty() ? nullptr : &ref_.vmas.rbegin()->second;
    if (!same(tree_.first(), want_first) || !same(ct.first(), want_first) ||
        !same(tree_.last(), want_last) || !same(ct.last(), want_last))
      fail("first()/last() differ from the reference");
    if (want) {
      Vma* tw = in_tree(*want);
      if (!same(tree_.prev(tw), ref_.prev_of(*want)) || !same(ct.prev(tw), ref_.prev_of(*want)) ||
          !same(tree_.next(tw), ref_.next_of(*want)) || !same(ct.next(tw), ref_.next_of(*want)))
        fail("prev()/next() of " + range_of(want) + " differ from the reference");
    }
  }

  GapRequest request(bool v618) {
    GapRequest r;
    const std::uint8_t k = fdp_.ConsumeIntegral<std::uint8_t>();
    if (k < 200) r.length = fdp_.ConsumeIntegralInRange<Addr>(1, 8) * 4096;
    else if (k < 215) r.length = 0;
    else if (k < 235) r.length = fdp_.ConsumeIntegralInRange<Addr>(1, 0x10000);
    else r.length = fdp_.ConsumeBool() ? Addr{1} << 63 : kMax - fdp_.ConsumeIntegralInRange<Addr>(0, 8192);
    static constexpr Addr kMasks[] = {0, 0, 0, 0x1fffff, 0xf000, 0x3000, 0xfff, kMax};
    r.align_mask = kMasks[fdp_.ConsumeIntegralInRange<std::size_t>(0, std::size(kMasks) - 1)];
    if (r.align_mask) r.align_offset = fdp_.ConsumeBool() ? 0 : address();
    auto limit = [&](bool high) -> Addr {
      const std::uint8_t c = fdp_.ConsumeIntegral<std::uint8_t>();
      if (c < 170) return address();
      if (c < 200) return high ? kMax : 0;
      if (c < 215) return high ? 0 : 4096;
      if (c < 230) return high ? (Addr{1} << 47) - 4096 : 0x10000;
      return fdp_.ConsumeIntegral<Addr>();
    };
    r.low_limit = limit(false);
    r.high_limit = limit(true);
    if (v618 && fdp_.ConsumeIntegral<std::uint8_t>() >= 200)
      r.start_gap = fdp_.ConsumeIntegralInRange<Addr>(1, 4) * 4096;
    return r;
  }

  static std::string show(const GapRequest& r) {
    return "{length " + hex(r.length) + ", low " + hex(r.low_limit) + ", high " +
           hex(r.high_limit) + ", align_mask " + hex(r.align_mask) + ", align_offset " +
           hex(r.align_offset) + ", start_gap " + hex(r.start_gap) + "}";
  }

  void classic_search() {
    const GapRequest r = request(false);
    note("classic searches " + show(r));
    const auto up = tree_.unmapped_area(r), want_up = ref_.unmapped_area(r);
    if (up != want_up)
      fail("unmapped_area" + show(r) + " is " + opt(up) + ", expected " + opt(want_up));
    const auto down = tree_.unmapped_area_topdown(r), want_down = ref_.unmapped_area_topdown(r);
    if (down != want_down)
      fail("unmapped_area_topdown" + show(r) + " is " + opt(down) + ", expected " + opt(want_down));
  }

  static std::string area_str(const std::optional<EmptyArea>& a) {
    if (!a) return "none";
    return "[" + hex(a->index) + ", " + hex(a->last) + "] prev " + range_of(a->prev) + " next " +
           range_of(a->next);
  }
  static bool same_area(const std::optional<EmptyArea>& a, const std::optional<EmptyArea>& b) {
    if (!a || !b) return a.has_value() == b.has_value();
    return a->index == b->index && a->last == b->last && same(a->prev, b->prev) &&
           same(a->next, b->next);
  }

  void empty_area_search() {
    Addr min = address(), max = address();
    if (fdp_.ConsumeIntegral<std::uint8_t>() >= 200) max = kMax;
    if (fdp_.ConsumeIntegral<std::uint8_t>() >= 220) min = 0;
    Addr size = fdp_.ConsumeIntegralInRange<Addr>(0, 10) * 4096;
    if (fdp_.ConsumeIntegral<std::uint8_t>() >= 200) size = fdp_.ConsumeIntegralInRange<Addr>(0, 0x20000);
    note("empty_area(" + hex(min) + ", " + hex(max) + ", " + hex(size) + ")");
    const auto a = tree_.empty_area(min, max, size), want = ref_.empty_area(min, max, size);
    if (!same_area(a, want))
      fail("empty_area(" + hex(min) + ", " + hex(max) + ", " + hex(size) + ") is " + area_str(a) +
           ", expected " + area_str(want));
    const auto b = tree_.empty_area_rev(min, max, size), want_b = ref_.empty_area_rev(min, max, size);
    if (!same_area(b, want_b))
      fail("empty_area_rev(" + hex(min) + ", " + hex(max) + ", " + hex(size) + ") is " +
           area_str(b) + ", expected " + area_str(want_b));
  }

  void v618_search() {
    const GapRequest r = request(true);
    note("v6.18 searches " + show(r));
    const auto up = tree_.unmapped_area_v618(r), want_up = ref_.unmapped_area_v618(r);
    if (up != want_up)
      fail("unmapped_area_v618" + show(r) + " is " + opt(up) + ", expected " + opt(want_up));
    const auto down = tree_.unmapped_area_topdown_v618(r);
    const auto want_down = ref_.unmapped_area_topdown_v618(r);
    if (down != want_down)
      fail("unmapped_area_topdown_v618" + show(r) + " is " + opt(down) + ", expected " +
           opt(want_down));
  }

  void check_structure() {
    std::string why;
    if (!tree_.check_augmentation(&why)) fail("check_augmentation: " + why);
    if (tree_.size() != ref_.vmas.size() || tree_.empty() != ref_.vmas.empty())
      fail("size() is " + std::to_string(tree_.size()) + ", expected " +
           std::to_string(ref_.vmas.size()));
    auto it = ref_.vmas.begin();
    for (const Vma& v : tree_) {
      if (it == ref_.vmas.end() || !same(&v, &it->second) || v.vm_flags != it->second.vm_flags)
        fail("in-order walk: " + range_of(&v) + " where the reference has " +
             (it == ref_.vmas.end() ? std::string("nothing") : range_of(&it->second)));
      if (tree_.gap(&v) != ref_.gap_of(v) || tree_.recompute_gap(&v) != ref_.gap_of(v))
        fail("gap of " + range_of(&v) + " is " + hex(tree_.gap(&v)) + ", expected " +
             hex(ref_.gap_of(v)));
      if (tree_.raw_gap(&v) != ref_.raw_gap_of(v) || tree_.recompute_raw_gap(&v) != ref_.raw_gap_of(v))
        fail("raw gap of " + range_of(&v) + " is " + hex(tree_.raw_gap(&v)) + ", expected " +
             hex(ref_.raw_gap_of(v)));
      if (tree_.subtree_gap(&v) < tree_.gap(&v) || tree_.subtree_raw_gap(&v) < tree_.raw_gap(&v))
        fail("subtree gap of " + range_of(&v) + " below its own gap");
      ++it;
    }
    if (it != ref_.vmas.end()) fail("the tree misses " + range_of(&it->second));
    const Addr want_highest = ref_.vmas.empty() ? 0 : ref_.vmas.rbegin()->second.vm_end;
    if (tree_.highest_vm_end() != want_highest)
      fail("highest_vm_end() is " + hex(tree_.highest_vm_end()) + ", expected " + hex(want_highest));
    // VmaTree is a WAVL tree: 1.44 log2 n like AVL while only inserting, 2 log2 n after erases.
    const double bound = 2.0 * std::log2(static_cast<double>(ref_.vmas.size()) + 2.0) + 1.0;
    if (tree_.height() > bound)
      fail("height " + std::to_string(tree_.height()) + " above the WAVL bound for " +
           std::to_string(ref_.vmas.size()) + " VMAs");
  }

  void note(std::string s) {
    last_ = std::move(s);
    if (verbose_) std::fprintf(stderr, "step %d: %s\n", step_, last_.c_str());
  }

  [[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr,
                 "\n==== mmspec vma_tree_fuzzer: CHECK FAILED at step %d (%s), stack_guard_gap "
                 "%s\n%s\nreference VMAs:\n",
                 step_, last_.c_str(), hex(ref_.guard).c_str(), what.c_str());
    for (const auto& [s, v] : ref_.vmas)
      std::fprintf(stderr, "  [%s, %s)%s\n", hex(v.vm_start).c_str(), hex(v.vm_end).c_str(),
                   (v.vm_flags & VM_GROWSDOWN) ? " growsdown" : "");
    std::abort();
  }

  FuzzedDataProvider fdp_;
  VmaTree tree_;
  Ref ref_;
  int step_ = 0;
  std::string last_;
  const bool verbose_ = std::getenv("MMSPEC_FUZZ_VERBOSE") != nullptr;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Run(data, size).go();
  return 0;
}
