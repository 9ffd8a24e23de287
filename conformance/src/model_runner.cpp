#include "mmspec/model_runner.hpp"

#include <utility>

#include "mmspec/procfs.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/validate_mm.hpp"

namespace mmspec::conformance {
namespace {

using trace::OpKind;
using trace::OpResult;

VmFlags flags_from_mnemonics(const std::string& s) {
  VmFlags f = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) f |= vm_flag_from_mnemonic(s.substr(i, j - i));
    i = j;
  }
  return f;
}

VmFlags flags_from_perms(const trace::MapsEntry& e) {
  VmFlags f = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (e.perms[0] == 'r') f |= VM_READ;
  if (e.perms[1] == 'w') f |= VM_WRITE;
  if (e.perms[2] == 'x') f |= VM_EXEC;
  if (e.perms[3] == 's') f |= VM_MAYSHARE | (e.perms[1] == 'w' ? VM_SHARED : 0);
  return f;
}

SpecialName special_of(const std::string& name) {
  if (name == "[vdso]") return SpecialName::vdso;
  if (name == "[vvar]") return SpecialName::vvar;
  if (name == "[vvar_vclock]") return SpecialName::vvar_vclock;
  if (name == "[vsyscall]") return SpecialName::vsyscall;
  if (!name.empty() && name.front() == '[' && name != "[heap]" && name != "[stack]" &&
      name.rfind("[anon:", 0) != 0)
    return SpecialName::other;
  return SpecialName::none;
}

trace::TouchOutcome outcome_of(FaultOutcome o) {
  switch (o) {
    case FaultOutcome::ok: return trace::TouchOutcome::ok;
    case FaultOutcome::segv_maperr: return trace::TouchOutcome::segv_maperr;
    case FaultOutcome::segv_accerr: return trace::TouchOutcome::segv_accerr;
    case FaultOutcome::sigbus: return trace::TouchOutcome::sigbus;
  }
  return trace::TouchOutcome::ok;
}

OpResult value_or_error(SysRet r) {
  OpResult res;
  if (is_err(r)) {
    res.kind = OpResult::Kind::error;
    res.errnum = static_cast<int>(-r);
  } else {
    res.kind = OpResult::Kind::value;
    res.value = static_cast<std::uint64_t>(r);
  }
  return res;
}

}  // namespace

std::optional<Profile> trace_profile(const trace::Trace& t, std::optional<Profile> override_) {
  if (override_) return override_;
  if (t.profile.empty()) return default_profile;
  return parse_profile(t.profile);
}

std::vector<trace::MapsEntry> observe_maps(const Mm& mm) {
  std::vector<trace::MapsEntry> out;
  for (const ProcMapsEntry& p : proc_maps(mm)) {
    trace::MapsEntry e;
    e.start = p.start;
    e.end = p.end;
    for (int i = 0; i < 4; ++i) e.perms[i] = p.perms[i];
    e.offset = p.offset;
    e.dev_major = p.dev_major;
    e.dev_minor = p.dev_minor;
    e.inode = p.inode;
    e.name = p.name;
    e.vmflags = p.vmflags();
    out.push_back(std::move(e));
  }
  return out;
}

Mm default_process(const MmConfig& cfg) {
  Mm mm(cfg);
  const Addr base = mm.layout.mmap_base;
  auto special = [&](Addr start, Addr npages, VmFlags flags, SpecialName name) {
    Vma v;
    v.vm_start = start;
    v.vm_end = start + npages * PAGE_SIZE;
    v.vm_flags = flags | VM_DONTEXPAND | mm.vm_softdirty();
    v.kind = VmaKind::special;
    v.special = name;
    mm.import_vma(v);
  };
  // arch/x86/entry/vdso/vma.c map_vdso (v6.18): the first top-down mapping of the process.
  const VmFlags ro = VM_READ | VM_MAYREAD | VM_PFNMAP | VM_IO | VM_DONTDUMP;
  special(base - 8 * PAGE_SIZE, 4, ro, SpecialName::vvar);
  special(base - 4 * PAGE_SIZE, 2, ro, SpecialName::vvar_vclock);
  special(base - 2 * PAGE_SIZE, 2, VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC,
          SpecialName::vdso);
  // fs/exec.c setup_arg_pages: the initial stack, 33 pages below STACK_TOP without randomisation.
  Vma stack;
  stack.vm_end = DEFAULT_MAP_WINDOW;
  stack.vm_start = stack.vm_end - 33 * PAGE_SIZE;
  stack.vm_pgoff = stack.vm_start >> PAGE_SHIFT;
  stack.vm_flags = VM_STACK_FLAGS | mm.vm_softdirty();
  stack.anon_vma = mm.world->next_anon_vma++;
  stack.anon_vma_chain = 1;
  mm.import_vma(stack);
  mm.start_stack = stack.vm_end - 0x1000;
  return mm;
}

Mm imported_process(Profile profile, const LiveLayout& layout,
                    const std::vector<trace::MapsEntry>& initial) {
  MmConfig cfg;
  cfg.profile = profile;
  if (layout.task_size) cfg.layout.la57 = *layout.task_size > TASK_SIZE_4LEVEL;
  if (layout.rlimit_stack) cfg.layout.rlimit_stack = *layout.rlimit_stack;
  if (layout.mmap_min_addr_sysctl) cfg.layout.mmap_min_addr_sysctl = *layout.mmap_min_addr_sysctl;
  if (layout.mmap_min_addr) cfg.layout.mmap_min_addr = *layout.mmap_min_addr;
  if (layout.max_map_count) cfg.sysctl.max_map_count = *layout.max_map_count;
  if (layout.overcommit_memory) cfg.sysctl.overcommit_memory = static_cast<int>(*layout.overcommit_memory);
  cfg.layout.randomize = layout.randomized;
  if (layout.rlimit_stack) cfg.rlimits.stack = *layout.rlimit_stack;
  if (auto v = layout.number("rlimit_as")) cfg.rlimits.as = *v;
  if (auto v = layout.number("rlimit_data")) cfg.rlimits.data = *v;
  if (auto v = layout.number("rlimit_memlock")) cfg.rlimits.memlock = *v;
  if (auto v = layout.number("overcommit_ratio")) cfg.sysctl.overcommit_ratio = *v;
  // arch/x86/mm/mmap.c mmap_is_legacy: ADDR_COMPAT_LAYOUT personality or vm.legacy_va_layout.
  constexpr std::uint64_t ADDR_COMPAT_LAYOUT = 0x0200000;
  if (auto v = layout.number("legacy_va_layout"); v && *v) cfg.layout.legacy = true;
  if (auto v = layout.number("personality"); v && (*v & ADDR_COMPAT_LAYOUT)) cfg.layout.legacy = true;
  // The capabilities the model consults (include/uapi/linux/capability.h bit numbers).
  if (auto cap = layout.number("cap_eff")) {
    cfg.caps.ipc_lock = (*cap >> 14) & 1;
    cfg.caps.sys_rawio = (*cap >> 17) & 1;
    cfg.caps.sys_admin = (*cap >> 21) & 1;
    cfg.caps.sys_resource = (*cap >> 24) & 1;
  }
  // Every VMA exec creates carries VM_SOFTDIRTY when the kernel has CONFIG_MEM_SOFT_DIRTY.
  cfg.machine.soft_dirty = false;
  for (const trace::MapsEntry& e : initial)
    if (flags_from_mnemonics(e.vmflags) & VM_SOFTDIRTY) cfg.machine.soft_dirty = true;
  Mm mm(cfg);
  World& w = *mm.world;
  for (const trace::MapsEntry& e : initial) {
    if (e.name == "[vsyscall]") continue;  // the gate VMA is not in the VMA tree
    Vma v;
    v.vm_start = e.start;
    v.vm_end = e.end;
    v.vm_flags = e.vmflags.empty() ? flags_from_perms(e) : flags_from_mnemonics(e.vmflags);
    const SpecialName sp = special_of(e.name);
    if (sp != SpecialName::none) {
      v.kind = VmaKind::special;
      v.special = sp;
    } else if (e.inode != 0 || (!e.name.empty() && e.name.front() == '/')) {
      const InodeId ino = w.create_inode(~std::uint64_t{0} >> 1, e.name, false);
      w.inodes[ino - 1].dev_major = e.dev_major;
      w.inodes[ino - 1].dev_minor = e.dev_minor;
      w.inodes[ino - 1].ino = e.inode;
      v.vm_file = w.open(ino, true, (v.vm_flags & VM_MAYWRITE) != 0);
      v.vm_pgoff = e.offset >> PAGE_SHIFT;
      v.kind = VmaKind::file;
    } else {
      v.kind = VmaKind::anonymous;
      v.vm_pgoff = e.start >> PAGE_SHIFT;
      if (v.vm_flags & VM_WRITE) {  // assume written: the agent's data, heap and stack
        // The scenario runs in a child the agent forked: anon_vma_fork (mm/rmap.c) links the
        // parent's anon_vma and the child's own, two chain entries. So the VMA "had uncowed
        // parents" (mm/vma.c, v6.18) and its chain is not singular (mm/mmap.c
        // is_mergeable_anon_vma, reusable_anon_vma, v5.15): a new anonymous VMA next to it
        // neither merges with it nor shares its anon_vma.
        v.anon_vma = w.next_anon_vma++;
        v.anon_vma_chain = 2;
      }
    }
    mm.import_vma(v);
  }
  if (layout.start_brk) mm.start_brk = *layout.start_brk;
  if (layout.brk) mm.brk = *layout.brk;
  if (layout.start_stack) mm.start_stack = *layout.start_stack;
  if (auto v = layout.number("start_data")) mm.start_data = *v;
  if (auto v = layout.number("end_data")) mm.end_data = *v;
  return mm;
}

std::vector<FileId> open_trace_files(Mm& mm, const trace::Trace& t) {
  std::vector<FileId> fds(t.files.size(), 0);
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    const trace::FileDecl& f = t.files[i];
    InodeId ino;
    if (f.inode_of >= 0) {
      ino = mm.world->file(fds[static_cast<std::size_t>(f.inode_of)])->inode;
    } else {
      ino = mm.world->create_inode(f.size, trace::trace_file_path(f.name), true);
      mm.world->inodes[ino - 1].dev_minor = 1;
    }
    fds[i] = mm.world->open(ino, f.readable, f.writable);
  }
  return fds;
}

ModelRun run_model(const trace::Trace& t, const ModelOptions& opts) {
  ModelRun run;
  run.profile = trace_profile(t, opts.profile).value_or(default_profile);
  MmConfig cfg;
  cfg.profile = run.profile;
  Mm mm = (opts.layout && opts.initial) ? imported_process(run.profile, *opts.layout, *opts.initial)
                                        : default_process(cfg);
  std::vector<Event> events;
  if (opts.narrate) mm.events = &events;

  const std::vector<FileId> fds = open_trace_files(mm, t);

  run.obs.initial = observe_maps(mm);
  std::vector<std::uint64_t> bindings(t.bindings.size(), 0);
  run.obs.results.resize(t.ops.size());
  run.obs.snapshots.resize(t.maps.size());
  run.events.resize(t.ops.size());
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const trace::Op& op = t.ops[i];
    const trace::Env env{t.window, bindings.data(), bindings.size()};
    const std::uint64_t addr = trace::eval(op.addr, env);
    const std::uint64_t len = trace::eval(op.len, env);
    OpResult res;
    switch (op.kind) {
      case OpKind::mmap: {
        std::int64_t fd = -1;
        if (op.file >= 0 && !op.bad_fd) fd = fds[static_cast<std::size_t>(op.file)];
        res = value_or_error(sys_mmap(mm, addr, len, static_cast<std::uint64_t>(op.prot),
                                      static_cast<std::uint64_t>(op.flags), fd,
                                      trace::eval(op.offset, env)));
        break;
      }
      case OpKind::munmap: res = value_or_error(sys_munmap(mm, addr, len)); break;
      case OpKind::mprotect:
        res = value_or_error(sys_mprotect(mm, addr, len, static_cast<std::uint64_t>(op.prot)));
        break;
      case OpKind::mremap:
        res = value_or_error(sys_mremap(mm, addr, len, trace::eval(op.new_len, env),
                                        static_cast<std::uint64_t>(op.flags),
                                        trace::eval(op.new_addr, env)));
        break;
      case OpKind::mlock:
        res = value_or_error(sys_mlock2(mm, addr, len, static_cast<std::uint64_t>(op.flags)));
        break;
      case OpKind::munlock: res = value_or_error(sys_munlock(mm, addr, len)); break;
      case OpKind::mlockall:
        res = value_or_error(sys_mlockall(mm, static_cast<std::uint64_t>(op.flags)));
        break;
      case OpKind::munlockall: res = value_or_error(sys_munlockall(mm)); break;
      case OpKind::madvise:
        res = value_or_error(sys_madvise(mm, addr, len, static_cast<std::uint64_t>(op.flags)));
        break;
      case OpKind::brk: res = value_or_error(sys_brk(mm, addr)); break;
      case OpKind::touch: {
        const AccessKind a = op.access == trace::Access::write  ? AccessKind::write
                             : op.access == trace::Access::exec ? AccessKind::exec
                                                                : AccessKind::read;
        res.kind = OpResult::Kind::touch;
        res.touch = outcome_of(touch(mm, addr, a));
        break;
      }
      case OpKind::heap:
        mm.start_brk = mm.brk = addr;
        break;
      case OpKind::rlimit: {
        Rlimits& r = mm.cfg.rlimits;
        const std::uint64_t v = op.rlimit_value;
        switch (op.rlimit) {
          case trace::Rlimit::as: r.as = v; break;
          case trace::Rlimit::data: r.data = v; break;
          case trace::Rlimit::memlock: r.memlock = v; break;
          case trace::Rlimit::stack: r.stack = v; break;
        }
        break;
      }
      case OpKind::expect_maps:
        if (op.maps >= 0) run.obs.snapshots[static_cast<std::size_t>(op.maps)] = observe_maps(mm);
        break;
    }
    run.obs.results[i] = res;
    if (op.bind >= 0) bindings[static_cast<std::size_t>(op.bind)] = res.raw();
    if (opts.narrate) run.events[i] = std::exchange(events, {});
    if (opts.validate) {
      for (const Violation& v : validate_mm(mm))
        run.violations.push_back("after line " + std::to_string(op.loc.line) + ": " + v.what);
    }
  }
  run.obs.final = observe_maps(mm);
  run.final_maps = render_maps(mm);
  return run;
}

}  // namespace mmspec::conformance
