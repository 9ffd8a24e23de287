#include "mmspec/procfs.hpp"

#include <cstdio>

namespace mmspec {
namespace {

const char* special_name(SpecialName s) {
  switch (s) {
    case SpecialName::vdso: return "[vdso]";
    case SpecialName::vvar: return "[vvar]";
    case SpecialName::vvar_vclock: return "[vvar_vclock]";
    case SpecialName::vsyscall: return "[vsyscall]";
    case SpecialName::other:
    case SpecialName::none: return "";
  }
  return "";
}

// include/linux/mm.h vma_is_initial_heap (v6.18: strict); fs/proc/task_mmu.c (v5.15, v6.1: inclusive)
bool is_initial_heap(const Mm& mm, const Vma& v) {
  if (mm.heap_label_inclusive()) return v.vm_start <= mm.brk && v.vm_end >= mm.start_brk;
  return v.vm_start < mm.brk && v.vm_end > mm.start_brk;
}

bool is_initial_stack(const Mm& mm, const Vma& v) {
  return v.vm_start <= mm.start_stack && v.vm_end >= mm.start_stack;
}

}  // namespace

std::string ProcMapsEntry::line() const {
  char buf[160];
  int n = std::snprintf(buf, sizeof buf, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
                        static_cast<unsigned long long>(start), static_cast<unsigned long long>(end),
                        perms[0], perms[1], perms[2], perms[3],
                        static_cast<unsigned long long>(offset), dev_major, dev_minor,
                        static_cast<unsigned long long>(inode));
  std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  if (!name.empty()) {
    if (s.size() < 72) s.append(72 - s.size(), ' ');
    s += ' ';
    s += name;
  }
  return s;
}

std::string ProcMapsEntry::vmflags() const { return vm_flags_mnemonics(flags, lockonfault_named); }

// fs/proc/task_mmu.c show_map_vma (v5.15, v6.18)
std::vector<ProcMapsEntry> proc_maps(const Mm& mm) {
  std::vector<ProcMapsEntry> out;
  out.reserve(mm.vmas.size());
  for (const Vma& v : mm.vmas) {
    ProcMapsEntry e;
    e.start = v.vm_start;
    e.end = v.vm_end;
    e.perms[0] = (v.vm_flags & VM_READ) ? 'r' : '-';
    e.perms[1] = (v.vm_flags & VM_WRITE) ? 'w' : '-';
    e.perms[2] = (v.vm_flags & VM_EXEC) ? 'x' : '-';
    e.perms[3] = (v.vm_flags & VM_MAYSHARE) ? 's' : 'p';
    e.flags = v.vm_flags;
    e.lockonfault_named = mm.smaps_names_lf();
    if (v.vm_file) {
      e.offset = v.vm_pgoff << PAGE_SHIFT;
      if (const Inode* ino = mm.world->inode_of(v.vm_file)) {
        e.dev_major = ino->dev_major;
        e.dev_minor = ino->dev_minor;
        e.inode = ino->ino;
        e.name = ino->path;
      }
    } else if (v.kind == VmaKind::special) {
      e.name = special_name(v.special);
    } else if (is_initial_heap(mm, v)) {
      e.name = "[heap]";
    } else if (is_initial_stack(mm, v)) {
      e.name = "[stack]";
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string render_maps(const Mm& mm) {
  std::string s;
  for (const ProcMapsEntry& e : proc_maps(mm)) {
    s += e.line();
    s += '\n';
  }
  return s;
}

}  // namespace mmspec
