// /proc/PID/maps and the smaps VmFlags line, rendered from the model as
// fs/proc/task_mmu.c show_map_vma / show_smap_vma_flags print them.
#pragma once

#include <string>
#include <vector>

#include "mmspec/mm.hpp"

namespace mmspec {

struct ProcMapsEntry {
  Addr start = 0, end = 0;
  char perms[4] = {'-', '-', '-', 'p'};
  std::uint64_t offset = 0;
  std::uint32_t dev_major = 0, dev_minor = 0;
  std::uint64_t inode = 0;
  std::string name;
  VmFlags flags = 0;
  bool lockonfault_named = true;  // smaps names VM_LOCKONFAULT "lf" (else "??": Mm::smaps_names_lf)

  std::string line() const;      // the maps line, without newline
  std::string vmflags() const;   // "rd wr mr mw me ac sd"
};

// One entry per VMA, in address order (the gate [vsyscall] VMA is not in the model's tree).
// fs/proc/task_mmu.c show_map_vma, get_vma_name (v5.15, v6.18)
std::vector<ProcMapsEntry> proc_maps(const Mm& mm);

// The whole /proc/PID/maps text.
std::string render_maps(const Mm& mm);

}  // namespace mmspec
