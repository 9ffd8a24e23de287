// VmaTree: the balanced tree of VMAs with subtree gaps (see vma_tree.hpp for the invariants).
#include "mmspec/vma_tree.hpp"

#include "mmspec/gap_walk.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "mmspec/gap.hpp"
#include "mmspec/gap_walk.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define MMSPEC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MMSPEC_ASAN 1
#endif
#endif
#ifdef MMSPEC_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace mmspec {

constexpr std::size_t kNodeAlign = 64;

// The node: three cache lines, aligned to them.
//   line 1  all that a lookup, a v6.18 search and a gap update of the v6.18 maxima read: the
//           VMA's range (a copy of vm_start and vm_end, the key; adjust() changes both), the
//           child and parent links, the raw gap and the raw-gap maxima of the two subtrees;
//   line 2  the classic gap and its subtree maxima, the vm_prev / vm_next links, the rank
//           and the pending mark;
//   line 3  the Vma; a Vma* and its Node* convert into each other by its offset (node_of).
// So an Mm on the maple tree (GapKinds::maple) reads one line per node on its way down or up.
// Each node keeps the maxima of its children's subtrees ("slots"), not of its own: the maxima
// of n's subtree are max(own gap, left slot, right slot) (gap_max / raw_max below). So a
// descent decides where to go from the node it stands on, without reading the children it
// does not enter, and a gap update on the way up reads only the nodes on its path: at each
// step it writes the child's new maximum into the parent's slot and stops where the slot
// already held it.
//
// The raw gap and the gap are stored, both set together from prev_end by set_gaps(); the
// other per-node values of the invariants follow from the raw gap:
//   prev_end(n)  = vm_start(n) - raw_gap(n)                   (prev_end_of)
//   gap_start(n) = vm_end_gap(prev(n)) = prev_end(n)          (vm_end_gap is vm_end on x86)
//   gap(n)       = vma_gap(vm_start_gap(n), gap_start(n))     (gap_of computes it afresh)
struct alignas(kNodeAlign) VmaTree::Node {
  Addr start;  // vma.vm_start
  Addr end;    // vma.vm_end
  Node* left;
  Node* right;
  Node* parent;
  Addr raw_gap;      // raw_gap(vm_start, prev_end): the empty range below, guard ignored
  Addr raw_slot[2];  // max of raw_gap over the left [0] and right [1] subtree (0 if none)
  alignas(64) Addr gap;  // gap(n), kept with raw_gap (set_gaps)
  Addr gap_slot[2];      // max of gap over the left and right subtree
  Node* prev;            // vm_prev: the VMA before, in address order (null for the lowest)
  Node* next;            // vm_next: the VMA after (null for the highest)
  int rank;              // WAVL rank: 0 for a leaf (see rebalancing below)
  bool pending;          // in the tree's list of deferred gap updates (see defer())
  alignas(64) Vma vma;
};

// gap_start(n) = prev_end(n) above: vm_end_gap() must be vm_end whatever the flags (x86 has no
// VM_GROWSUP). If it ever is not, gap_start needs its own field again.
static_assert(vm_end_gap(Vma{.vm_start = 0, .vm_end = PAGE_SIZE, .vm_flags = ~VmFlags{0}}) ==
              PAGE_SIZE);

namespace {

// Templates, so that they can take the private node type without naming it.
template <class N>
int rank_of(const N* n) {
  return n ? n->rank : -1;
}
// vm_end of the VMA before n, or 0 for the lowest.
template <class N>
Addr prev_end_of(const N* n) {
  return n->start - n->raw_gap;
}
template <class N>
Addr end_of(const N* n) {
  return n ? n->end : 0;
}

}  // namespace

// ---- construction ----

VmaTree::VmaTree(Addr stack_guard_gap, GapKinds kinds)
    : stack_guard_gap_(stack_guard_gap), kinds_(static_cast<std::uint8_t>(kinds)) {}

VmaTree::VmaTree(const VmaTree& other)
    : size_(other.size_), stack_guard_gap_(other.stack_guard_gap_), kinds_(other.kinds_) {
  other.flush();  // so that no copied node is pending
  Node* last = nullptr;
  root_ = clone(other.root_, nullptr, last);
  last_ = last;
}

VmaTree& VmaTree::operator=(const VmaTree& other) {
  if (this != &other) {
    VmaTree copy(other);
    *this = std::move(copy);
  }
  return *this;
}

VmaTree::VmaTree(VmaTree&& other) noexcept
    : stack_guard_gap_(other.stack_guard_gap_), kinds_(other.kinds_) {
  *this = std::move(other);
}

// The nodes (and so every Vma*) move along with their chunks.
VmaTree& VmaTree::operator=(VmaTree&& other) noexcept {
  if (this != &other) {
    destroy();
    root_ = std::exchange(other.root_, nullptr);
    first_ = std::exchange(other.first_, nullptr);
    last_ = std::exchange(other.last_, nullptr);
    size_ = std::exchange(other.size_, 0);
    stack_guard_gap_ = other.stack_guard_gap_;
    kinds_ = other.kinds_;
    chunks_ = std::exchange(other.chunks_, nullptr);
    free_ = std::exchange(other.free_, nullptr);
    free_tail_ = std::exchange(other.free_tail_, nullptr);
    bump_ = std::exchange(other.bump_, nullptr);
    bump_end_ = std::exchange(other.bump_end_, nullptr);
    chunk_nodes_ = std::exchange(other.chunk_nodes_, 0);
    finger_ = std::exchange(other.finger_, nullptr);
    npending_ = std::exchange(other.npending_, 0);
    std::copy(other.pending_, other.pending_ + npending_, pending_);
  }
  return *this;
}

VmaTree::~VmaTree() { destroy(); }

void VmaTree::clear() {
  destroy();
  root_ = nullptr;
  first_ = nullptr;
  last_ = nullptr;
  size_ = 0;
}

// Recursion depth is the tree height, at most 2 log2(n) + 1. last: the copy of the node
// before n in address order (in: the last node copied so far), to thread vm_prev / vm_next.
VmaTree::Node* VmaTree::clone(const Node* n, Node* parent, Node*& last) {
  if (!n) return nullptr;
  Node* c = new (new_node()) Node(*n);
  c->parent = parent;
  c->left = nullptr;
  c->right = nullptr;
  c->left = clone(n->left, c, last);
  c->prev = last;
  c->next = nullptr;
  (last ? last->next : first_) = c;
  last = c;
  c->right = clone(n->right, c, last);
  return c;
}

// ---- node storage ----
//
// A chunk is one aligned allocation of node-sized slots; slot 0 holds the link to the previous
// chunk (in its next field) and the chunk's slot count (in its rank field), the others are
// nodes. Chunks grow from 16 to 1024 slots, so a small tree stays small. Nodes are trivially
// destructible: freeing a chunk ends them all.

namespace {
constexpr std::size_t kFirstChunk = 16;
constexpr std::size_t kMaxChunk = 1024;
}  // namespace

VmaTree::Node* VmaTree::new_node() {
  Node* n;
  if (free_) {
    n = free_;
#ifdef MMSPEC_ASAN
    ASAN_UNPOISON_MEMORY_REGION(n, sizeof(Node));
#endif
    free_ = n->next;
    if (!free_) free_tail_ = nullptr;
  } else {
    if (bump_ == bump_end_) {
      const std::size_t slots = chunk_nodes_ ? std::min(2 * chunk_nodes_, kMaxChunk) : kFirstChunk;
      Node* chunk = new (::operator new(slots * sizeof(Node), std::align_val_t{alignof(Node)}))
          Node{};
      chunk->next = chunks_;
      chunk->rank = static_cast<int>(slots);
      chunks_ = chunk;
      chunk_nodes_ = slots;
      bump_ = chunk + 1;
      bump_end_ = chunk + slots;
    }
    n = bump_++;
  }
  return n;
}

void VmaTree::free_node(Node* n) {
  n->next = nullptr;
#ifdef MMSPEC_ASAN
  // Oldest first, so that a Vma* used after its erase points at poisoned memory for as long as
  // possible; only the link stays readable.
  (free_tail_ ? free_tail_->next : free_) = n;
  free_tail_ = n;
  ASAN_POISON_MEMORY_REGION(n, offsetof(Node, next));
  ASAN_POISON_MEMORY_REGION(reinterpret_cast<char*>(n) + offsetof(Node, next) + sizeof(Node*),
                            sizeof(Node) - offsetof(Node, next) - sizeof(Node*));
#else
  n->next = free_;
  free_ = n;
  if (!free_tail_) free_tail_ = n;
#endif
}

// Frees every chunk (and so every node).
void VmaTree::destroy() {
  for (Node* c = chunks_; c;) {
    Node* const next = c->next;
#ifdef MMSPEC_ASAN
    ASAN_UNPOISON_MEMORY_REGION(c, static_cast<std::size_t>(c->rank) * sizeof(Node));
#endif
    ::operator delete(c, std::align_val_t{alignof(Node)});
    c = next;
  }
  chunks_ = nullptr;
  free_ = nullptr;
  free_tail_ = nullptr;
  bump_ = nullptr;
  bump_end_ = nullptr;
  chunk_nodes_ = 0;
  finger_ = nullptr;
  npending_ = 0;
}

// ---- node navigation ----

VmaTree::Node* VmaTree::node_of(Vma* v) {
  static_assert(std::is_standard_layout_v<Node>);
  static_assert(sizeof(Node) == 192, "a node is three cache lines");
  static_assert(offsetof(Node, raw_slot) + sizeof(Node::raw_slot) == 64 &&
                    offsetof(Node, gap) == 64 && offsetof(Node, vma) == 128,
                "line 1 the key, links and raw gaps; line 2 the classic gaps; line 3 the Vma");
  return reinterpret_cast<Node*>(reinterpret_cast<char*>(v) - offsetof(Node, vma));
}
const VmaTree::Node* VmaTree::node_of(const Vma* v) {
  return reinterpret_cast<const Node*>(reinterpret_cast<const char*>(v) - offsetof(Node, vma));
}

// ---- augmentation ----

// mm/mmap.c vma_compute_gap (v5.15): the free space below n's guard gap, down to
// vm_end_gap(prev) (= prev_end, see Node).
Addr VmaTree::gap_of(const Node* n) const {
  return vma_gap<Addr>(vm_start_gap(n->vma, stack_guard_gap_), prev_end_of(n));
}

// mm/mmap.c vma_gap_callbacks (v5.15): the maximum of gap over n's subtree, from n's own gap
// and its two slots; the same for the raw gap (lib/maple_tree.c ma_max_gap, v6.18).
Addr VmaTree::gap_max(const Node* n) const {
  return mmspec::subtree_gap<Addr>(n->gap, n->gap_slot[0], n->gap_slot[1]);
}
Addr VmaTree::raw_max(const Node* n) {
  return mmspec::subtree_gap<Addr>(n->raw_gap, n->raw_slot[0], n->raw_slot[1]);
}

// Sets n's raw gap and gap for a predecessor ending at prev_end (0: none).
void VmaTree::set_gaps(Node* n, Addr prev_end) const {
  n->raw_gap = mmspec::raw_gap<Addr>(n->start, prev_end);
  n->gap = vma_gap<Addr>(vm_start_gap(n->vma, stack_guard_gap_), prev_end);
}

// Slot side (0 left, 1 right) of n set to m; copied from slot from_side of from.
void VmaTree::set_slot(Node* n, int side, Slot m) {
  n->gap_slot[side] = m.gap;
  n->raw_slot[side] = m.raw_gap;
}
void VmaTree::copy_slot(Node* n, int side, const Node* from, int from_side) {
  n->gap_slot[side] = from->gap_slot[from_side];
  n->raw_slot[side] = from->raw_slot[from_side];
}

// The maxima of n's subtree (0s for an absent subtree).
VmaTree::Slot VmaTree::maxima(const Node* n) const {
  return n ? Slot{gap_max(n), raw_max(n)} : Slot{};
}

// Recomputes both of n's slots from its children.
void VmaTree::update(Node* n) const {
  set_slot(n, 0, maxima(n->left));
  set_slot(n, 1, maxima(n->right));
}

// mm/mmap.c vma_gap_update (v5.15), lib/maple_tree.c mas_update_gap (v6.18): carry n's subtree
// maxima up into its parent's slot, then the parent's into its own parent's, and so on, up to
// the first slot that already held the value: nothing above it depends on anything else that
// changed (RB_DECLARE_CALLBACKS_MAX's propagate stops there too).
// K: the GapKinds kept, as bits (the maxima of the other kind are left as they are).
template <unsigned K>
void VmaTree::propagate(Node* n) const {
  constexpr bool kClassic = (K & static_cast<unsigned>(GapKinds::classic)) != 0;
  constexpr bool kMaple = (K & static_cast<unsigned>(GapKinds::maple)) != 0;
  Slot m = maxima(n);
  for (Node* p = n->parent; p; n = p, p = p->parent) {
    const int side = p->left == n ? 0 : 1;
    if ((!kClassic || p->gap_slot[side] == m.gap) && (!kMaple || p->raw_slot[side] == m.raw_gap))
      return;
    // p's maxima from m as it stands rather than from the slot just written (no reload).
    if (kClassic) {
      p->gap_slot[side] = m.gap;
      m.gap = mmspec::subtree_gap<Addr>(p->gap, m.gap, p->gap_slot[1 - side]);
    }
    if (kMaple) {
      p->raw_slot[side] = m.raw_gap;
      m.raw_gap = mmspec::subtree_gap<Addr>(p->raw_gap, m.raw_gap, p->raw_slot[1 - side]);
    }
  }
}

// ---- deferred gap updates ----
//
// The slots are brought up to date lazily (the ranks, and so the balance, never). Invariant:
// for every node n that is not pending and has a parent, the parent's slots for n hold
// gap_max(n) and raw_max(n) as n's fields give them now. A change to a node's own gaps
// (insert's and erase's successor, adjust, refresh) or slots (the parent of an inserted or
// removed node, whose slot is set at once; the top of a rotation) only marks the node pending;
// flush() then runs propagate() from every pending node. Each such walk keeps the invariant
// for all nodes but the pending ones left (a slot found holding its value already leaves
// everything above as it was), so after the last one every slot is exact. Every reader of the
// maxima (the gap searches, subtree_gap(), subtree_raw_gap(), check_augmentation(), the copy
// constructor) flushes first; so no answer ever differs from that of eager updates.
//
// Why: the callers change the tree in steps that pass through states no reader sees. A split
// is adjust() (the successor's gap grows by the part cut off) then insert() (it shrinks back);
// a merge erases the VMAs in the middle (the next gap grows) and then grows prev over them (it
// shrinks back). Eagerly, each step's gap is a new maximum all the way to the root and then is
// not any more: two walks of the full height per split or merge. Deferred, the flush finds
// the successor's gap as it was and stops at once. The kernel, too, updates the gaps once at
// the end of __vma_adjust (v5.15), after linking the inserted VMA.
//
// At most kMaxPending nodes wait: the list is flushed when full, so each change still costs
// O(log n), amortised and at worst.

void VmaTree::defer(Node* n) const {
  if (!n || n->pending) return;
  if (npending_ == kMaxPending) flush();
  n->pending = true;
  pending_[npending_++] = n;
}

void VmaTree::undefer(Node* n) {
  if (!n->pending) return;
  n->pending = false;
  for (std::size_t i = 0; i < npending_; ++i) {
    if (pending_[i] == n) {
      pending_[i] = pending_[--npending_];
      return;
    }
  }
}

template <unsigned K>
void VmaTree::flush_kinds() const {
  for (std::size_t i = 0; i < npending_; ++i) {
    pending_[i]->pending = false;
    propagate<K>(pending_[i]);
  }
  npending_ = 0;
}

void VmaTree::flush() const {
  switch (static_cast<GapKinds>(kinds_)) {
    case GapKinds::classic:
      flush_kinds<static_cast<unsigned>(GapKinds::classic)>();
      break;
    case GapKinds::maple:
      flush_kinds<static_cast<unsigned>(GapKinds::maple)>();
      break;
    case GapKinds::both:
      flush_kinds<static_cast<unsigned>(GapKinds::both)>();
      break;
  }
}

// Makes sure the maxima of kind k are kept: if they were not, recompute every slot of every
// node from scratch (post-order; the recursion is as deep as the tree) and keep them from now.
void VmaTree::keep(GapKinds k) const {
  if (kinds_ & static_cast<std::uint8_t>(k)) return;
  flush();
  auto fill = [this](auto& self, Node* n) -> Slot {
    if (!n) return Slot{};
    set_slot(n, 0, self(self, n->left));
    set_slot(n, 1, self(self, n->right));
    return maxima(n);
  };
  fill(fill, root_);
  kinds_ |= static_cast<std::uint8_t>(k);
}

void VmaTree::replace_child(Node* parent, Node* old_child, Node* new_child) {
  if (!parent)
    root_ = new_child;
  else if (parent->left == old_child)
    parent->left = new_child;
  else
    parent->right = new_child;
}

VmaTree::Node* VmaTree::rotate_left(Node* x) {
  Node* y = x->right;
  x->right = y->left;
  if (y->left) y->left->parent = x;
  y->parent = x->parent;
  replace_child(x->parent, x, y);
  y->left = x;
  x->parent = y;
  update(x);
  update(y);
  defer(y);  // the slot above now stands for y's subtree
  return y;
}

VmaTree::Node* VmaTree::rotate_right(Node* x) {
  Node* y = x->left;
  x->left = y->right;
  if (y->right) y->right->parent = x;
  y->parent = x->parent;
  replace_child(x->parent, x, y);
  y->right = x;
  x->parent = y;
  update(x);
  update(y);
  defer(y);  // the slot above now stands for y's subtree
  return y;
}

// ---- rebalancing: a WAVL tree ----
//
// The tree is a weak AVL tree (Haeupler, Sen, Tarjan, "Rank-balanced trees", ACM TALG 11(4),
// 2015). Every node has a rank, an absent child rank -1; the rank difference of a child is its
// parent's rank minus its own. Rules: every rank difference is 1 or 2, and every leaf has rank
// 0. Built by insertions only, it is exactly an AVL tree (rank = height - 1, height below
// 1.44 log2(n + 2)); with deletions its height stays at most 2 log2(n) + 1. Unlike
// AVL it needs O(1) amortised rank changes per insertion or deletion, in any mix: an AVL tree
// whose path to a leaf is perfectly balanced (as the one built from VMAs mapped in address
// order) changes every height on that path when the leaf comes and again when it goes, a WAVL
// tree only the first time. At most two rotations per change.
//
// The rank walks below touch no maxima: a rotation recomputes the slots of the two nodes it
// moves and defers the one on top (see defer()), whose parent's slot held the maxima of the
// subtree as it was.

// WAVL insertion rebalancing, from the new leaf x (rank 0).
void VmaTree::insert_fixup(Node* x) {
  Node* p = x->parent;
  while (p && p->rank == x->rank) {  // x is a 0-child
    const bool left = p->left == x;
    const Node* s = left ? p->right : p->left;
    if (p->rank - rank_of(s) == 1) {  // p is a 0,1 node: promote it, go up
      ++p->rank;
      x = p;
      p = p->parent;
      continue;
    }
    // p is a 0,2 node: one single or double rotation ends it.
    Node* inner = left ? x->right : x->left;
    if (!inner || x->rank - inner->rank == 2) {
      if (left)
        rotate_right(p);
      else
        rotate_left(p);
      --p->rank;
    } else {
      if (left) {
        rotate_left(x);
        rotate_right(p);
      } else {
        rotate_right(x);
        rotate_left(p);
      }
      ++inner->rank;
      --x->rank;
      --p->rank;
    }
    return;
  }
}

// WAVL deletion rebalancing. p lost a child: x (possibly null) now stands in the removed
// node's place, on p's left if x_left.
void VmaTree::erase_fixup(Node* p, Node* x, bool x_left) {
  if (!p) return;
  if (!p->left && !p->right && p->rank == 1) {  // a 2,2 leaf: demote it, go up
    p->rank = 0;
    x = p;
    p = p->parent;
    if (p) x_left = p->left == x;
  }
  while (p && p->rank - rank_of(x) == 3) {  // x is a 3-child; its sibling y is not null
    Node* y = x_left ? p->right : p->left;
    if (p->rank - y->rank == 2) {  // y is a 2-child: demote p, go up
      --p->rank;
    } else if (y->rank - rank_of(y->left) == 2 && y->rank - rank_of(y->right) == 2) {
      --p->rank;  // y is a 2,2 node: demote both, go up
      --y->rank;
    } else {
      // One single or double rotation ends it.
      Node* w = x_left ? y->right : y->left;  // y's outer child
      Node* v = x_left ? y->left : y->right;  // y's inner child
      if (y->rank - rank_of(w) == 1) {
        if (x_left)
          rotate_left(p);
        else
          rotate_right(p);
        ++y->rank;
        --p->rank;
        if (!p->left && !p->right) p->rank = 0;  // p became a leaf
      } else {  // v is a 1-child
        if (x_left) {
          rotate_right(y);
          rotate_left(p);
        } else {
          rotate_left(y);
          rotate_right(p);
        }
        v->rank += 2;
        --y->rank;
        p->rank -= 2;
      }
      return;
    }
    x = p;
    p = p->parent;
    if (p) x_left = p->left == x;
  }
}

// ---- changes ----

// mm/mmap.c __vma_link_rb + __vma_link_list + vma_gap_update (v5.15).
Vma* VmaTree::insert(const Vma& v) {
  Node* parent = nullptr;
  Node** link = &root_;
  Node* pred = nullptr;
  Node* succ = nullptr;
  // The new leaf goes into the one empty child slot between its neighbours pred and succ in
  // address order: pred->right if that is empty, else succ->left (succ is then the leftmost
  // node under pred->right). When the finger is one of the neighbours, the links find the
  // other and the slot in O(1); otherwise descend to it. Either way the same slot.
  const Addr key = v.vm_start;
  Node* const c = finger_;
  if (c && c->start <= key && (!c->next || key < c->next->start)) {
    pred = c;
    succ = c->next;
  } else if (c && key < c->start && (!c->prev || c->prev->start <= key)) {
    pred = c->prev;
    succ = c;
  }
  if (pred || succ) {
    parent = pred && !pred->right ? pred : succ;
    link = parent == pred ? &pred->right : &succ->left;
  } else {
    while (*link) {
      parent = *link;
      if (key < parent->start) {
        succ = parent;
        link = &parent->left;
      } else {
        pred = parent;
        link = &parent->right;
      }
    }
  }
  Node* n = new (new_node()) Node{};
  n->vma = v;
  n->start = v.vm_start;
  n->end = v.vm_end;
  n->parent = parent;
  n->prev = pred;
  n->next = succ;
  set_gaps(n, end_of(pred));
  *link = n;
  if (parent) {
    // The parent's slot for the new leaf, at once (its old value, 0, is no bound on it).
    set_slot(parent, link == &parent->left ? 0 : 1, maxima(n));
  }
  (pred ? pred->next : first_) = n;
  (succ ? succ->prev : last_) = n;
  ++size_;
  // The successor's gap now ends at the new VMA: the case the kernel handles in __vma_link_rb
  // by updating vma->vm_next before linking (v5.15).
  if (succ) {
    set_gaps(succ, v.vm_end);
    defer(succ);
  }
  defer(parent);
  insert_fixup(n);
  finger_ = n;
  return &n->vma;
}

// mm/mmap.c vma_rb_erase_ignore + __vma_unlink_list (v5.15).
void VmaTree::erase(Vma* v) {
  Node* x = node_of(v);
  Node* const p = x->prev;
  Node* const s = x->next;
  finger_ = p ? p : s;
  undefer(x);
  (p ? p->next : first_) = s;
  (s ? s->prev : last_) = p;
  // The successor's empty range now reaches down to x's predecessor. Wherever s ends up below
  // (in x's place, or where it was), the slot above it is then stale.
  if (s) {
    set_gaps(s, end_of(p));
    defer(s);
  }
  Node* from;        // the parent of the place a node left
  Node* replacement;  // what stands there now (may be null)
  bool on_left;       // whether that place is from's left child
  if (x->left && x->right) {
    // Relink (never copy) the in-order successor y = s into x's place, so Vma* stay valid;
    // the place y left is then the one that lost a node.
    // Each subtree that moves takes the slot values it had along (they describe it).
    Node* y = s;
    replacement = y->right;
    if (y->parent == x) {
      from = y;
      on_left = false;
    } else {
      on_left = true;
      from = y->parent;
      from->left = y->right;
      copy_slot(from, 0, y, 1);
      if (y->right) y->right->parent = from;
      y->right = x->right;
      copy_slot(y, 1, x, 1);
      x->right->parent = y;
    }
    y->left = x->left;
    copy_slot(y, 0, x, 0);
    x->left->parent = y;
    y->parent = x->parent;
    replace_child(x->parent, x, y);
    y->rank = x->rank;  // the slot above y, now stale, waits for y (deferred above)
  } else {
    // The lone child (if any) takes x's place with its subtree unchanged, and the slot values
    // that describe it.
    const bool lone_left = x->left != nullptr;
    replacement = lone_left ? x->left : x->right;
    from = x->parent;
    on_left = from && from->left == x;
    if (replacement) replacement->parent = from;
    replace_child(from, x, replacement);
    if (from) copy_slot(from, on_left ? 0 : 1, x, lone_left ? 0 : 1);
  }
  free_node(x);
  --size_;
  defer(from);
  erase_fixup(from, replacement, on_left);
}

// mm/mmap.c __vma_adjust's vma_gap_update calls (v5.15): the node keeps its place.
void VmaTree::adjust(Vma* v, Addr new_start, Addr new_end) {
  Node* x = node_of(v);
  x->vma.vm_start = x->start = new_start;
  x->vma.vm_end = x->end = new_end;
  refresh(v);
}

void VmaTree::refresh(Vma* v) {
  Node* x = node_of(v);
  finger_ = x;
  set_gaps(x, end_of(x->prev));
  defer(x);
  // The successor's gaps depend only on x's vm_end: touch them only if that moved.
  if (Node* s = x->next) {
    const Addr g = mmspec::raw_gap<Addr>(s->start, x->end);
    if (g != s->raw_gap) {
      set_gaps(s, x->end);
      defer(s);
    }
  }
}

// ---- lookups ----

// include/linux/mm.h find_vma (v5.15): the first VMA with vm_end > a. First the finger (the
// node of the last lookup, change or search), as mm/vmacache.c vmacache_find (v5.15) first
// tries the VMAs it cached, and as the v6.18 maple state (struct ma_state) starts from where
// it stands: the vm_prev / vm_next links tell in O(1) whether the answer is the finger or one
// of its neighbours (node v is the answer iff vm_end(v) > a >= vm_end(prev(v)), reading 0 for
// a missing prev; no VMA is, iff a >= vm_end of the last). Otherwise descend from the root,
// remembering the lowest VMA ending above a.
const VmaTree::Node* VmaTree::lookup(Addr a) const {
  if (const Node* c = finger_) {
    if (a < c->end) {
      const Node* p = c->prev;
      if (c->start <= a || !p || p->end <= a) return c;
      if (!p->prev || p->prev->end <= a) return p;
    } else if (!c->next || a < c->next->end) {
      return c->next;
    }
  }
  // Down to a leaf, without branching on the keys (the direction taken is as good as random,
  // so a branch on it would be mispredicted at every other level): the answer is the last
  // node left by its left link.
  const Node* n = root_;
  const Node* found = nullptr;
  while (n) {
    const bool left = n->end > a;
    found = left ? n : found;
    n = left ? n->left : n->right;
  }
  return found;
}

// The non-const lookups (those the system calls use) move the finger to what they found.
VmaTree::Node* VmaTree::lookup_and_keep(Addr a) {
  Node* n = const_cast<Node*>(lookup(a));
  if (n) finger_ = n;
  return n;
}

const Vma* VmaTree::find_vma(Addr a) const {
  const Node* n = lookup(a);
  return n ? &n->vma : nullptr;
}

Vma* VmaTree::find_vma(Addr a) {
  Node* n = lookup_and_keep(a);
  return n ? &n->vma : nullptr;
}

const Vma* VmaTree::find_vma_prev(Addr a, const Vma** prev) const {
  const Node* n = lookup(a);
  const Node* p = n ? n->prev : last_;
  *prev = p ? &p->vma : nullptr;
  return n ? &n->vma : nullptr;
}

Vma* VmaTree::find_vma_prev(Addr a, Vma** prev) {
  Node* n = lookup_and_keep(a);
  Node* p = n ? n->prev : last_;
  *prev = p ? &p->vma : nullptr;
  return n ? &n->vma : nullptr;
}

const Vma* VmaTree::find_vma_intersection(Addr start, Addr end) const {
  const Vma* v = find_vma(start);
  return v && v->vm_start < end ? v : nullptr;
}

Vma* VmaTree::find_vma_intersection(Addr start, Addr end) {
  Vma* v = find_vma(start);
  return v && v->vm_start < end ? v : nullptr;
}

const Vma* VmaTree::prev(const Vma* v) const {
  const Node* n = node_of(v)->prev;
  return n ? &n->vma : nullptr;
}

Vma* VmaTree::prev(const Vma* v) {
  return const_cast<Vma*>(static_cast<const VmaTree*>(this)->prev(v));
}

const Vma* VmaTree::next(const Vma* v) const {
  const Node* n = node_of(v)->next;
  return n ? &n->vma : nullptr;
}

Vma* VmaTree::next(const Vma* v) {
  return const_cast<Vma*>(static_cast<const VmaTree*>(this)->next(v));
}

const Vma* VmaTree::first() const {
  const Node* n = first_;
  return n ? &n->vma : nullptr;
}

Vma* VmaTree::first() { return const_cast<Vma*>(static_cast<const VmaTree*>(this)->first()); }

const Vma* VmaTree::last() const {
  const Node* n = last_;
  return n ? &n->vma : nullptr;
}

Vma* VmaTree::last() { return const_cast<Vma*>(static_cast<const VmaTree*>(this)->last()); }

Addr VmaTree::highest_vm_end() const {
  const Vma* v = last();
  return v ? vm_end_gap(*v) : 0;
}

// ---- gap search ----
//
// A node is a candidate when gap(n) >= threshold = max(L, 1): the kernel's fit test needs
// gap_end > gap_start and gap_end - gap_start >= L, i.e. exactly that. subtree_gap prunes
// every subtree without a candidate. Two orders help the walks:
//   * gap_start is non-decreasing in address order (vm_end_gap is), and every node right of n
//     has gap_start >= vm_end_gap(n);
//   * among candidates, gap_end = vm_start_gap is strictly increasing (a candidate's guard gap
//     does not reach its predecessor), and every node u left of n has gap_end(u) < n.vm_start.
// So the fitting candidates form a run in address order, and each walk is a boundary search
// that visits O(log n) nodes.

// The tree and node values the templated walks of gap_walk.hpp run on (T and N there). A Ref
// is a node together with its subtree maxima, read from the slots of the node above it (for
// the root, computed), so that a walk tests a child's subtree without reading the child.
template <bool kRaw>
struct VmaTree::Walker {
  // A node and a pointer to the maxima of its subtree of the kind walked (raw_gap if kRaw,
  // else gap): the slot of the node above, or root_max_ for the root. Two words.
  struct Ref {
    const Node* n;
    const Addr* max;
  };
  using Result = const Node*;
  const VmaTree& tree;
  Ref root() const {
    tree.root_max_ = tree.maxima(tree.root_);
    return {tree.root_, kRaw ? &tree.root_max_.raw_gap : &tree.root_max_.gap};
  }
  static bool null(Ref r) { return r.n == nullptr; }
  static Ref left(Ref r) { return {r.n->left, kRaw ? &r.n->raw_slot[0] : &r.n->gap_slot[0]}; }
  static Ref right(Ref r) { return {r.n->right, kRaw ? &r.n->raw_slot[1] : &r.n->gap_slot[1]}; }
  static Result none() { return nullptr; }
  static Result self(Ref r) { return r.n; }
  static bool found(Result r) { return r != nullptr; }
  static Addr vm_start(Ref r) { return r.n->start; }
  static Addr vm_end(Ref r) { return r.n->end; }  // vm_end_gap is vm_end (see Node)
  static Addr subtree_gap(Ref r) requires(!kRaw) { return *r.max; }
  static Addr subtree_raw_gap(Ref r) requires kRaw { return *r.max; }
  static Addr raw_gap(Ref r) { return r.n->raw_gap; }
  static Addr prev_end(Ref r) { return prev_end_of(r.n); }
  static Addr gap_start(Ref r) { return prev_end_of(r.n); }
  static Addr gap(Ref r) { return r.n->gap; }
  Addr start_gap(Ref r) const { return vm_start_gap(r.n->vma, tree.stack_guard_gap_); }
};

// mm/mmap.c unmapped_area (v5.15): the first candidate in address order whose gap ends at or
// above lo (the kernel's "gap_end >= low_limit" with low_limit already raised by L).
const VmaTree::Node* VmaTree::first_fit(Addr threshold, Addr lo) const {
  const Walker<false> w{*this};
  return walk_first<Addr>(w, w.root(), FirstFitAtoms<Addr, Walker<false>>{w, threshold, lo});
}

// mm/mmap.c unmapped_area_topdown (v5.15): the last candidate in address order whose gap
// starts at or below hi (the kernel's "gap_start <= high_limit" with high_limit lowered by L).
const VmaTree::Node* VmaTree::last_fit(Addr threshold, Addr hi) const {
  const Walker<false> w{*this};
  return walk_last<Addr>(w, w.root(), LastFitAtoms<Addr, Walker<false>>{w, threshold, hi});
}

std::optional<Addr> VmaTree::unmapped_area(const GapRequest& req) const {
  flush();
  keep(GapKinds::classic);
  if (!gap_request_ok<Addr>(req.length, req.low_limit, req.high_limit, req.align_mask))
    return std::nullopt;
  const Addr L = search_length<Addr>(req.length, req.align_mask);
  const Addr lo = req.low_limit + L;
  if (const Node* n = first_fit(std::max<Addr>(L, 1), lo)) {
    // Later gaps start even higher (and so does the highest gap): if this one starts above
    // high_limit - L, nothing fits, as the kernel's "gap_start > high_limit" -ENOMEM says.
    const Addr gap_end = vm_start_gap(n->vma, stack_guard_gap_);
    if (!gap_fits<Addr>(prev_end_of(n), gap_end, req.length, req.low_limit, req.high_limit,
                        req.align_mask))
      return std::nullopt;
    return place_bottom_up<Addr>(prev_end_of(n), req.low_limit, req.align_mask,
                                 req.align_offset);
  }
  const Addr highest = highest_vm_end();
  if (!highest_gap_fits<Addr>(highest, req.length, req.high_limit, req.align_mask))
    return std::nullopt;
  return place_bottom_up<Addr>(highest, req.low_limit, req.align_mask, req.align_offset);
}

std::optional<Addr> VmaTree::unmapped_area_topdown(const GapRequest& req) const {
  flush();
  keep(GapKinds::classic);
  if (!gap_request_ok<Addr>(req.length, req.low_limit, req.high_limit, req.align_mask))
    return std::nullopt;
  // The highest gap first; the kernel places there against high_limit itself.
  if (highest_gap_fits<Addr>(highest_vm_end(), req.length, req.high_limit, req.align_mask))
    return place_top_down<Addr>(req.high_limit, req.length, req.high_limit, req.align_mask,
                                req.align_offset);
  const Addr L = search_length<Addr>(req.length, req.align_mask);
  const Node* n = last_fit(std::max<Addr>(L, 1), req.high_limit - L);
  if (!n) return std::nullopt;
  // Earlier candidates end even lower: if this gap ends below low_limit + L, nothing fits, as
  // the kernel's "gap_end < low_limit" -ENOMEM says.
  const Addr gap_end = vm_start_gap(n->vma, stack_guard_gap_);
  if (!gap_fits<Addr>(prev_end_of(n), gap_end, req.length, req.low_limit, req.high_limit,
                      req.align_mask))
    return std::nullopt;
  return place_top_down<Addr>(gap_end, req.length, req.high_limit, req.align_mask,
                              req.align_offset);
}

// ---- v6.18 search: empty ranges, then guard gaps by retrying ----
//
// The empty range below a node n is [prev_end(n), vm_start(n) - 1], of raw_gap(n) values; the
// one above the last VMA is [vm_end(last), ULONG_MAX]. With lo = min + size - 1 and
// hi = max - (size - 1), a range fits (gap.hpp empty_range_fits) iff it has at least size
// values, its first value is <= hi and its last value is >= lo. Both ends grow in address
// order: every node right of n has prev_end >= vm_end(n), every node left of n ends its range
// below vm_start(n). subtree_raw_gap prunes the size test, so each walk below is a boundary
// search visiting O(log n) nodes, like first_fit / last_fit above.

// The first node in address order with raw_gap >= size and vm_start - 1 >= lo.
const VmaTree::Node* VmaTree::first_raw_fit(Addr size, Addr lo) const {
  const Walker<true> w{*this};
  return walk_first<Addr>(w, w.root(), FirstRawFitAtoms<Addr, Walker<true>>{w, size, lo});
}

// The last node in address order with raw_gap >= size and prev_end <= hi.
const VmaTree::Node* VmaTree::last_raw_fit(Addr size, Addr hi) const {
  const Walker<true> w{*this};
  return walk_last<Addr>(w, w.root(), LastRawFitAtoms<Addr, Walker<true>>{w, size, hi});
}

// lib/maple_tree.c mas_empty_area (v6.18).
std::optional<EmptyArea> VmaTree::empty_area(Addr min, Addr max, Addr size) const {
  flush();
  keep(GapKinds::maple);
  if (!empty_area_request_ok<Addr>(min, max, size)) return std::nullopt;  // -EINVAL
  EmptyArea area;
  if (!root_) {
    // mas_sparse_area: the whole space is one empty range.
    area.index = min;
    area.last = min + (size - 1);
    return area;
  }
  Addr first = 0;
  Addr last = 0;
  if (Node* n = const_cast<Node*>(first_raw_fit(size, min + (size - 1)))) {
    first = prev_end_of(n);
    last = n->start - 1;
    const Node* p = n->prev;
    area.prev = p ? &p->vma : nullptr;
    area.next = &n->vma;
    finger_ = n;
  } else {
    area.prev = &last_->vma;
    first = area.prev->vm_end;
    last = ~Addr{0};
    finger_ = last_;
  }
  // Later ranges start even higher: if this one starts too high, none fits (-EBUSY).
  if (!empty_range_fits<Addr>(first, last, min, max, size)) return std::nullopt;
  area.index = empty_area_lowest_index<Addr>(first, min);
  area.last = area.index + (size - 1);
  return area;
}

// lib/maple_tree.c mas_empty_area_rev (v6.18).
std::optional<EmptyArea> VmaTree::empty_area_rev(Addr min, Addr max, Addr size) const {
  flush();
  keep(GapKinds::maple);
  if (!empty_area_request_ok<Addr>(min, max, size)) return std::nullopt;  // -EINVAL
  EmptyArea area;
  if (!root_) {
    // mas_sparse_area: the whole space is one empty range.
    area.last = max;
    area.index = max - (size - 1);
    return area;
  }
  const Node* top = last_;
  Addr first = top->end;
  Addr last = ~Addr{0};
  if (empty_range_fits<Addr>(first, last, min, max, size)) {
    area.prev = &top->vma;
    finger_ = last_;
  } else {
    Node* n = const_cast<Node*>(last_raw_fit(size, max - (size - 1)));
    if (!n) return std::nullopt;  // -EBUSY
    finger_ = n;
    first = prev_end_of(n);
    last = n->start - 1;
    // Earlier ranges end even lower: if this one ends too low, none fits (-EBUSY).
    if (!empty_range_fits<Addr>(first, last, min, max, size)) return std::nullopt;
    const Node* p = n->prev;
    area.prev = p ? &p->vma : nullptr;
    area.next = &n->vma;
  }
  area.last = empty_area_highest_last<Addr>(last, max);
  area.index = area.last - (size - 1);
  return area;
}

std::optional<Addr> VmaTree::unmapped_area_v618(const GapRequest& req) const {
  if (req.length == 0) return std::nullopt;  // outside the contract, see the header
  if (!search_length_ok_v618<Addr>(req.length, req.align_mask, req.start_gap))
    return std::nullopt;
  const Addr L = search_length_v618<Addr>(req.length, req.align_mask, req.start_gap);
  Addr low = req.low_limit;
  const Addr high = req.high_limit;
  // Each retry raises low strictly (above the VMA that caused it): at most one retry per VMA.
  for (;;) {
    const std::optional<EmptyArea> area = empty_area(low, high - 1, L);
    if (!area) return std::nullopt;
    const Addr gap =
        place_bottom_up_v618<Addr>(area->index, req.start_gap, req.align_mask, req.align_offset);
    if (area->next && (area->next->vm_flags & VM_GROWSDOWN)) {
      if (bottom_up_next_blocks_v618<Addr>(vm_start_gap(*area->next, stack_guard_gap_), gap, L)) {
        low = area->next->vm_end;
        continue;
      }
    } else if (area->prev && prev_blocks_v618<Addr>(vm_end_gap(*area->prev), gap)) {
      // With a wrapped length the retry could set the same low again: the kernel would loop
      // forever; the model (DESIGN principle 6, total) gives up instead (found by vma_tree_fuzzer).
      if (vm_end_gap(*area->prev) <= low) return std::nullopt;
      low = vm_end_gap(*area->prev);
      continue;
    }
    return gap;
  }
}

std::optional<Addr> VmaTree::unmapped_area_topdown_v618(const GapRequest& req) const {
  if (req.length == 0) return std::nullopt;  // outside the contract, see the header
  if (!search_length_ok_v618<Addr>(req.length, req.align_mask, req.start_gap))
    return std::nullopt;
  const Addr L = search_length_v618<Addr>(req.length, req.align_mask, req.start_gap);
  const Addr low = req.low_limit;
  Addr high = req.high_limit;
  // Each retry lowers high strictly, reading high 0 as 2^64 (the window [low, ULONG_MAX]).
  // Setting it to 0 starts over from the top; doing so from the same state twice repeats the
  // same rounds forever in the kernel.
  bool whole_space_seen = high == 0;
  for (;;) {
    const std::optional<EmptyArea> area = empty_area_rev(low, high - 1, L);
    if (!area) return std::nullopt;
    const Addr gap_end = area->last + 1;
    const Addr gap =
        place_top_down_v618<Addr>(gap_end, req.length, req.align_mask, req.align_offset);
    Addr new_high;
    if (area->next && (area->next->vm_flags & VM_GROWSDOWN)) {
      const Addr next_start_gap = vm_start_gap(*area->next, stack_guard_gap_);
      if (!top_down_next_blocks_v618<Addr>(next_start_gap, gap_end)) return gap;
      new_high = next_start_gap;
    } else if (area->prev && prev_blocks_v618<Addr>(vm_end_gap(*area->prev), gap)) {
      new_high = area->prev->vm_start;
    } else {
      return gap;
    }
    if (new_high == 0) {
      if (whole_space_seen) return std::nullopt;  // the kernel never returns
      whole_space_seen = true;
    }
    high = new_high;
  }
}

// ---- augmentation access and checking ----

Addr VmaTree::gap(const Vma* v) const { return node_of(v)->gap; }
Addr VmaTree::subtree_gap(const Vma* v) const {
  flush();
  keep(GapKinds::classic);
  return gap_max(node_of(v));
}

Addr VmaTree::recompute_gap(const Vma* v) const {
  const Vma* p = prev(v);
  return vma_gap<Addr>(vm_start_gap(*v, stack_guard_gap_), p ? vm_end_gap(*p) : 0);
}

Addr VmaTree::raw_gap(const Vma* v) const { return node_of(v)->raw_gap; }
Addr VmaTree::subtree_raw_gap(const Vma* v) const {
  flush();
  keep(GapKinds::maple);
  return raw_max(node_of(v));
}

Addr VmaTree::recompute_raw_gap(const Vma* v) const {
  const Vma* p = prev(v);
  return mmspec::raw_gap<Addr>(v->vm_start, p ? p->vm_end : 0);
}

// O(n): the ranks bound the height (height - 1 <= rank <= 2 (height - 1)) but do not give it.
int VmaTree::height() const {
  auto h = [](auto& self, const Node* n) -> int {
    return n ? 1 + std::max(self(self, n->left), self(self, n->right)) : 0;
  };
  return h(h, root_);
}

bool VmaTree::check_augmentation(std::string* why) const {
  auto fail = [why](std::string msg) {
    if (why) *why = std::move(msg);
    return false;
  };
  auto range = [](const Vma& v) {
    return "[" + std::to_string(v.vm_start) + ", " + std::to_string(v.vm_end) + ")";
  };
  if (root_ && root_->parent) return fail("root has a parent");

  // Only the maxima of the kinds kept are checked (see GapKinds).
  const bool classic_kept = (kinds_ & static_cast<std::uint8_t>(GapKinds::classic)) != 0;
  const bool maple_kept = (kinds_ & static_cast<std::uint8_t>(GapKinds::maple)) != 0;
  // The deferred updates first: the pending list is exactly the nodes marked pending, and
  // the slots above every other node hold its maxima (the invariant flush() relies on); the
  // walk along vm_next is bounded by size() so that a cycle ends in a report.
  {
    std::size_t marked = 0;
    std::size_t seen = 0;
    for (const Node* n = first_; n; n = n->next) {
      if (++seen > size_) return fail("more VMAs along vm_next than size()");
      if (n->pending) {
        ++marked;
        continue;
      }
      const Node* p = n->parent;
      if (!p) continue;
      const int side = p->left == n ? 0 : 1;
      if ((classic_kept && p->gap_slot[side] != gap_max(n)) ||
          (maple_kept && p->raw_slot[side] != raw_max(n)))
        return fail("the slots above " + range(n->vma) +
                    " are stale although no update of it is pending");
    }
    if (marked != npending_) return fail("pending list and pending marks disagree");
    for (std::size_t i = 0; i < npending_; ++i)
      if (!pending_[i]->pending) return fail("pending list and pending marks disagree");
  }
  flush();

  // In-order pass over the structure, recursing at most max_depth deep so that a corrupted
  // (cyclic) tree ends in a report, not in a stack overflow.
  struct Result {
    bool ok;
    int rank;
    Addr subtree_gap;
    Addr subtree_raw_gap;
  };
  const int max_depth = 128;
  const Node* prev_node = nullptr;
  std::size_t count = 0;
  auto visit = [&](auto& self, const Node* n, const Node* parent, int depth) -> Result {
    if (!n) return {true, -1, 0, 0};
    if (depth > max_depth) return {fail("tree deeper than " + std::to_string(max_depth)), 0, 0, 0};
    if (n->parent != parent) return {fail("wrong parent link at " + range(n->vma)), 0, 0, 0};
    const Result l = self(self, n->left, n, depth + 1);
    if (!l.ok) return l;
    const Vma& v = n->vma;
    if (n->start != v.vm_start || n->end != v.vm_end)
      return {fail("the key of " + range(v) + " is [" + std::to_string(n->start) + ", " +
                   std::to_string(n->end) + ")"),
              0, 0, 0};
    if (!(v.vm_start < v.vm_end)) return {fail("empty or inverted VMA " + range(v)), 0, 0, 0};
    if (prev_node && prev_node->vma.vm_end > v.vm_start)
      return {fail("VMAs out of order or overlapping: " + range(prev_node->vma) + " and " +
                   range(v)),
              0, 0, 0};
    if (n->prev != prev_node || (prev_node ? prev_node->next : first_) != n)
      return {fail("wrong vm_prev / vm_next link at " + range(v)), 0, 0, 0};
    // prev_end and gap are derived from the stored raw gap (see Node); check both against
    // their definitions.
    const Addr want_prev_end = prev_node ? prev_node->vma.vm_end : 0;
    const Addr want_raw = mmspec::raw_gap<Addr>(v.vm_start, want_prev_end);
    if (n->raw_gap != want_raw)
      return {fail("raw_gap of " + range(v) + " is " + std::to_string(n->raw_gap) +
                   ", expected " + std::to_string(want_raw)),
              0, 0, 0};
    const Addr want_start = prev_node ? vm_end_gap(prev_node->vma) : 0;
    const Addr want_gap = vma_gap<Addr>(vm_start_gap(v, stack_guard_gap_), want_start);
    if (n->gap != want_gap || gap_of(n) != want_gap)
      return {fail("gap of " + range(v) + " is " + std::to_string(n->gap) + ", expected " +
                   std::to_string(want_gap)),
              0, 0, 0};
    prev_node = n;
    ++count;
    const Result r = self(self, n->right, n, depth + 1);
    if (!r.ok) return r;
    // The WAVL rules: rank differences 1 or 2, leaves of rank 0.
    const int dl = n->rank - l.rank;
    const int dr = n->rank - r.rank;
    if (dl < 1 || dl > 2 || dr < 1 || dr > 2 || (!n->left && !n->right && n->rank != 0))
      return {fail("rank rule broken at " + range(v) + ": rank " + std::to_string(n->rank) +
                   ", children " + std::to_string(l.rank) + " and " + std::to_string(r.rank)),
              0, 0, 0};
    // The slots: the maxima of the children's subtrees, recomputed from scratch below.
    if (classic_kept && (n->gap_slot[0] != l.subtree_gap || n->gap_slot[1] != r.subtree_gap))
      return {fail("subtree_gap slots of " + range(v) + " are " +
                   std::to_string(n->gap_slot[0]) + " and " + std::to_string(n->gap_slot[1]) +
                   ", expected " +
                   std::to_string(l.subtree_gap) + " and " + std::to_string(r.subtree_gap)),
              0, 0, 0};
    if (maple_kept &&
        (n->raw_slot[0] != l.subtree_raw_gap || n->raw_slot[1] != r.subtree_raw_gap))
      return {fail("subtree_raw_gap slots of " + range(v) + " are " +
                   std::to_string(n->raw_slot[0]) + " and " + std::to_string(n->raw_slot[1]) +
                   ", expected " + std::to_string(l.subtree_raw_gap) + " and " +
                   std::to_string(r.subtree_raw_gap)),
              0, 0, 0};
    const Addr want_subtree = mmspec::subtree_gap<Addr>(want_gap, l.subtree_gap, r.subtree_gap);
    const Addr want_subtree_raw =
        mmspec::subtree_gap<Addr>(want_raw, l.subtree_raw_gap, r.subtree_raw_gap);
    return {true, n->rank, want_subtree, want_subtree_raw};
  };
  if (!visit(visit, root_, nullptr, 1).ok) return false;
  if (last_ != prev_node || (prev_node && prev_node->next) || (!prev_node && first_))
    return fail("wrong first / last VMA link");
  if (count != size_)
    return fail("size() is " + std::to_string(size_) + " but the tree holds " +
                std::to_string(count) + " VMAs");
  return true;
}

// ---- iteration ----

VmaTree::const_iterator VmaTree::begin() const { return const_iterator(first_); }

const Vma& VmaTree::const_iterator::operator*() const { return n_->vma; }
const Vma* VmaTree::const_iterator::operator->() const { return &n_->vma; }

VmaTree::const_iterator& VmaTree::const_iterator::operator++() {
  n_ = n_->next;
  return *this;
}

VmaTree::const_iterator VmaTree::const_iterator::operator++(int) {
  const_iterator old = *this;
  ++*this;
  return old;
}

}  // namespace mmspec
