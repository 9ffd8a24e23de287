// The ordered set of an mm's VMAs with subtree gaps: the model of the classic kernel's
// rb_subtree_gap-augmented rb-tree (mm->mm_rb plus the vm_prev/vm_next list, v5.15), and of the
// empty-range search of the v6.18 maple tree (mm->mm_mt) that replaced it.
//
// Models (one line each; all mm/mmap.c, v5.15, unless marked v6.18):
//   vma_compute_gap          gap(n) below a VMA                       -> gap.hpp vma_gap
//   vma_gap_callbacks        the max-augmentation kept across rotations -> gap.hpp subtree_gap
//   vma_gap_update / vma_rb_insert / vma_rb_erase_ignore / __vma_unlink_list: the updates here
//   find_vma, find_vma_prev, find_vma_intersection (include/linux/mm.h): the lookups here
//   unmapped_area            bottom-up gap search                      -> unmapped_area()
//   unmapped_area_topdown    top-down gap search                       -> unmapped_area_topdown()
//   v6.18 maple tree gaps (lib/maple_tree.c ma_gaps / mas_update_gap): raw_gap(n), its subtree
//                            maximum                                   -> gap.hpp raw_gap
//   v6.18 mas_empty_area / mas_empty_area_rev (lib/maple_tree.c) behind vma_iter_area_lowest /
//                            vma_iter_area_highest (mm/vma.h)          -> empty_area(), _rev()
//   v6.18 unmapped_area (mm/vma.c)                                   -> unmapped_area_v618()
//   v6.18 unmapped_area_topdown (mm/vma.c)                   -> unmapped_area_topdown_v618()
//
// Structure: a balanced binary search tree keyed by vm_start (a WAVL tree: rank-balanced, see
// vma_tree.cpp), with parent pointers and the classic kernel's doubly linked VMA list threaded
// through the nodes (vm_prev / vm_next, and the first and last VMA), holding each Vma inline in
// its node. Nodes are three cache lines, aligned, allocated from chunks the tree owns; erased
// nodes are reused by later inserts. The first line holds what lookups, v6.18 searches and
// their gap updates read (vma_tree.cpp). A Vma* handed out stays valid until that VMA is erased
// (also across moves of the tree; a copy has its own nodes).
//
// Invariants (check_augmentation() verifies all of them from scratch):
//   in-order: vm_start < vm_end, and vm_end <= next.vm_start (no overlap); the vm_prev /
//                    vm_next links and first / last follow that order
//   gap_start(n)   = vm_end_gap(prev(n)), or 0 for the lowest VMA
//   gap(n)         = vma_gap(vm_start_gap(n, stack_guard_gap), gap_start(n))
//   subtree_gap(n) = max(gap(n), subtree_gap(left), subtree_gap(right))   (absent child: 0)
//   prev_end(n)    = vm_end(prev(n)), or 0 for the lowest VMA
//   raw_gap(n)     = vm_start(n) - prev_end(n)                     (no guard gap; 0 if touching)
//   subtree_raw_gap(n) = max(raw_gap(n), subtree_raw_gap(left), subtree_raw_gap(right))
//   rank(n) - rank(child) is 1 or 2 (absent child: rank -1), and rank(leaf) = 0
// so the height is at most 2 log2(n) + 1, and below 1.44 log2(n + 2) as long as nothing was
// erased (the tree is then an AVL tree). A node stores raw_gap and gap, and the subtree maxima
// of its two children, not its own ("slots"; vma_tree.cpp). The tree keeps the maxima of the
// kinds its GapKinds names (both unless told otherwise; a search of a kind not kept makes it
// keep that kind too, after recomputing it in O(n) once). The subtree maxima may lag behind a change until the
// next reader of them (the gap searches, subtree_gap(), subtree_raw_gap(), check_augmentation(),
// a copy) brings them up to date first ("deferred gap updates" in vma_tree.cpp); no answer
// ever depends on it. So a VmaTree is not safe to share between threads even read-only (the
// model is single-threaded).
//
// Cost: insert, erase, adjust, refresh, find_vma*, the classic gap searches, empty_area(_rev):
// O(log n) (a change costs O(1) amortised rank changes and at most two rotations, plus its
// share of the deferred gap updates, each a walk up from one node that stops where the maxima
// stop changing). The v6.18 searches: O(log n) per round; 1 round plus one per VM_GROWSDOWN
// VMA met (bounded below). prev, next, first, last, highest_vm_end, gap, raw_gap,
// recompute_gap, recompute_raw_gap: O(1). find_vma* first try the finger, the node of the
// last lookup, change or v6.18 search (as mm/vmacache.c in v5.15, or the v6.18 maple state,
// start from where they stand): O(1) when the answer is the finger or its next VMA. insert first tries whether
// the finger is a neighbour of the new VMA: O(1) to find the place then (a split inserts right
// after the VMA it just adjusted). Copy, check_augmentation and height(): O(n). Memory: 192
// bytes per VMA, in chunks of up to 1024 nodes, kept until the tree is cleared or destroyed.
//
// Gap search contract (classic, v5.15). For a request accepted by gap_request_ok() (gap.hpp),
// bottom-up returns the placement in the lowest gap that fits, top-down the placement in the
// highest one, where the gaps are, in address order, [0, vm_start_gap(first)),
// [vm_end_gap(prev), vm_start_gap(v)) for every further VMA v, and [highest_vm_end, inf);
// top-down tries [highest_vm_end, inf) before all others. This is what the kernel's walk
// returns whenever vm_start_gap is monotone over the VMAs. It is not monotone only when a VMA
// lies inside the guard gap of a VM_GROWSDOWN VMA above it (possible with MAP_FIXED); the
// kernel's answer then depends on the shape of its rb-tree (its walk prunes on one node's gap
// end), and the model keeps the address-order answer above (a deviation to record in
// docs/deviations.md).
//
// Gap search contract (v6.18). The maple tree stores the empty ranges between VMAs as NULL
// ranges, never split across two leaves (lib/maple_tree.c mab_no_null_split), so the empty
// ranges it searches are exactly [0, first.vm_start - 1], [prev.vm_end, v.vm_start - 1] for
// every further VMA v (when non-empty) and [last.vm_end, ULONG_MAX]; the whole space when there
// is no VMA. empty_area / empty_area_rev return the lowest / highest of them whose intersection
// with [min, max] has at least size values, clipped as the maple tree clips it, with the VMAs
// that vma_prev / vma_next then return. The v6.18 searches follow mm/vma.c to the letter on top
// of that: find an empty area of L = length + align_mask + start_gap in [low, high - 1], place
// the candidate, and if the VMA after the range has VM_GROWSDOWN with a guard gap reaching the
// candidate (or, only when it has not, the VMA before has vm_end_gap above it), move the
// limit past that VMA and retry. So their answer does not depend on the tree's shape, and a VMA
// inside another's guard gap is handled as the kernel handles it.
// Rounds: bottom-up, every retry raises low above the VMA that caused it, so each growsdown VMA
// causes at most one retry. Top-down, every retry lowers high strictly (to vm_start_gap(next)
// below the previous area's end), so again each growsdown VMA causes at most one, except when
// vm_start_gap(next) is 0 (a growsdown VMA within stack_guard_gap of address 0): high 0 makes
// the kernel's window [low, ULONG_MAX], the whole space, and the count starts over once. If
// that happens a second time the kernel would loop forever; the model returns nullopt there.
// The prev rule never fires while vm_end_gap is vm_end (x86). Neither can happen on a real
// x86-64 process (the range [last.vm_end, ULONG_MAX] above TASK_SIZE always fits after the
// first wrap, and the caller then rejects the address above TASK_SIZE - len), but the model
// takes any layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

#include "mmspec/types.hpp"
#include "mmspec/vma.hpp"

namespace mmspec {

// struct vm_unmapped_area_info (include/linux/mm.h v5.15, v6.18) without the flags: the
// direction is chosen by calling unmapped_area() or unmapped_area_topdown() (or their _v618
// forms). start_gap is v6.18 only (x86 sets it for VM_SHADOW_STACK; 0 otherwise); the classic
// searches ignore it, as v5.15 had no such field. The v6.18 searches take low_limit as given:
// raising it to mmap_min_addr ("if (low_limit < mmap_min_addr)") is the caller's business.
struct GapRequest {
  Addr length = 0;
  Addr low_limit = 0;
  Addr high_limit = 0;
  Addr align_mask = 0;
  Addr align_offset = 0;
  Addr start_gap = 0;
};

// What lib/maple_tree.c mas_empty_area / mas_empty_area_rev (v6.18) leave in the iterator on
// success: the area [index, last] (last = index + size - 1) inside the empty range found, and
// the VMAs around that empty range, which vma_prev / vma_next (include/linux/mm.h v6.18) return
// next (nullptr where there is none). next is the VMA right after the whole empty range, also
// when the area was clipped below it.
struct EmptyArea {
  Addr index = 0;
  Addr last = 0;
  const Vma* prev = nullptr;
  const Vma* next = nullptr;
};

// Which subtree maxima a tree keeps up to date as it changes: those of the classic searches
// (gap, rb_subtree_gap), those of the v6.18 ones (raw_gap, the maple tree's gaps), or both. A
// search of the other kind still gets the right answer: the first one recomputes the missing
// maxima of every node (O(n), once) and the tree keeps both from then on. An Mm keeps the
// kind its profile searches with, and so pays for one augmentation per change instead of two.
enum class GapKinds : std::uint8_t { classic = 1, maple = 2, both = 3 };

class VmaTree {
  struct Node;  // three cache lines, aligned to them (see vma_tree.cpp)
  // The gap maxima of a subtree, as its parent node keeps them (see vma_tree.cpp).
  struct Slot {
    Addr gap = 0;
    Addr raw_gap = 0;
  };

 public:
  // The kernel's stack_guard_gap (mm/mmap.c, default 256 pages; boot parameter stack_guard_gap).
  explicit VmaTree(Addr stack_guard_gap = 256 * PAGE_SIZE, GapKinds kinds = GapKinds::both);
  VmaTree(const VmaTree& other);
  VmaTree& operator=(const VmaTree& other);
  VmaTree(VmaTree&& other) noexcept;
  VmaTree& operator=(VmaTree&& other) noexcept;
  ~VmaTree();

  // ---- changes (each keeps gap, subtree_gap and balance exact) ----

  // Adds a copy of v. Precondition: v.vm_start < v.vm_end and v overlaps no VMA of the tree.
  Vma* insert(const Vma& v);
  // Removes and frees *v (v must belong to this tree); the Vma* becomes invalid.
  void erase(Vma* v);
  // Sets v->vm_start / v->vm_end in place. Precondition: new_start < new_end, and the new range
  // stays between v's neighbours without overlapping them. vm_pgoff is the caller's business.
  void adjust(Vma* v, Addr new_start, Addr new_end);
  // Recomputes the gaps that depend on *v after the caller changed v->vm_flags (VM_GROWSDOWN
  // moves vm_start_gap). Changing vm_start / vm_end directly instead of through adjust() breaks
  // the tree; other fields of *v may be changed freely.
  void refresh(Vma* v);
  // Removes every VMA.
  void clear();
  // Completes the deferred subtree-gap updates now (see "Cost" above). Never needed for
  // correctness: every reader of the maxima does it first. For benchmarks, so that the work
  // lands in the operations that caused it.
  void complete_gap_updates() const { flush(); }

  // ---- lookups ----

  // include/linux/mm.h find_vma (v5.15): the first VMA with vm_end > a, or nullptr.
  Vma* find_vma(Addr a);
  const Vma* find_vma(Addr a) const;
  // mm/mmap.c find_vma_prev (v5.15): returns find_vma(a) and sets *prev to the VMA before it;
  // when find_vma(a) is nullptr, *prev is the last VMA (nullptr only for an empty tree).
  Vma* find_vma_prev(Addr a, Vma** prev);
  const Vma* find_vma_prev(Addr a, const Vma** prev) const;
  // include/linux/mm.h find_vma_intersection (v5.15): the first VMA with vm_end > start and
  // vm_start < end, or nullptr.
  Vma* find_vma_intersection(Addr start, Addr end);
  const Vma* find_vma_intersection(Addr start, Addr end) const;

  // Neighbours in address order (vm_prev / vm_next); nullptr at either end.
  Vma* prev(const Vma* v);
  const Vma* prev(const Vma* v) const;
  Vma* next(const Vma* v);
  const Vma* next(const Vma* v) const;
  Vma* first();
  const Vma* first() const;
  Vma* last();
  const Vma* last() const;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Addr stack_guard_gap() const { return stack_guard_gap_; }
  // The maxima kept up to date (see GapKinds).
  GapKinds kinds() const { return static_cast<GapKinds>(kinds_); }
  // mm->highest_vm_end: vm_end_gap of the last VMA, 0 if there is none.
  Addr highest_vm_end() const;

  // ---- gap search (see the contract above); nullopt where the kernel returns -ENOMEM ----

  // mm/mmap.c unmapped_area (v5.15): the lowest fitting address.
  std::optional<Addr> unmapped_area(const GapRequest& req) const;
  // mm/mmap.c unmapped_area_topdown (v5.15): the highest fitting address.
  std::optional<Addr> unmapped_area_topdown(const GapRequest& req) const;

  // ---- v6.18 search (see the v6.18 contract above); nullopt where the kernel returns -ENOMEM --

  // lib/maple_tree.c mas_empty_area (v6.18) on the VMAs: the lowest empty range with at least
  // size values inside [min, max] (inclusive), area [max(range start, min), + size - 1].
  // nullopt for the kernel's -EINVAL (empty_area_request_ok false) and -EBUSY (no such range).
  std::optional<EmptyArea> empty_area(Addr min, Addr max, Addr size) const;
  // lib/maple_tree.c mas_empty_area_rev (v6.18): the highest such range, area
  // [last - size + 1, last] with last = min(range end, max).
  std::optional<EmptyArea> empty_area_rev(Addr min, Addr max, Addr size) const;
  // mm/vma.c unmapped_area (v6.18): the lowest empty area, guard gaps applied by retrying. A
  // request with length 0 returns nullopt (the kernel's callers never make one: do_mmap and
  // mremap refuse len 0 with -EINVAL before searching).
  std::optional<Addr> unmapped_area_v618(const GapRequest& req) const;
  // mm/vma.c unmapped_area_topdown (v6.18): the highest empty area, guard gaps applied by
  // retrying. Like the kernel it can return an address whose end wraps past 2^64 (only after
  // high_limit became 0, see above); its caller's TASK_SIZE check refuses it. Length 0: nullopt.
  std::optional<Addr> unmapped_area_topdown_v618(const GapRequest& req) const;

  // ---- augmentation, for tests and invariant checkers ----

  // The stored gap / subtree_gap of v's node.
  Addr gap(const Vma* v) const;
  Addr subtree_gap(const Vma* v) const;
  // gap(v) as it should be, computed from v and its predecessor (vma_compute_gap).
  Addr recompute_gap(const Vma* v) const;
  // The stored raw_gap / subtree_raw_gap of v's node (the v6.18 augmentation).
  Addr raw_gap(const Vma* v) const;
  Addr subtree_raw_gap(const Vma* v) const;
  // raw_gap(v) as it should be: v->vm_start - vm_end of its predecessor (0 for the lowest).
  Addr recompute_raw_gap(const Vma* v) const;
  // Checks that every node whose gap update is not pending is consistent with its children,
  // completes the pending ones, then recomputes every node's gap, subtree_gap, prev_end,
  // raw_gap and subtree_raw_gap from scratch and checks them, the order, non-overlap, the
  // vm_prev / vm_next / first / last links, the WAVL rank rules, parent links and size().
  // On failure writes the first problem found to *why (if why is not null) and returns false.
  bool check_augmentation(std::string* why = nullptr) const;
  // Height of the tree (0 when empty, 1 for a single VMA). O(n).
  int height() const;

  // ---- iteration in address order ----

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Vma;
    using difference_type = std::ptrdiff_t;
    using pointer = const Vma*;
    using reference = const Vma&;

    const_iterator() = default;
    reference operator*() const;
    pointer operator->() const;
    const_iterator& operator++();
    const_iterator operator++(int);
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.n_ == b.n_;
    }

   private:
    friend class VmaTree;
    explicit const_iterator(const Node* n) : n_(n) {}
    const Node* n_ = nullptr;
  };
  using iterator = const_iterator;

  const_iterator begin() const;
  const_iterator end() const { return const_iterator(nullptr); }

 private:
  static Node* node_of(Vma* v);
  static const Node* node_of(const Vma* v);

  const Node* lookup(Addr a) const;
  Node* lookup_and_keep(Addr a);
  // The walks of gap_walk.hpp from the root.
  const Node* first_fit(Addr threshold, Addr lo) const;
  const Node* last_fit(Addr threshold, Addr hi) const;
  const Node* first_raw_fit(Addr size, Addr lo) const;
  const Node* last_raw_fit(Addr size, Addr hi) const;
  template <bool kRaw>
  struct Walker;  // gap_walk.hpp's view of the nodes, for the raw or the classic maxima

  Addr gap_of(const Node* n) const;
  void set_gaps(Node* n, Addr prev_end) const;
  Addr gap_max(const Node* n) const;
  Slot maxima(const Node* n) const;
  static void set_slot(Node* n, int side, Slot m);
  static void copy_slot(Node* n, int side, const Node* from, int from_side);
  static Addr raw_max(const Node* n);
  void update(Node* n) const;
  template <unsigned K>
  void propagate(Node* n) const;
  template <unsigned K>
  void flush_kinds() const;
  void keep(GapKinds k) const;
  void defer(Node* n) const;
  void undefer(Node* n);
  void flush() const;
  void insert_fixup(Node* x);
  void erase_fixup(Node* p, Node* x, bool x_left);
  Node* rotate_left(Node* x);
  Node* rotate_right(Node* x);
  void replace_child(Node* parent, Node* old_child, Node* new_child);

  Node* clone(const Node* n, Node* parent, Node*& last);
  void destroy();

  // Node storage: chunks of cache-line-aligned nodes, never moved or freed before the tree;
  // erased nodes are reused (the last erased first, whose lines are still in the cache; in
  // ASan builds the oldest first, and free nodes are poisoned).
  Node* new_node();
  void free_node(Node* n);

  Node* root_ = nullptr;
  Node* first_ = nullptr;  // the lowest VMA (mm->mmap)
  Node* last_ = nullptr;   // the highest
  std::size_t size_ = 0;
  Addr stack_guard_gap_;
  Node* chunks_ = nullptr;     // the first node-sized slot of each chunk links the chunks
  Node* free_ = nullptr;       // erased nodes, linked through their next field
  Node* free_tail_ = nullptr;  // the last of them
  Node* bump_ = nullptr;       // never-used nodes of the newest chunk: [bump_, bump_end_)
  Node* bump_end_ = nullptr;
  std::size_t chunk_nodes_ = 0;  // nodes in the newest chunk
  // The node of the last non-const lookup, insert, adjust, refresh or v6.18 empty-area search
  // (the VMA after the area found), or a neighbour of the last erased one; null if none.
  // Lookups and inserts try it first (see lookup()). mutable: the searches are const.
  mutable Node* finger_ = nullptr;
  // Nodes whose subtree maxima wait for flush() (see vma_tree.cpp, "deferred gap updates").
  // mutable: the const readers of the maxima complete them first, which changes no answer.
  static constexpr std::size_t kMaxPending = 16;
  mutable Node* pending_[kMaxPending] = {};
  mutable std::size_t npending_ = 0;
  // The maxima of the whole tree, which no node holds: set by each walk from the root.
  mutable Slot root_max_;
  // The GapKinds kept up to date; mutable: a const search of the other kind adds its own.
  mutable std::uint8_t kinds_;
};

}  // namespace mmspec
