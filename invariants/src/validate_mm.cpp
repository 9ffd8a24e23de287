#include "mmspec/validate_mm.hpp"

#include "mmspec/accounting.hpp"

namespace mmspec {

std::vector<Violation> validate_mm(const Mm& mm) {
  std::vector<Violation> out;
  auto bad = [&](std::string s) { out.push_back(Violation{std::move(s)}); };
  std::uint64_t count = 0, total = 0, exec = 0, stack = 0, data = 0, locked = 0;
  const Vma* prev = nullptr;
  for (const Vma& v : mm.vmas) {
    ++count;
    if (v.vm_start >= v.vm_end) bad("empty or inverted VMA " + vma_str(v));
    if (!page_aligned(v.vm_start) || !page_aligned(v.vm_end)) bad("VMA not page aligned " + vma_str(v));
    if (prev && prev->vm_end > v.vm_start)
      bad("VMAs overlap or are out of order: " + vma_str(*prev) + " then " + vma_str(v));
    if (v.kind != VmaKind::special && v.vm_end > mm.layout.task_size)
      bad("VMA ends above TASK_SIZE " + vma_str(v));
    // Only CAP_SYS_RAWIO may map below vm.mmap_min_addr (security/commoncap.c cap_mmap_addr).
    if (v.vm_start < mm.cfg.layout.mmap_min_addr_sysctl && !mm.cfg.caps.sys_rawio)
      bad("VMA below vm.mmap_min_addr without CAP_SYS_RAWIO " + vma_str(v));
    if ((v.anon_vma == 0) != (v.anon_vma_chain == 0))
      bad("anon_vma and anon_vma_chain disagree in " + vma_str(v));
    if (v.kind == VmaKind::anonymous && v.vm_file != 0) bad("anonymous VMA with a file " + vma_str(v));
    // Private anonymous memory is created with vm_pgoff = vm_start >> PAGE_SHIFT and every
    // split, merge and stack growth keeps that relation; an mremap move of a faulted VMA keeps
    // its vm_pgoff (mm/mremap.c move_vma, copy_vma), so only VMAs without anon_vma must hold it.
    if (v.kind == VmaKind::anonymous && !v.anon_vma && v.vm_pgoff != (v.vm_start >> PAGE_SHIFT))
      bad("private anonymous VMA with vm_pgoff " + hex(v.vm_pgoff) + " != vm_start >> 12 " + vma_str(v));
    if ((v.kind == VmaKind::file || v.kind == VmaKind::shmem) && !mm.world->file(v.vm_file))
      bad("file VMA without an open file " + vma_str(v));
    const std::uint64_t n = v.npages();
    total += n;
    if (is_exec_mapping(v.vm_flags)) exec += n;
    else if (is_stack_mapping(v.vm_flags)) stack += n;
    else if (is_data_mapping(v.vm_flags)) data += n;
    if (v.vm_flags & VM_LOCKED) locked += n;
    if (mm.vmas.gap(&v) != mm.vmas.recompute_gap(&v))
      bad("stored gap " + hex(mm.vmas.gap(&v)) + " != recomputed " + hex(mm.vmas.recompute_gap(&v)) + " at " + vma_str(v));
    prev = &v;
  }
  std::string why;
  if (!mm.vmas.check_augmentation(&why)) bad("VMA tree: " + why);
  if (count != mm.map_count)
    bad("map_count " + std::to_string(mm.map_count) + " != " + std::to_string(count) + " VMAs");
  if (count != mm.vmas.size()) bad("tree size disagrees with its iteration");
  auto cmp = [&](const char* name, std::uint64_t have, std::uint64_t want) {
    if (have != want)
      bad(std::string(name) + " " + std::to_string(have) + " != " + std::to_string(want) + " pages summed over VMAs");
  };
  cmp("total_vm", mm.total_vm, total);
  cmp("exec_vm", mm.exec_vm, exec);
  cmp("stack_vm", mm.stack_vm, stack);
  cmp("data_vm", mm.data_vm, data);
  cmp("locked_vm", mm.locked_vm, locked);
  return out;
}

}  // namespace mmspec
