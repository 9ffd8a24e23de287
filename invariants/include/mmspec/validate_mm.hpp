// validate_mm: the structural invariants of an Mm, checked from scratch (mm/mmap.c validate_mm,
// v5.15; mm/vma.c validate_mm, v6.18). Returns every violation found; never aborts.
//
//   for consecutive VMAs a, b:  a.vm_end <= b.vm_start
//   for every VMA v:            v.vm_start < v.vm_end, both page aligned,
//                               mmap_min_addr <= v.vm_start (imported/special VMAs aside), v.vm_end <= task_size
//                               (v.anon_vma == 0) == (v.anon_vma_chain == 0)
//   subtree_gap(n) = max(gap(n), subtree_gap(left), subtree_gap(right)), recomputed
//   map_count = #VMAs;  total_vm = sum pages;  exec_vm/stack_vm/data_vm = sums per class
#pragma once

#include <string>
#include <vector>

#include "mmspec/mm.hpp"

namespace mmspec {

struct Violation {
  std::string what;
};

std::vector<Violation> validate_mm(const Mm& mm);

}  // namespace mmspec
