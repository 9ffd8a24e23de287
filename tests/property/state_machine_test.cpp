// RapidCheck state-machine properties of the model against the page-level oracle
// (docs/testing.md). One command type draws every operation the model supports: mmap in
// every mode (MAP_FIXED over whatever is there, MAP_FIXED_NOREPLACE, with a hint, without),
// anonymous private/shared/droppable and file mappings with their flags, munmap, mprotect
// (also PROT_GROWSDOWN and bad arguments), mremap (shrink, growth in place, MREMAP_MAYMOVE,
// MREMAP_FIXED), brk once a heap is set up, and touch. Addresses
// favour the ends of what is mapped (and the pages next to them) and a 64-page window right
// below [vvar], where hint-less mappings land too; lengths are 1-8 pages; files have a few
// pages. After every command the harness checks the properties (harness.hpp).
//
// The default run: 2,000 cases of up to 50 commands per profile, fixed seed (override with
// RC_PARAMS="seed=... max_success=... max_size=..."); it prints the coverage table and
// fails if a vma_merge case 1..8 was never reached. A failure prints the shrunk command
// sequence as a .mmt trace (also written to property-failure-<profile>.mmt in the working
// directory) that `mmspec run` replays.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "harness.hpp"
#include "mmspec/expect.hpp"
#include "mmspec/model_runner.hpp"
#include "mmspec/trace.hpp"

namespace mmspec::prop {
namespace {

constexpr Addr P = PAGE_SIZE;

// What the generators know: the oracle run on the commands so far (its page map tells where
// mappings end), and whether the heap was set up.
struct GenModel {
  const CaseSetup* setup = nullptr;
  oracle::PageOracle oracle;
  bool heap = false;

  // Addresses in the trace window where a run of identical pages starts or ends (special
  // mappings left out: gen_page aims at them on its own), and the mapped pages there.
  void scan(std::vector<Addr>& edges, std::vector<Addr>& mapped) const {
    const oracle::PageState* prev = nullptr;
    PageNo prev_p = 0;
    const Addr lo = setup->window, hi = setup->top;
    auto edge = [&](Addr a) {
      if (a >= lo && a <= hi) edges.push_back(a);
    };
    for (const auto& [p, s] : oracle.pages()) {
      if (s.backing == oracle::Backing::special) continue;
      const Addr a = p << PAGE_SHIFT;
      const bool joins = prev && prev_p + 1 == p && prev->flags == s.flags &&
                         prev->backing == s.backing && prev->object == s.object &&
                         prev->index + 1 == s.index;
      if (!joins) {
        if (prev) edge((prev_p + 1) * P);
        edge(a);
      }
      if (a >= lo && a < hi) mapped.push_back(a);
      prev = &s;
      prev_p = p;
    }
    if (prev) edge((prev_p + 1) * P);
    std::sort(edges.begin(), edges.end());
    edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  }
};

// Set by the harness step that failed last: the last failing run is the shrunk one.
std::string g_failure_trace;

// Uniform in [lo, hi), whatever the case's size (rc::gen::inRange scales its range with the
// size; the size here only sets how many commands a case has). Shrinks towards lo.
template <class T>
T uniform(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi));
}

bool chance(int pct) { return uniform(0, 100) >= 100 - pct; }  // shrinks to false

// A page address: mostly where something is mapped or ends (and the pages next to it), else
// anywhere in the 64-page window, now and then the special mappings or below the window.
Addr gen_page(const GenModel& m, bool on_mapped = false) {
  const CaseSetup& s = *m.setup;
  std::vector<Addr> edges, mapped;
  m.scan(edges, mapped);
  const int where = on_mapped ? *rc::gen::weightedElement<int>({{12, 1}, {44, 0}, {38, 3}, {6, 2}})
                              : *rc::gen::weightedElement<int>({{24, 1}, {44, 0}, {24, 3}, {8, 2}});
  if (where == 0 && !edges.empty()) {
    const Addr e = *rc::gen::elementOf(edges);
    const int d = *rc::gen::weightedElement<int>({{6, 0}, {3, -1}, {3, 1}, {1, -2}, {1, 2}});
    return e + static_cast<Addr>(static_cast<std::int64_t>(d) * static_cast<std::int64_t>(P));
  }
  if (where == 3 && !mapped.empty()) return *rc::gen::elementOf(mapped);
  if (where == 2) {
    const int k = uniform(0, 3);
    if (k == 0) return s.top + uniform<Addr>(0, 9) * P;   // the special mappings
    if (k == 1) return s.gen_lo - uniform<Addr>(1, 65) * P;  // where hint-less mappings go next
    return s.window + uniform<Addr>(0, 32) * P;            // far below: room for stack growth
  }
  return s.gen_lo + uniform<Addr>(0, 65) * P;
}

std::uint64_t gen_len() {
  const int k = *rc::gen::weightedElement<int>({{90, 0}, {5, 1}, {3, 2}, {2, 3}});
  switch (k) {
    case 1: return uniform<std::uint64_t>(1, 9) * P - uniform<std::uint64_t>(1, P);
    case 2: return 0;
    case 3: return uniform<std::uint64_t>(9, 17) * P;
    default: return uniform<std::uint64_t>(1, 9) * P;
  }
}

std::uint64_t gen_prot() {
  return *rc::gen::element<std::uint64_t>(PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
                                          PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
                                          PROT_READ | PROT_WRITE | PROT_EXEC);
}

Op gen_mmap(const GenModel& m) {
  Op op;
  op.kind = Op::Kind::mmap;
  enum { fixed, noreplace, hint, none };
  const int mode = *rc::gen::weightedElement<int>({{5, fixed}, {2, noreplace}, {2, hint}, {3, none}});
  enum { anon, shared_anon, droppable, file, odd };
  const int what = *rc::gen::weightedElement<int>({{12, anon}, {3, shared_anon}, {1, droppable}, {5, file}, {1, odd}});
  op.prot = gen_prot();
  op.len = gen_len();
  switch (what) {
    case anon: op.flags = MAP_PRIVATE | MAP_ANONYMOUS; break;
    case shared_anon: op.flags = MAP_SHARED | MAP_ANONYMOUS; break;
    case droppable: op.flags = MAP_DROPPABLE | MAP_ANONYMOUS; break;
    case file: {
      op.flags = *rc::gen::weightedElement<std::uint64_t>({{6, MAP_PRIVATE}, {3, MAP_SHARED}, {2, MAP_SHARED_VALIDATE}});
      op.fd = *rc::gen::weightedElement<std::int64_t>({{6, 1}, {2, 2}, {2, 3}, {1, 4}});
      op.off = uniform<std::uint64_t>(0, 6) * P;
      if (op.flags == MAP_SHARED_VALIDATE && chance(30))  // flags beyond the legacy mask or not
        op.flags |= *rc::gen::element<std::uint64_t>(MAP_32BIT, MAP_ABOVE4G, MAP_SYNC,
                                                     std::uint64_t{21} << 26, MAP_FIXED_NOREPLACE);
      break;
    }
    default: {
      const int k = uniform(0, 6);
      op.flags = MAP_PRIVATE | MAP_ANONYMOUS;
      if (k == 0) op.flags = MAP_ANONYMOUS;                                // no map type: EINVAL
      if (k == 1) op.flags = MAP_SHARED_VALIDATE | MAP_ANONYMOUS;          // EINVAL for anon
      if (k == 2) op.flags = MAP_PRIVATE, op.fd = -1;                      // EBADF
      if (k == 3) op.flags = MAP_PRIVATE, op.fd = 1, op.off = uniform<std::uint64_t>(1, P);  // EINVAL
      if (k == 4) op.flags |= MAP_HUGETLB;                                 // no huge pages
      if (k == 5) op.flags = MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN;   // EINVAL
      break;
    }
  }
  if (what == anon || what == droppable) {
    if (chance(8)) op.flags |= MAP_GROWSDOWN;
  }
  if (chance(8)) op.flags |= MAP_STACK;
  if (chance(12)) op.flags |= MAP_NORESERVE;
  if (chance(4)) op.flags |= MAP_LOCKED;
  if (chance(6)) op.flags |= chance(30) ? (MAP_POPULATE | MAP_NONBLOCK) : MAP_POPULATE;
  if (chance(2)) op.flags |= MAP_SYNC;
  switch (mode) {
    case fixed: op.flags |= MAP_FIXED; break;
    case noreplace: op.flags |= MAP_FIXED_NOREPLACE; break;
    default: break;
  }
  if (mode == fixed || mode == noreplace || mode == hint) {
    op.addr = gen_page(m);
    if (chance(2)) op.addr += uniform<Addr>(1, P);
  } else if (chance(4)) {
    op.flags |= MAP_32BIT;
  }
  return op;
}

// mremap: the old range starts on a mapped page (or an edge), and often runs to the end of
// its run of pages so that growth in place is possible; shrink, grow or keep the length;
// no flags, MREMAP_MAYMOVE, or MREMAP_FIXED to an address biased to the ends of mappings.
Op gen_mremap(const GenModel& m) {
  Op op;
  op.kind = Op::Kind::mremap;
  op.addr = gen_page(m, true);
  if (chance(2)) op.addr += uniform<Addr>(1, P);
  op.len = gen_len();
  if (chance(45)) {
    std::vector<Addr> edges, mapped;
    m.scan(edges, mapped);
    auto up = std::upper_bound(edges.begin(), edges.end(), op.addr);
    if (up != edges.end() && *up - op.addr <= 16 * P) op.len = *up - op.addr;
  }
  const std::uint64_t old_pages = page_align(op.len) / P;
  enum { grow, shrink, same };
  const int size = *rc::gen::weightedElement<int>({{50, grow}, {30, shrink}, {20, same}});
  if (size == grow || old_pages == 0) op.new_len = (old_pages + uniform<std::uint64_t>(1, 5)) * P;
  else if (size == shrink && old_pages > 1) op.new_len = uniform<std::uint64_t>(1, old_pages) * P;
  else op.new_len = old_pages * P;
  if (chance(3)) op.new_len -= uniform<std::uint64_t>(1, P);  // not page aligned: rounded up
  if (chance(2)) op.new_len = 0;
  op.flags = *rc::gen::weightedElement<std::uint64_t>(
      {{35, 0}, {40, MREMAP_MAYMOVE}, {22, MREMAP_MAYMOVE | MREMAP_FIXED}, {3, MREMAP_FIXED}});
  if (op.flags & MREMAP_FIXED) {
    op.new_addr = gen_page(m);
    if (chance(3)) op.new_addr += uniform<Addr>(1, P);
  }
  return op;
}

Op gen_op(const GenModel& m) {
  enum { k_mmap, k_munmap, k_mprotect, k_touch, k_brk, k_heap, k_mremap };
  const int kind = m.heap ? *rc::gen::weightedElement<int>({{35, k_mmap}, {14, k_munmap}, {25, k_mprotect}, {16, k_touch}, {8, k_brk}, {12, k_mremap}})
                          : *rc::gen::weightedElement<int>({{35, k_mmap}, {14, k_munmap}, {25, k_mprotect}, {16, k_touch}, {4, k_heap}, {12, k_mremap}});
  Op op;
  switch (kind) {
    case k_mmap: return gen_mmap(m);
    case k_mremap: return gen_mremap(m);
    case k_munmap:
      op.kind = Op::Kind::munmap;
      op.addr = gen_page(m);
      if (chance(2)) op.addr += uniform<Addr>(1, P);
      op.len = gen_len();
      return op;
    case k_mprotect: {
      op.kind = Op::Kind::mprotect;
      op.addr = gen_page(m, true);
      if (chance(2)) op.addr += uniform<Addr>(1, P);
      op.len = gen_len();
      op.prot = gen_prot();
      const int extra = *rc::gen::weightedElement<int>({{92, 0}, {4, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}});
      if (extra == 1) op.prot |= PROT_GROWSDOWN;
      if (extra == 2) op.prot |= PROT_GROWSUP;
      if (extra == 3) op.prot |= PROT_GROWSDOWN | PROT_GROWSUP;
      if (extra == 4) op.prot |= PROT_SEM;
      if (extra == 5) op.prot |= 0x10;
      return op;
    }
    case k_touch:
      op.kind = Op::Kind::touch;
      op.addr = gen_page(m, true) + uniform<Addr>(0, P);
      op.access = *rc::gen::weightedElement<AccessKind>({{3, AccessKind::read}, {4, AccessKind::write}, {1, AccessKind::exec}});
      return op;
    case k_brk: {
      op.kind = Op::Kind::brk;
      const Addr base = chance(50) ? m.oracle.brk_value() : m.oracle.start_brk();
      op.addr = base + static_cast<Addr>(uniform<std::int64_t>(-3, 20) * static_cast<std::int64_t>(P));
      if (chance(15)) op.addr += uniform<Addr>(1, P);
      return op;
    }
    default:
      op.kind = Op::Kind::heap;
      op.addr = m.setup->gen_lo + uniform<Addr>(0, 48) * P;
      if (chance(3)) op.addr += 0x10;
      return op;
  }
}

struct OpCmd final : rc::state::Command<GenModel, Harness> {
  Op op;
  const CaseSetup* setup;
  explicit OpCmd(const GenModel& m) : op(gen_op(m)), setup(m.setup) {}

  void checkPreconditions(const GenModel& m) const override {
    if (op.kind == Op::Kind::brk) RC_PRE(m.heap);
    if (op.kind == Op::Kind::heap) RC_PRE(!m.heap);
  }
  void apply(GenModel& m) const override {
    oracle::PageOracle& o = m.oracle;
    switch (op.kind) {
      case Op::Kind::mmap: o.mmap(op.addr, op.len, op.prot, op.flags, op.fd, op.off); break;
      case Op::Kind::munmap: o.munmap(op.addr, op.len); break;
      case Op::Kind::mprotect: o.mprotect(op.addr, op.len, op.prot); break;
      case Op::Kind::brk: o.brk(op.addr); break;
      case Op::Kind::touch: o.touch(op.addr, op.access); break;
      case Op::Kind::heap: o.set_heap(op.addr), m.heap = true; break;
      case Op::Kind::mremap: o.mremap(op.addr, op.len, op.new_len, op.flags, op.new_addr); break;
    }
  }
  void run(const GenModel&, Harness& h) const override {
    std::string failure;
    try {
      failure = h.step(op);
    } catch (const std::exception& e) {
      failure = std::string("exception from the model: ") + e.what();
    }
    if (!failure.empty()) {
      g_failure_trace = h.trace_text(failure);
      RC_FAIL(failure);
    }
  }
  void show(std::ostream& os) const override { os << op_line(op, *setup); }
};

struct RunResult {
  bool passed = false;
  int cases = 0;
  std::uint64_t steps = 0;
  double seconds = 0;
  std::string message;
};

// RapidCheck's parameters for this run: RC_PARAMS wins; otherwise the CI defaults.
rc::detail::TestParams params(int max_success, std::uint64_t seed) {
  rc::detail::TestParams p = rc::detail::configuration().testParams;
  const char* env = std::getenv("RC_PARAMS");
  const std::string e = env ? env : "";
  if (e.find("max_success") == std::string::npos) p.maxSuccess = max_success;
  // Commands::count = random % (size + 1) + 1: size 49 gives sequences of up to 50 commands.
  if (e.find("max_size") == std::string::npos) p.maxSize = 49;
  if (e.find("seed") == std::string::npos) p.seed = seed;
  return p;
}

RunResult run(const CaseSetup& setup, Coverage& cov, const rc::detail::TestParams& p, bool perturb) {
  GenModel initial;
  initial.setup = &setup;
  initial.oracle = oracle::PageOracle::of(make_process(setup));
  int cases = 0;
  g_failure_trace.clear();
  const auto t0 = std::chrono::steady_clock::now();
  const auto result = rc::detail::checkTestable(
      [&] {
        ++cases;
        Harness h(setup, &cov, perturb);
        rc::state::check(initial, h, rc::state::gen::execOneOfWithArgs<OpCmd>());
      },
      rc::detail::TestMetadata{}, p);
  RunResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cases = cases;
  r.steps = cov.steps;
  r.passed = result.template is<rc::detail::SuccessResult>();
  std::ostringstream os;
  rc::detail::printResultMessage(result, os);
  r.message = os.str();
  return r;
}

// A failure's trace must make `mmspec run` fail too: parse it and replay it on the model.
bool replay_fails(const std::string& text, std::string* report) {
  const trace::ParseResult pr = trace::parse(text, "property-failure.mmt");
  if (!pr.trace) {
    *report = "the trace does not parse: " + pr.error->str();
    return false;
  }
  conformance::ModelOptions o;
  const conformance::ModelRun run = conformance::run_model(*pr.trace, o);
  const auto mism = conformance::check_expectations(*pr.trace, run.obs, profile_name(run.profile));
  for (const auto& m : mism) *report += "  line " + std::to_string(m.loc.line) + ": " + m.what + "\n";
  for (const auto& v : run.violations) *report += "  invariant: " + v + "\n";
  return !mism.empty() || !run.violations.empty();
}

void property(Profile profile, std::uint64_t seed) {
  const CaseSetup setup = make_setup(profile);
  Coverage cov;
  const rc::detail::TestParams p = params(2000, seed);
  const RunResult r = run(setup, cov, p, false);
  const std::string name(profile_name(profile));
  std::cout << name << ": " << r.cases << " cases (max_success " << p.maxSuccess << ", up to "
            << p.maxSize + 1 << " commands, seed " << p.seed << ") in " << r.seconds << " s: "
            << static_cast<int>(r.cases / r.seconds) << " cases/s, "
            << static_cast<int>(static_cast<double>(r.steps) / r.seconds) << " steps/s\n";
  cov.print(std::cout, name);
  if (!r.passed) {
    std::string why;
    const bool reproduces = !g_failure_trace.empty() && replay_fails(g_failure_trace, &why);
    const std::string path = (std::filesystem::current_path() / ("property-failure-" + name + ".mmt")).string();
    std::ofstream(path) << g_failure_trace;
    ADD_FAILURE() << r.message << "\nshrunk trace (" << path << "; `mmspec run` "
                  << (reproduces ? "reproduces the failure" : "does NOT reproduce it") << "):\n"
                  << g_failure_trace << why;
    return;
  }
  const std::vector<int> missing = cov.missing_merge_cases();
  if (p.maxSuccess >= 2000) {
    std::string m;
    for (int c : missing) {
      m += ' ';
      m += std::to_string(c);
    }
    EXPECT_TRUE(missing.empty()) << "vma_merge cases never reached:" << m;
  }
}

TEST(PropertyStateMachine, Linux618) { property(Profile::linux_6_18, 618); }
TEST(PropertyStateMachine, Linux510) { property(Profile::linux_5_10, 510); }
TEST(PropertyStateMachine, Linux61) { property(Profile::linux_6_1, 61); }

// Negative control: with the oracle told to ignore MAP_NORESERVE the properties must fail,
// shrink to a short sequence, and print a trace whose replay on the model fails.
TEST(PropertyStateMachine, NegativeControlIsCaughtAndReplayable) {
  const CaseSetup setup = make_setup(Profile::linux_6_18);
  Coverage cov;
  rc::detail::TestParams p = rc::detail::configuration().testParams;
  p.maxSuccess = 500;
  p.maxSize = 49;
  p.seed = 7;
  const RunResult r = run(setup, cov, p, true);
  ASSERT_FALSE(r.passed) << "a perturbed oracle went unnoticed";
  ASSERT_FALSE(g_failure_trace.empty());
  std::size_t ops = 0;
  for (std::size_t i = 0; (i = g_failure_trace.find("\nmmap ", i)) != std::string::npos; ++i) ++ops;
  EXPECT_LE(ops, 3u) << "shrinking should leave a short trace:\n" << g_failure_trace;
  std::string why;
  EXPECT_TRUE(replay_fails(g_failure_trace, &why)) << g_failure_trace;
  std::cout << "negative control caught after " << r.cases << " cases; shrunk trace:\n"
            << g_failure_trace << "replay on the model:\n" << why;
}

}  // namespace
}  // namespace mmspec::prop
