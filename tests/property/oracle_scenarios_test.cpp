// The oracle checked against the scenario traces of tests/scenarios, whose expectations were
// verified on the live kernel (`mmspec check`): every trace is run step by step on the
// page-level oracle and on the model. Where the oracle decides a result it must equal the
// trace's expectation for the profile (when there is one) and the model's result; after every
// step the oracle's pages must equal abstraction(model); and every expect-maps block must
// hold on the oracle's pages (perms, backing, file page, VmFlags, nothing else mapped in the
// window). This is how the oracle itself is tested against Linux, independently of the model.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "mmspec/model_runner.hpp"
#include "mmspec/page_oracle.hpp"
#include "mmspec/syscalls.hpp"
#include "mmspec/trace.hpp"

#ifndef MMSPEC_SCENARIOS_DIR
#error "MMSPEC_SCENARIOS_DIR must name tests/scenarios"
#endif

namespace mmspec {
namespace {

using oracle::Backing;
using oracle::Outcome;
using oracle::PageNo;
using oracle::PageOracle;
using oracle::PageState;

struct Stats {
  int skipped = 0;
  int traces = 0, ops = 0, decided = 0, expectations = 0, blocks = 0;
  std::vector<std::string> problems;
};

std::string hexs(std::uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

std::string show(trace::OpKind k, std::int64_t v) {
  if (k == trace::OpKind::touch) return std::string(trace::touch_outcome_name(static_cast<trace::TouchOutcome>(v)));
  if (is_err(v)) return trace::errno_str(static_cast<int>(-v));
  return hexs(static_cast<std::uint64_t>(v));
}

// The oracle's pages against one expect-maps block.
void check_block(const trace::Trace& t, const trace::ExpectMaps& em, const Mm& mm,
                 const std::vector<FileId>& fds, const PageOracle& o, const trace::Env& env,
                 const std::string& where, Stats& st) {
  const Addr lo = t.has_window ? t.window : 0;
  const Addr hi = t.has_window ? t.window + t.window_size : ~Addr{0};
  std::set<PageNo> covered;
  for (const trace::MapsLine& l : em.lines) {
    const Addr s = trace::eval(l.start, env), e = trace::eval(l.end, env);
    for (Addr a = s; a < e; a += PAGE_SIZE) {
      const PageNo p = a >> PAGE_SHIFT;
      covered.insert(p);
      auto it = o.pages().find(p);
      const std::string at = where + " line " + std::to_string(l.loc.line) + " page " + hexs(a) + ": ";
      if (it == o.pages().end()) {
        st.problems.push_back(at + "the oracle has it unmapped");
        break;
      }
      const PageState& ps = it->second;
      const char perms[4] = {(ps.flags & VM_READ) ? 'r' : '-', (ps.flags & VM_WRITE) ? 'w' : '-',
                             (ps.flags & VM_EXEC) ? 'x' : '-', (ps.flags & VM_MAYSHARE) ? 's' : 'p'};
      bool ok = std::equal(perms, perms + 4, l.perms);
      switch (l.what) {
        case trace::MapsLine::What::anon: ok = ok && ps.backing == Backing::anon; break;
        case trace::MapsLine::What::shmem: ok = ok && ps.backing == Backing::shmem; break;
        case trace::MapsLine::What::named:
          if (l.name == "[heap]" || l.name == "[stack]") ok = ok && ps.backing == Backing::anon;
          else ok = ok && ps.backing == Backing::special;
          break;
        case trace::MapsLine::What::file: {
          const OpenFile* want = mm.world->file(fds[static_cast<std::size_t>(l.file)]);
          const OpenFile* have = ps.backing == Backing::file ? mm.world->file(static_cast<FileId>(ps.object)) : nullptr;
          ok = ok && have && want && have->inode == want->inode &&
               ps.index == l.pgoff + ((a - s) >> PAGE_SHIFT);
          break;
        }
      }
      for (const std::string& f : l.flags_present) ok = ok && (ps.flags & vm_flag_from_mnemonic(f));
      for (const std::string& f : l.flags_absent) ok = ok && !(ps.flags & vm_flag_from_mnemonic(f));
      if (!ok) {
        st.problems.push_back(at + "expected " + trace::format_maps_line(l, t) + ", the oracle has " + oracle::describe(ps));
        break;
      }
    }
  }
  for (auto it = o.pages().lower_bound(lo >> PAGE_SHIFT); it != o.pages().end() && (it->first << PAGE_SHIFT) < hi; ++it) {
    if (covered.count(it->first)) continue;
    st.problems.push_back(where + ": page " + hexs(it->first << PAGE_SHIFT) + " is mapped in the oracle (" +
                          oracle::describe(it->second) + ") but in no line of the block");
    break;
  }
  st.blocks++;
}

void run_trace(const std::string& path, const trace::Trace& t, Profile profile, Stats& st) {
  st.traces++;
  MmConfig cfg;
  cfg.profile = profile;
  Mm mm = conformance::default_process(cfg);
  const std::vector<FileId> fds = conformance::open_trace_files(mm, t);  // as `mmspec run` does
  PageOracle o = PageOracle::of(mm);
  oracle::ObjectMatch ids;
  const std::string pname(profile_name(profile));
  std::vector<std::uint64_t> bindings(t.bindings.size(), 0);
  for (const trace::Op& op : t.ops) {
    const trace::Env env{t.window, bindings.data(), bindings.size()};
    const std::string where = path + ":" + std::to_string(op.loc.line);
    const Addr addr = trace::eval(op.addr, env);
    const std::uint64_t len = trace::eval(op.len, env);
    Outcome out{true, 0, "set-up"};
    SysRet r = 0;
    bool result_op = true;
    switch (op.kind) {
      case trace::OpKind::mmap: {
        std::int64_t fd = -1;
        if (op.file >= 0 && !op.bad_fd) fd = fds[static_cast<std::size_t>(op.file)];
        const std::uint64_t off = trace::eval(op.offset, env);
        out = o.mmap(addr, len, static_cast<std::uint64_t>(op.prot), static_cast<std::uint64_t>(op.flags), fd, off);
        r = sys_mmap(mm, addr, len, static_cast<std::uint64_t>(op.prot), static_cast<std::uint64_t>(op.flags), fd, off);
        break;
      }
      case trace::OpKind::munmap: out = o.munmap(addr, len), r = sys_munmap(mm, addr, len); break;
      case trace::OpKind::mprotect:
        out = o.mprotect(addr, len, static_cast<std::uint64_t>(op.prot));
        if (out.decided && !oracle::assumption_holds(mm, out)) out.decided = false;
        r = sys_mprotect(mm, addr, len, static_cast<std::uint64_t>(op.prot));
        break;
      case trace::OpKind::brk: out = o.brk(addr), r = sys_brk(mm, addr); break;
      case trace::OpKind::touch: {
        const AccessKind a = op.access == trace::Access::write  ? AccessKind::write
                             : op.access == trace::Access::exec ? AccessKind::exec
                                                                : AccessKind::read;
        out = o.touch(addr, a);
        r = static_cast<SysRet>(touch(mm, addr, a));
        break;
      }
      case trace::OpKind::heap:
        mm.start_brk = mm.brk = addr;
        o.set_heap(addr);
        result_op = false;
        break;
      case trace::OpKind::rlimit: {
        Rlimits& rl = mm.cfg.rlimits;
        switch (op.rlimit) {
          case trace::Rlimit::as: rl.as = op.rlimit_value; break;
          case trace::Rlimit::data: rl.data = op.rlimit_value; break;
          case trace::Rlimit::memlock: rl.memlock = op.rlimit_value; break;
          case trace::Rlimit::stack: rl.stack = op.rlimit_value; break;
        }
        o.set_config(oracle::config_of(mm));
        result_op = false;
        break;
      }
      case trace::OpKind::mremap: {
        const std::uint64_t new_len = trace::eval(op.new_len, env);
        const Addr new_addr = trace::eval(op.new_addr, env);
        const auto flags = static_cast<std::uint64_t>(op.flags);
        out = o.mremap(addr, len, new_len, flags, new_addr);
        if (out.decided && !oracle::assumption_holds(mm, out)) out.decided = false;
        r = sys_mremap(mm, addr, len, new_len, flags, new_addr);
        break;
      }
      case trace::OpKind::mlock:
      case trace::OpKind::munlock:
      case trace::OpKind::mlockall:
      case trace::OpKind::munlockall:
      case trace::OpKind::madvise:
        // The oracle has no rules for mlock or madvise yet: the model runs, and the oracle starts again
        // from the state the model reached.
        r = op.kind == trace::OpKind::mlock
                ? sys_mlock2(mm, addr, len, static_cast<std::uint64_t>(op.flags))
            : op.kind == trace::OpKind::munlock  ? sys_munlock(mm, addr, len)
            : op.kind == trace::OpKind::mlockall ? sys_mlockall(mm, static_cast<std::uint64_t>(op.flags))
            : op.kind == trace::OpKind::madvise  ? sys_madvise(mm, addr, len, static_cast<std::uint64_t>(op.flags))
                                                 : sys_munlockall(mm);
        out = Outcome{false, 0, "mlock is outside the oracle"};
        o = PageOracle::of(mm);
        break;
      case trace::OpKind::expect_maps: {
        const trace::ExpectMaps& em = t.maps[static_cast<std::size_t>(op.maps)];
        if (!em.profiles || trace::mask_includes(em.profiles, pname)) check_block(t, em, mm, fds, o, env, where, st);
        continue;
      }
    }
    if (op.bind >= 0) bindings[static_cast<std::size_t>(op.bind)] = static_cast<std::uint64_t>(r);
    if (!result_op) continue;
    st.ops++;
    if (out.decided) {
      st.decided++;
      if (out.value != r)
        st.problems.push_back(where + ": the oracle decides " + show(op.kind, out.value) + " (" + out.why +
                              "), the model returns " + show(op.kind, r));
      for (const trace::Expect& x : op.expect) {
        if (x.profiles && !trace::mask_includes(x.profiles, pname)) continue;
        std::int64_t want = 0;
        switch (x.kind) {
          case trace::Expect::Kind::value: want = static_cast<std::int64_t>(trace::eval(x.value, env)); break;
          case trace::Expect::Kind::error: want = -x.errnum; break;
          case trace::Expect::Kind::touch: want = static_cast<std::int64_t>(x.touch); break;
        }
        st.expectations++;
        if (want != out.value)
          st.problems.push_back(where + ": the oracle decides " + show(op.kind, out.value) + " (" + out.why +
                                "), the trace expects " + show(op.kind, want));
      }
      const oracle::PageMap model = oracle::abstraction(mm);
      for (const std::string& d : oracle::compare(o.pages(), model, ids, 2)) st.problems.push_back(where + ": " + d);
      oracle::adopt_observed(o.pages(), model);
    } else {
      if (mm.total_vm > o.config().max_map_pages) {  // too large for a page map: give up here
        st.skipped++;
        return;
      }
      o.resync(mm, ids);
    }
  }
}

TEST(OracleScenarios, AgreesWithTheLiveCheckedScenarios) {
  Stats st;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(MMSPEC_SCENARIOS_DIR))
    if (e.path().extension() == ".mmt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    const trace::ParseResult pr = trace::parse(ss.str(), f.string());
    ASSERT_TRUE(pr.trace) << pr.error->str();
    const std::optional<Profile> p = conformance::trace_profile(*pr.trace, std::nullopt);
    if (!p) continue;
    run_trace(std::filesystem::relative(f, MMSPEC_SCENARIOS_DIR).string(), *pr.trace, *p, st);
  }
  std::cout << "oracle vs scenarios: " << st.traces << " traces (" << st.skipped
            << " left early: mappings too large for a page map), " << st.ops << " operations, "
            << st.decided << " decided by the oracle; " << st.expectations
            << " kernel-verified results and " << st.blocks << " expect-maps blocks checked\n";
  std::string all;
  for (const std::string& p : st.problems) all += "  " + p + "\n";
  EXPECT_TRUE(st.problems.empty()) << st.problems.size() << " disagreements:\n" << all;
}

}  // namespace
}  // namespace mmspec
