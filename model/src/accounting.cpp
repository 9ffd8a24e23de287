#include "mmspec/accounting.hpp"

#include <algorithm>

namespace mmspec {

// mm/mmap.c vm_stat_account (v5.15, v6.18)
void vm_stat_account(Mm& mm, VmFlags flags, std::int64_t npages) {
  const auto n = static_cast<std::uint64_t>(npages);  // wraps for negative, as the kernel's long
  mm.total_vm += n;
  if (is_exec_mapping(flags))
    mm.exec_vm += n;
  else if (is_stack_mapping(flags))
    mm.stack_vm += n;
  else if (is_data_mapping(flags))
    mm.data_vm += n;
}

// mm/mmap.c may_expand_vm (v5.15, v6.18)
bool may_expand_vm(const Mm& mm, VmFlags flags, std::uint64_t npages) {
  const Rlimits& r = mm.cfg.rlimits;
  if (mm.total_vm + npages > (r.as >> PAGE_SHIFT)) return false;
  if (is_data_mapping(flags) && mm.data_vm + npages > (r.data >> PAGE_SHIFT)) {
    // The Valgrind workaround: a zero soft limit defers to the hard limit.
    if (r.data == 0 && mm.data_vm + npages <= (r.data_hard >> PAGE_SHIFT)) return true;
    return false;
  }
  return true;
}

// mm/util.c __vm_enough_memory (v5.15, v6.18)
int vm_enough_memory(Mm& mm, std::uint64_t pages) {
  World& w = *mm.world;
  w.committed += pages;
  const Sysctl& s = mm.cfg.sysctl;
  const Machine& m = mm.cfg.machine;
  if (s.overcommit_memory == 1) return 0;
  if (s.overcommit_memory == 0) {
    if (pages > m.totalram_pages + m.total_swap_pages) {
      w.committed -= pages;
      return -ENOMEM;
    }
    return 0;
  }
  std::int64_t allowed =
      static_cast<std::int64_t>(m.totalram_pages * s.overcommit_ratio / 100 + m.total_swap_pages);
  if (!mm.cfg.caps.sys_admin) allowed -= static_cast<std::int64_t>(s.admin_reserve_kbytes >> 2);
  allowed -= static_cast<std::int64_t>(
      std::min<std::uint64_t>(mm.total_vm / 32, s.user_reserve_kbytes >> 2));
  if (static_cast<std::int64_t>(w.committed) < allowed) return 0;
  w.committed -= pages;
  return -ENOMEM;
}

void vm_unacct_memory(Mm& mm, std::uint64_t pages) { mm.world->committed -= pages; }

// mm/mlock.c can_do_mlock (v5.15, v6.18)
bool can_do_mlock(const Mm& mm) {
  return mm.cfg.rlimits.memlock != 0 || mm.cfg.caps.ipc_lock;
}

// mm/mmap.c mlock_future_ok (v6.18), mlock_future_check (v5.15)
bool mlock_future_ok(const Mm& mm, VmFlags flags, std::uint64_t bytes) {
  if (!(flags & VM_LOCKED) || mm.cfg.caps.ipc_lock) return true;
  const std::uint64_t locked = (bytes >> PAGE_SHIFT) + mm.locked_vm;
  return locked <= (mm.cfg.rlimits.memlock >> PAGE_SHIFT);
}

}  // namespace mmspec
