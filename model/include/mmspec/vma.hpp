// struct vm_area_struct, reduced to what user space can observe or what decides merges.
//
// Invariants (checked by invariants/validate_mm):
//   vm_start < vm_end, both page aligned; VMAs of one mm never overlap;
//   anon_vma == 0  <=>  anon_vma_chain == 0.
// The struct is standard-layout and trivially copyable: the VMA tree stores it inline in its
// nodes, fork copies it by value, and later layers (page tables, rmap) refer to VMAs by address.
#pragma once

#include <cstdint>
#include <type_traits>

#include "mmspec/gap.hpp"
#include "mmspec/types.hpp"
#include "mmspec/vm_flags.hpp"

namespace mmspec {

using FileId = std::uint32_t;     // identity of one open file (struct file); 0 = none
using InodeId = std::uint32_t;    // identity of the inode behind it
using AnonVmaId = std::uint32_t;  // identity of an anon_vma; 0 = none (never write-faulted)

// What vm_ops the VMA has, as far as merging, splitting and faults care.
enum class VmaKind : std::uint8_t {
  anonymous,  // private anonymous: vma_is_anonymous(), no vm_ops
  file,       // a regular file mapping (ops with fault; no close hook)
  shmem,      // shared anonymous: shmem_zero_setup gave it its own shmem file
  special,    // install_special_mapping: [vdso], [vvar], ... (may_split refuses, VM_DONTEXPAND)
};

enum class SpecialName : std::uint8_t { none, vdso, vvar, vvar_vclock, vsyscall, other };

struct Vma {
  Addr vm_start = 0;
  Addr vm_end = 0;
  PgOff vm_pgoff = 0;
  VmFlags vm_flags = 0;
  FileId vm_file = 0;
  AnonVmaId anon_vma = 0;
  std::uint32_t anon_vma_chain = 0;  // number of anon_vma_chain entries (1 unless forked)
  std::uint32_t anon_name = 0;       // [anon:NAME] id (6.18 compares it when merging); 0 = none
  VmaKind kind = VmaKind::anonymous;
  SpecialName special = SpecialName::none;
  bool close_hook = false;  // vm_ops->close present (SysV shm); refuses merges (profile rules)

  constexpr Addr size() const { return vm_end - vm_start; }
  constexpr Addr npages() const { return (vm_end - vm_start) >> PAGE_SHIFT; }
  constexpr bool contains(Addr a) const { return vm_start <= a && a < vm_end; }
  constexpr bool is_anonymous() const { return kind == VmaKind::anonymous; }
};

static_assert(std::is_standard_layout_v<Vma>);
static_assert(std::is_trivially_copyable_v<Vma>);

// mm/mmap.c vm_start_gap / vm_end_gap (v5.15), include/linux/mm.h (v6.18): the guard zone a
// VM_GROWSDOWN VMA keeps below itself; x86 has no VM_GROWSUP, so the end gap is the end.
constexpr Addr vm_start_gap(const Vma& v, Addr stack_guard_gap) {
  return start_gap<Addr>(v.vm_start, (v.vm_flags & VM_GROWSDOWN) != 0, stack_guard_gap);
}
constexpr Addr vm_end_gap(const Vma& v) { return v.vm_end; }

}  // namespace mmspec

#include <string>
namespace mmspec {
// "[0x7e0000000000-0x7e0000002000 pgoff 0x7e0000000]" for narration and messages.
std::string vma_str(const Vma& v);
std::string hex(std::uint64_t v);
}  // namespace mmspec
