// Counters, resource limits and overcommit: vm_stat_account, may_expand_vm,
// __vm_enough_memory, mlock_future_ok, can_do_mlock.
#pragma once

#include <cstdint>

#include "mmspec/mm.hpp"

namespace mmspec {

// mm/internal.h is_exec_mapping, is_stack_mapping, is_data_mapping (v5.15); mm/vma.h (v6.18)
constexpr bool is_exec_mapping(VmFlags f) {
  return (f & (VM_EXEC | VM_WRITE | VM_STACK)) == VM_EXEC;
}
constexpr bool is_stack_mapping(VmFlags f) { return (f & VM_STACK) == VM_STACK; }
constexpr bool is_data_mapping(VmFlags f) {
  return (f & (VM_WRITE | VM_SHARED | VM_STACK)) == VM_WRITE;
}

// mm/mmap.c vm_stat_account (v5.15, v6.18): total_vm and the one class counter.
void vm_stat_account(Mm& mm, VmFlags flags, std::int64_t npages);

// mm/mmap.c may_expand_vm (v5.15, v6.18): RLIMIT_AS, and RLIMIT_DATA for data mappings.
bool may_expand_vm(const Mm& mm, VmFlags flags, std::uint64_t npages);

// mm/util.c __vm_enough_memory via security_vm_enough_memory_mm (v5.15, v6.18): charges
// `pages` to the committed counter; returns 0 or -ENOMEM (charge undone).
int vm_enough_memory(Mm& mm, std::uint64_t pages);
void vm_unacct_memory(Mm& mm, std::uint64_t pages);

// mm/mlock.c can_do_mlock, mm/mmap.c mlock_future_ok (v6.18) / mlock_future_check (v5.15)
bool can_do_mlock(const Mm& mm);
bool mlock_future_ok(const Mm& mm, VmFlags flags, std::uint64_t bytes);

// mm/mmap.c accountable_mapping (v5.15) / mm/vma.c (v6.18): private writable, not NORESERVE.
constexpr bool accountable_mapping(VmFlags f) {
  return (f & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE;
}

}  // namespace mmspec
