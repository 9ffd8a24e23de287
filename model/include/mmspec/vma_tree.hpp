// The ordered set of an mm's VMAs with subtree gaps: the model of the classic kernel's
// rb_subtree_gap-augmented rb-tree (mm->mm_rb plus the vm_prev/vm_next list, v5.15).
//
// Models (one line each; all mm/mmap.c, v5.15):
//   vma_compute_gap          gap(n) below a VMA                       -> gap.hpp vma_gap
//   vma_gap_callbacks        the max-augmentation kept across rotations -> gap.hpp subtree_gap
//   vma_gap_update / vma_rb_insert / vma_rb_erase_ignore / __vma_unlink_list: the updates here
//   find_vma, find_vma_prev, find_vma_intersection (include/linux/mm.h): the lookups here
//   unmapped_area            bottom-up gap search                      -> unmapped_area()
//   unmapped_area_topdown    top-down gap search                       -> unmapped_area_topdown()
//
// Structure: an AVL tree keyed by vm_start, with parent pointers, holding each Vma inline as the
// first member of its node. A Vma* handed out stays valid until that VMA is erased (also across
// moves of the tree; a copy has its own nodes).
//
// Invariants (check_augmentation() verifies all of them from scratch):
//   in-order: vm_start < vm_end, and vm_end <= next.vm_start (no overlap)
//   gap_start(n)   = vm_end_gap(prev(n)), or 0 for the lowest VMA
//   gap(n)         = vma_gap(vm_start_gap(n, stack_guard_gap), gap_start(n))
//   subtree_gap(n) = max(gap(n), subtree_gap(left), subtree_gap(right))   (absent child: 0)
//   height(n)      = 1 + max(height(left), height(right)), |height(left) - height(right)| <= 1
// so the height is at most 1.44 log2(n + 2).
//
// Cost: insert, erase, adjust, refresh, find_vma*, first, last, highest_vm_end, the two gap
// searches, recompute_gap: O(log n). prev, next: O(log n) worst case, O(1) amortised over an
// iteration. Copy and check_augmentation: O(n). Memory: one heap node per VMA.
//
// Gap search contract. For a request accepted by gap_request_ok() (gap.hpp), bottom-up returns
// the placement in the lowest gap that fits, top-down the placement in the highest one, where
// the gaps are, in address order, [0, vm_start_gap(first)), [vm_end_gap(prev), vm_start_gap(v))
// for every further VMA v, and [highest_vm_end, inf); top-down tries [highest_vm_end, inf)
// before all others. This is what the kernel's walk returns whenever vm_start_gap is monotone
// over the VMAs. It is not monotone only when a VMA lies inside the guard gap of a VM_GROWSDOWN
// VMA above it (possible with MAP_FIXED); the kernel's answer then depends on the shape of its
// rb-tree (its walk prunes on one node's gap end), and the model keeps the address-order
// answer above (a deviation to record in docs/deviations.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

#include "mmspec/types.hpp"
#include "mmspec/vma.hpp"

namespace mmspec {

// struct vm_unmapped_area_info (include/linux/mm.h v5.15) without the flags: the direction is
// chosen by calling unmapped_area() or unmapped_area_topdown().
struct GapRequest {
  Addr length = 0;
  Addr low_limit = 0;
  Addr high_limit = 0;
  Addr align_mask = 0;
  Addr align_offset = 0;
};

class VmaTree {
  struct Node;

 public:
  // The kernel's stack_guard_gap (mm/mmap.c, default 256 pages; boot parameter stack_guard_gap).
  explicit VmaTree(Addr stack_guard_gap = 256 * PAGE_SIZE);
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
  // mm->highest_vm_end: vm_end_gap of the last VMA, 0 if there is none.
  Addr highest_vm_end() const;

  // ---- gap search (see the contract above); nullopt where the kernel returns -ENOMEM ----

  // mm/mmap.c unmapped_area (v5.15): the lowest fitting address.
  std::optional<Addr> unmapped_area(const GapRequest& req) const;
  // mm/mmap.c unmapped_area_topdown (v5.15): the highest fitting address.
  std::optional<Addr> unmapped_area_topdown(const GapRequest& req) const;

  // ---- augmentation, for tests and invariant checkers ----

  // The stored gap / subtree_gap of v's node.
  Addr gap(const Vma* v) const;
  Addr subtree_gap(const Vma* v) const;
  // gap(v) as it should be, computed from v and its predecessor (vma_compute_gap).
  Addr recompute_gap(const Vma* v) const;
  // Recomputes every node's gap, subtree_gap and height from scratch and checks them, the
  // order, non-overlap, AVL balance, parent links and size(). On failure writes the first
  // problem found to *why (if why is not null) and returns false.
  bool check_augmentation(std::string* why = nullptr) const;
  // Height of the tree (0 when empty, 1 for a single VMA).
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
  static const Node* leftmost(const Node* n);
  static const Node* rightmost(const Node* n);
  static const Node* successor(const Node* n);
  static const Node* predecessor(const Node* n);
  static Node* successor(Node* n);
  const Node* first_fit(const Node* n, Addr threshold, Addr lo) const;
  const Node* last_fit(const Node* n, Addr threshold, Addr hi) const;

  void set_gap(Node* n, Addr gap_start) const;
  static void update(Node* n);
  static void propagate(Node* n);
  void rebalance(Node* n);
  Node* rotate_left(Node* x);
  Node* rotate_right(Node* x);
  void replace_child(Node* parent, Node* old_child, Node* new_child);

  static Node* clone(const Node* n, Node* parent);
  static void destroy(Node* n);

  Node* root_ = nullptr;
  std::size_t size_ = 0;
  Addr stack_guard_gap_;
};

}  // namespace mmspec
