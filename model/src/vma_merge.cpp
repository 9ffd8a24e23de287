#include "mmspec/vma_merge.hpp"

#include "mmspec/vm_flags.hpp"

namespace mmspec {
namespace {

bool anon_pair_compatible(const Vma& a, const Vma& b) {
  return !a.anon_vma || !b.anon_vma || a.anon_vma == b.anon_vma;
}

// mm/mmap.c is_mergeable_anon_vma (v5.15, v6.1): with either side unfaulted, the neighbour's chain
// must be a single entry (an unfaulted neighbour has an empty chain, so only an unfaulted
// range passes); otherwise both must share the anon_vma.
bool classic_anon_ok(const Vma& n, const MergeProposal& p) {
  if ((!p.anon_vma || !n.anon_vma) && n.anon_vma_chain == 1) return true;
  return p.anon_vma == n.anon_vma;
}

// mm/vma.c is_mergeable_anon_vma, vma_had_uncowed_parents (v6.18)
bool modern_anon_ok(const Vma& tgt, const MergeProposal& p) {
  auto had_uncowed_parents = [](const Vma* v) {
    return v && v->anon_vma && v->anon_vma_chain != 1;
  };
  if (!tgt.anon_vma && p.anon_vma) return !had_uncowed_parents(p.src);
  if (tgt.anon_vma && !p.anon_vma) return !had_uncowed_parents(&tgt);
  return p.anon_vma == tgt.anon_vma;
}

// Give `importer` the anon_vma of `exporter` if it has none (anon_vma_clone / dup_anon_vma).
void import_anon_vma(Vma& importer, const Vma& exporter) {
  if (exporter.anon_vma && !importer.anon_vma) {
    importer.anon_vma = exporter.anon_vma;
    importer.anon_vma_chain = exporter.anon_vma_chain;
  }
}

void remove_vma(Mm& mm, Vma* v) {
  mm.vmas.erase(v);
  mm.map_count--;
}

std::string side_text(const char* side, const Vma* n, MergeRefusal r, const Mm& mm,
                      const MergeProposal& p) {
  std::string s = std::string(side) + ": " + std::string(merge_refusal_text(r));
  if (n) s += " (" + vma_str(*n) + ")";
  if (r == MergeRefusal::flags && n)
    s += ": differ in {" + vm_flags_mnemonics((n->vm_flags ^ p.flags) & ~VM_SOFTDIRTY) + "}";
  (void)mm;
  return s;
}

// The geometric effect of merge case c. P = the VMA that stays on the left (prev; for case 4
// the VMA whose tail is taken), A = the VMA after prev that the range overlaps (cases 5-8),
// N = the VMA after the range (cases 1, 3, 4, 6, 8). Removal happens before growth so that the
// tree never holds overlapping VMAs. mm/mmap.c __vma_adjust (v5.15); mm/vma.c commit_merge,
// vma_expand (v6.18).
Vma* commit_case(Mm& mm, int c, Vma* P, Vma* A, Vma* N, const MergeProposal& p) {
  const PgOff pglen = (p.end - p.start) >> PAGE_SHIFT;
  const bool narrate = mm.narrating();
  std::string how;
  switch (c) {
    case 1: {  // prev + range + next: prev grows over next, next goes
      import_anon_vma(*P, *N);
      const Addr end = N->vm_end;
      if (narrate) how = "prev grows to " + hex(end) + ", next " + vma_str(*N) + " removed (remove_next=1)";
      remove_vma(mm, N);
      mm.vmas.adjust(P, P->vm_start, end);
      MMSPEC_NOTE(mm, EventKind::adjust, how);
      return P;
    }
    case 2:  // prev + range
      if (narrate) how = "prev grows to " + hex(p.end);
      mm.vmas.adjust(P, P->vm_start, p.end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, how);
      return P;
    case 3:  // range + next: next grows down, its pgoff moves back by the range's pages
      N->vm_pgoff = pgoff_below<Addr>(N->vm_pgoff, N->vm_start, p.start);
      mm.vmas.adjust(N, p.start, N->vm_end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, "next grows down to " + hex(p.start) + ", vm_pgoff -" + hex(pglen) + " -> " + hex(N->vm_pgoff));
      return N;
    case 4: {  // tail of P joins next: P shrinks, next grows down (adjust_next < 0)
      import_anon_vma(*N, *P);
      mm.vmas.adjust(P, P->vm_start, p.start);
      N->vm_pgoff = pgoff_below<Addr>(N->vm_pgoff, N->vm_start, p.start);
      mm.vmas.adjust(N, p.start, N->vm_end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, "prev shrinks to end at " + hex(p.start) + ", next grows down to " + hex(p.start) + " with vm_pgoff " + hex(N->vm_pgoff) + " (adjust_next=-" + hex(pglen << PAGE_SHIFT) + ")");
      return N;
    }
    case 5: {  // head of A joins prev: A's start and pgoff move up (adjust_next > 0)
      import_anon_vma(*P, *A);
      A->vm_pgoff = pgoff_at<Addr>(A->vm_pgoff, A->vm_start, p.end);
      mm.vmas.adjust(A, p.end, A->vm_end);
      mm.vmas.adjust(P, P->vm_start, p.end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, "prev grows to " + hex(p.end) + ", next starts at " + hex(p.end) + " with vm_pgoff " + hex(A->vm_pgoff) + " (adjust_next=+" + hex(pglen << PAGE_SHIFT) + ")");
      return P;
    }
    case 6: {  // prev + A + next: both A and next go
      if (mm.classic())
        import_anon_vma(*P, A->anon_vma ? *A : *N);
      else
        import_anon_vma(*P, N->anon_vma ? *N : *A);
      const Addr end = N->vm_end;
      if (narrate) how = "prev grows to " + hex(end) + ", " + vma_str(*A) + " and " + vma_str(*N) + " removed (remove_next=2)";
      remove_vma(mm, A);
      remove_vma(mm, N);
      mm.vmas.adjust(P, P->vm_start, end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, how);
      return P;
    }
    case 7: {  // prev + A: A goes
      import_anon_vma(*P, *A);
      const Addr end = A->vm_end;
      if (narrate) how = "prev grows to " + hex(end) + ", " + vma_str(*A) + " removed (remove_next=1)";
      remove_vma(mm, A);
      mm.vmas.adjust(P, P->vm_start, end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, how);
      return P;
    }
    case 8: {  // A + next: next grows down over A, A goes
      import_anon_vma(*N, *A);
      const Addr start = A->vm_start;
      if (narrate) how = "next grows down to " + hex(start) + ", " + vma_str(*A) + " removed (remove_next=3)";
      remove_vma(mm, A);
      N->vm_pgoff = pgoff_below<Addr>(N->vm_pgoff, N->vm_start, start);
      mm.vmas.adjust(N, start, N->vm_end);
      if (narrate) MMSPEC_NOTE(mm, EventKind::adjust, how + "; vm_pgoff " + hex(N->vm_pgoff));
      return N;
    }
  }
  return nullptr;
}

void narrate_case(const Mm& mm, int c, const MergeProposal& p) {
  if (!mm.narrating()) return;
  static const char* const what[] = {
      "",
      "prev + range + next",
      "prev + range",
      "range + next",
      "tail of prev joins next",
      "head of next joins prev",
      "prev + middle + next",
      "prev + middle",
      "middle + next",
  };
  mm.events->push_back(Event{EventKind::merge, c,
                             "vma_merge case " + std::to_string(c) + " (" + what[c] + ") for [" +
                                 hex(p.start) + "-" + hex(p.end) + ")"});
}

void narrate_refusal(const Mm& mm, const std::string& why) {
  MMSPEC_NOTE(mm, EventKind::merge_refused, why);
}

// The verdict on both sides of a range: mm/vma.c can_vma_merge_left / can_vma_merge_right
// (v6.18), the two tests at the top of mm/mmap.c vma_merge (v5.15). A side can be blocked up
// front (brk's expand-only mode, an mprotect range that does not reach that end).
struct Sides {
  MergeRefusal lr = MergeRefusal::none, rr = MergeRefusal::none;
  bool left() const { return lr == MergeRefusal::none; }
  bool right() const { return rr == MergeRefusal::none; }
};

Sides check_sides(const Mm& mm, const Vma* prev, const Vma* next, const MergeProposal& p,
                  MergeRefusal left_blocked = MergeRefusal::none,
                  MergeRefusal right_blocked = MergeRefusal::none) {
  Sides s;
  s.lr = left_blocked != MergeRefusal::none ? left_blocked
         : !prev                            ? MergeRefusal::no_neighbour
         : prev->vm_end != p.start          ? MergeRefusal::not_adjacent
                                            : can_merge_side(mm, *prev, p, false);
  s.rr = right_blocked != MergeRefusal::none ? right_blocked
         : !next                             ? MergeRefusal::no_neighbour
         : p.end != next->vm_start           ? MergeRefusal::not_adjacent
                                             : can_merge_side(mm, *next, p, true);
  // Merging both ways also needs prev and next to agree with each other.
  if (s.left() && s.right() && !anon_pair_compatible(*prev, *next)) s.rr = MergeRefusal::prev_next_anon;
  return s;
}

}  // namespace

std::string_view merge_refusal_text(MergeRefusal r) {
  switch (r) {
    case MergeRefusal::none: return "mergeable";
    case MergeRefusal::special: return "VM_SPECIAL mapping never merges";
    case MergeRefusal::no_neighbour: return "no VMA";
    case MergeRefusal::not_adjacent: return "not adjacent";
    case MergeRefusal::flags: return "vm_flags differ";
    case MergeRefusal::file: return "different file";
    case MergeRefusal::close_hook: return "neighbour has a vm_ops->close hook";
    case MergeRefusal::anon_name: return "anonymous VMA names differ";
    case MergeRefusal::anon_vma: return "anon_vma incompatible";
    case MergeRefusal::pgoff: return "vm_pgoff not continuous";
    case MergeRefusal::prev_next_anon: return "prev and next have different anon_vmas";
    case MergeRefusal::remove_close: return "the merge would remove a VMA with a close hook";
    case MergeRefusal::range_inside: return "range touches neither end of its VMA";
    case MergeRefusal::not_at_start: return "range does not start where its VMA starts";
    case MergeRefusal::not_at_end: return "range does not end where its VMA ends";
  }
  return "?";
}

MergeRefusal can_merge_side(const Mm& mm, const Vma& n, const MergeProposal& p, bool is_next) {
  if ((n.vm_flags ^ p.flags) & ~VM_SOFTDIRTY) return MergeRefusal::flags;
  if (n.vm_file != p.file) return MergeRefusal::file;
  // mm/mmap.c is_mergeable_vma: v5.15 refuses close hooks, v6.1 close hooks and differing
  // anon_vma names (never set by the model), v6.18 names (close hooks only when removing).
  if (mm.classic()) {
    if (n.close_hook) return MergeRefusal::close_hook;
  } else if (n.anon_name != p.anon_name) {
    return MergeRefusal::anon_name;
  }
  if (!(mm.classic() ? classic_anon_ok(n, p) : modern_anon_ok(n, p))) return MergeRefusal::anon_vma;
  const bool cont = is_next ? pgoff_continues<Addr>(p.pgoff, p.start, p.end, n.vm_pgoff)
                            : pgoff_continues<Addr>(n.vm_pgoff, n.vm_start, n.vm_end, p.pgoff);
  if (!cont) return MergeRefusal::pgoff;
  return MergeRefusal::none;
}

namespace {

// mm/mmap.c vma_merge (v5.15; v6.1 the same cases): used for new ranges (v5.10) and existing ranges alike. `prev` is the
// VMA before the range, or the VMA containing p.start when the range starts inside it.
Vma* classic_vma_merge(Mm& mm, Vma* prev, const MergeProposal& p) {
  if (p.flags & VM_SPECIAL) {
    narrate_refusal(mm, std::string(merge_refusal_text(MergeRefusal::special)));
    return nullptr;
  }
  Vma* area = prev ? mm.vmas.next(prev) : mm.vmas.first();
  Vma* next = area;
  const bool area_covers = area && area->vm_end == p.end;
  if (area_covers) next = mm.vmas.next(area);

  const Sides sd = check_sides(mm, prev, next, p);
  const MergeRefusal lr = sd.lr, rr = sd.rr;
  const bool left = sd.left(), right = sd.right();
  const bool end_inside_area = area && area->vm_start < p.end && p.end < area->vm_end;
  const bool addr_inside_prev = prev && p.start < prev->vm_end;
  const int c = static_cast<int>(
      merge_case<Addr>(left, right, area_covers, end_inside_area, addr_inside_prev, 0));
  if (c == 0) {
    if (mm.narrating()) narrate_refusal(mm, side_text("prev", prev, lr, mm, p) + "; " + side_text("next", next, rr, mm, p));
    return nullptr;
  }
  if (mm.narrating() && (!left || !right))
    MMSPEC_NOTE(mm, EventKind::merge_refused, left ? side_text("next", next, rr, mm, p)
                                            : side_text("prev", prev, lr, mm, p));
  narrate_case(mm, c, p);
  return commit_case(mm, c, prev, area, next, p);
}

// mm/mmap.c __mmap_region and do_brk_flags (v6.1): no vma_merge for a new range. next is
// checked first with no anon_vma, then prev with next's anon_vma if next qualified; vma_expand
// grows the chosen VMA (prev over next when both qualify). brk checks prev only.
Vma* expand_next_first(Mm& mm, Vma* prev, Vma* next, const MergeProposal& p, bool just_expand) {
  if (p.flags & VM_SPECIAL) {
    narrate_refusal(mm, std::string(merge_refusal_text(MergeRefusal::special)));
    return nullptr;
  }
  const MergeRefusal rr = just_expand                 ? MergeRefusal::no_neighbour
                          : !next                     ? MergeRefusal::no_neighbour
                          : p.end != next->vm_start   ? MergeRefusal::not_adjacent
                                                      : can_merge_side(mm, *next, p, true);
  const bool right = rr == MergeRefusal::none;
  MergeProposal pl = p;
  if (right) pl.anon_vma = next->anon_vma;
  const MergeRefusal lr = !prev                      ? MergeRefusal::no_neighbour
                          : prev->vm_end != p.start  ? MergeRefusal::not_adjacent
                                                     : can_merge_side(mm, *prev, pl, false);
  const bool left = lr == MergeRefusal::none;
  const int c = static_cast<int>(merge_case<Addr>(left, right, false, false, false, 0));
  if (c == 0) {
    if (mm.narrating()) narrate_refusal(mm, side_text("prev", prev, lr, mm, pl) + "; " + side_text("next", next, rr, mm, p));
    return nullptr;
  }
  if (mm.narrating() && (!left || !right) && !just_expand)
    MMSPEC_NOTE(mm, EventKind::merge_refused, left ? side_text("next", next, rr, mm, p)
                                            : side_text("prev", prev, lr, mm, pl));
  narrate_case(mm, c, p);
  return commit_case(mm, c, prev, nullptr, next, p);
}

}  // namespace

// mm/mmap.c vma_merge (v5.15); mm/mmap.c __mmap_region, do_brk_flags (v6.1);
// mm/vma.c vma_merge_new_range (v6.18)
Vma* vma_merge_new(Mm& mm, Vma* prev, Vma* next, const MergeProposal& p, bool just_expand) {
  if (mm.mmap_expands_next_first()) return expand_next_first(mm, prev, next, p, just_expand);
  if (mm.classic()) return classic_vma_merge(mm, prev, p);
  if (p.flags & VM_SPECIAL) {
    narrate_refusal(mm, std::string(merge_refusal_text(MergeRefusal::special)));
    return nullptr;
  }
  if (!prev && !next) {
    narrate_refusal(mm, "no neighbours");
    return nullptr;
  }
  const Sides sd = check_sides(mm, prev, next, p, MergeRefusal::none,
                               just_expand ? MergeRefusal::no_neighbour : MergeRefusal::none);
  MergeRefusal lr = sd.lr, rr = sd.rr;
  const bool left = sd.left();
  bool right = sd.right();
  // Expanding prev over next would delete next: not allowed if next has a close hook.
  if (left && right && next->close_hook) {
    rr = MergeRefusal::remove_close;
    right = false;
  }
  const int c = static_cast<int>(merge_case<Addr>(left, right, false, false, false, 0));
  if (c == 0) {
    if (mm.narrating()) narrate_refusal(mm, side_text("prev", prev, lr, mm, p) + "; " + side_text("next", next, rr, mm, p));
    return nullptr;
  }
  if (mm.narrating() && (!left || !right) && !just_expand)
    MMSPEC_NOTE(mm, EventKind::merge_refused, left ? side_text("next", next, rr, mm, p)
                                            : side_text("prev", prev, lr, mm, p));
  narrate_case(mm, c, p);
  return commit_case(mm, c, prev, nullptr, next, p);
}

// mm/mmap.c vma_merge (v5.15); mm/vma.c vma_merge_existing_range (v6.18)
Vma* vma_merge_existing(Mm& mm, Vma* prev, Vma* middle, const MergeProposal& p) {
  if (mm.classic()) {
    // Classic callers pass the VMA containing the start when the range starts inside it.
    return classic_vma_merge(mm, p.start > middle->vm_start ? middle : prev, p);
  }
  const bool left_side = p.start == middle->vm_start;
  const bool right_side = p.end == middle->vm_end;
  if (p.flags & VM_SPECIAL) {
    narrate_refusal(mm, std::string(merge_refusal_text(MergeRefusal::special)));
    return nullptr;
  }
  if (!left_side && !right_side) {
    narrate_refusal(mm, std::string(merge_refusal_text(MergeRefusal::range_inside)));
    return nullptr;
  }
  Vma* next = right_side ? mm.vmas.next(middle) : nullptr;
  const Sides sd = check_sides(mm, prev, next, p,
                               left_side ? MergeRefusal::none : MergeRefusal::not_at_start,
                               right_side ? MergeRefusal::none : MergeRefusal::not_at_end);
  MergeRefusal lr = sd.lr, rr = sd.rr;
  const bool left = sd.left();
  bool right = sd.right();
  if (!left && !right) {
    if (mm.narrating()) narrate_refusal(mm, side_text("prev", prev, lr, mm, p) + "; " + side_text("next", next, rr, mm, p));
    return nullptr;
  }
  const bool remove_middle = left_side && right_side;
  if (remove_middle && middle->close_hook) {
    narrate_refusal(mm, std::string(merge_refusal_text(MergeRefusal::remove_close)));
    return nullptr;
  }
  if (left && right && next->close_hook) {
    rr = MergeRefusal::remove_close;
    right = false;
  }
  const int c = static_cast<int>(
      merge_case<Addr>(left, right, remove_middle, !right_side, !left_side, 0));
  if (mm.narrating() && (!left || !right))
    MMSPEC_NOTE(mm, EventKind::merge_refused, left ? side_text("next", next, rr, mm, p)
                                            : side_text("prev", prev, lr, mm, p));
  narrate_case(mm, c, p);
  // Geometric roles: for case 4 the shrinking VMA is middle; for cases 5-8 middle is "area".
  return commit_case(mm, c, c == 4 ? middle : prev, middle, next, p);
}

}  // namespace mmspec
