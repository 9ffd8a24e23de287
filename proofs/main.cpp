// mmspec-prove: runs every proof and its negative control (see prover.hpp and docs/proofs.md).
//
//   mmspec-prove [--jobs N] [--timeout SECONDS] [--filter TEXT] [--list]
//
// Prints, for each proof, its name, the model functions it instantiates, proved / refuted and
// the time, then the control and the counterexample Z3 found for it. Exit status 0 only when
// every proof is proved, every control refuted and every cross-check agrees; a query that runs
// into the per-query timeout counts as a failure ("unknown"), so a slow query fails loudly.
//
// Each query "hyp => goal" is decided by asking Z3 for a model of hyp && !goal: first on an
// exact translation to linear integer arithmetic (bv2int.hpp), which Z3 decides in
// milliseconds where bit-blasting the same 64-bit formula can take minutes; then, when the
// translation does not apply (or, unlikely, gives no answer in time), on the bit-vectors
// themselves. A counterexample is evaluated on the original bit-vector formulas before it is
// reported. Units (a proof, a control) run on --jobs threads, each in a Z3 context of its own.
//
// Debugging: MMSPEC_PROVE_VERBOSE=1 prints every query with its time and engine to stderr;
// MMSPEC_PROVE_DUMP=TEXT prints the SMT-LIB of the queries whose label contains TEXT.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bv2int.hpp"
#include "prover.hpp"

namespace mmspec::proofs {

expr Sym::scaled_below(const expr& a, unsigned shift, unsigned bits) {
  const std::uint64_t low = (std::uint64_t{1} << shift) - 1;
  const std::uint64_t limit = std::uint64_t{1} << (bits + shift);
  return (a & lit(low)) == lit(0) && z3::ult(a, lit(limit));
}

expr Sym::all(const std::vector<expr>& v) {
  expr r = tt();
  for (const expr& e : v) r = r && e;
  return r;
}

expr Sym::any(const std::vector<expr>& v) {
  expr r = ff();
  for (const expr& e : v) r = r || e;
  return r;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

enum class Verdict { proved, refuted, unknown, error };

const char* verdict_text(Verdict v) {
  switch (v) {
    case Verdict::proved: return "proved";
    case Verdict::refuted: return "refuted";
    case Verdict::unknown: return "UNKNOWN";
    case Verdict::error: return "ERROR";
  }
  return "?";
}

struct UnitResult {
  Verdict verdict = Verdict::error;
  double seconds = 0;
  std::size_t queries = 0;
  double slowest = 0;
  std::string detail;  // counterexample, reason for unknown, or error text
};

// The uninterpreted constants of a term (the proof's symbolic inputs), in name order.
void collect_constants(const expr& e, std::unordered_set<unsigned>& seen,
                       std::map<std::string, expr>& out) {
  if (!seen.insert(e.id()).second) return;
  if (e.is_app()) {
    const z3::func_decl d = e.decl();
    if (e.num_args() == 0 && d.decl_kind() == Z3_OP_UNINTERPRETED) {
      out.emplace(d.name().str(), e);
      return;
    }
    for (unsigned i = 0; i < e.num_args(); ++i) collect_constants(e.arg(i), seen, out);
  } else if (e.is_quantifier()) {
    collect_constants(e.body(), seen, out);
  }
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// The values of a query's constants in a counterexample: Z3 bit-vector / boolean numerals.
using Values = std::map<std::string, std::pair<expr, expr>>;  // name -> (constant, value)

std::map<std::string, expr> constants_of(const Query& q) {
  std::unordered_set<unsigned> seen;
  std::map<std::string, expr> consts;
  collect_constants(q.hyp, seen, consts);
  collect_constants(q.goal, seen, consts);
  return consts;
}

// A counterexample is only reported when it refutes the original formulas: hyp true, goal
// false, evaluated on the values by Z3's simplifier.
bool refutes(const Query& q, const Values& vals) {
  z3::context& c = q.hyp.ctx();
  z3::expr_vector from(c), to(c);
  for (const auto& [name, cv] : vals) {
    from.push_back(cv.first);
    to.push_back(cv.second);
  }
  expr h = q.hyp, g = q.goal;
  return h.substitute(from, to).simplify().is_true() && g.substitute(from, to).simplify().is_false();
}

std::string render(const Values& vals) {
  std::ostringstream out;
  std::size_t col = 0;
  for (const auto& [name, cv] : vals) {
    std::string item = name + "=";
    const expr& v = cv.second;
    std::uint64_t u = 0;
    if (v.is_bool())
      item += v.is_true() ? "true" : "false";
    else if (v.is_numeral_u64(u))
      item += hex(u);
    else
      item += v.to_string();
    if (col && col + item.size() + 1 > 96) {
      out << "\n";
      col = 0;
    }
    out << (col ? " " : "        ") << item;
    col += item.size() + (col ? 1 : 8);
  }
  return out.str();
}

struct Options {
  unsigned jobs = 0;
  unsigned timeout_s = 30;
  std::string filter;
  bool list = false;
};

const bool kVerbose = std::getenv("MMSPEC_PROVE_VERBOSE") != nullptr;

enum class Answer { unsat, sat, unknown };

struct Attempt {
  Answer answer = Answer::unknown;
  Values values;       // when sat
  std::string reason;  // when unknown
  const char* engine = "";
};

// Engine 1: the exact translation to linear integer arithmetic (bv2int.hpp).
Attempt try_lia(const Query& q, unsigned timeout_ms) {
  Attempt a;
  a.engine = "lia";
  z3::context& c = q.hyp.ctx();
  Bv2Int b(c);
  expr h = c.bool_val(true), g = c.bool_val(true);
  try {
    h = b.translate(q.hyp);
    g = b.translate(q.goal);
  } catch (const Bv2Int::Unsupported& e) {
    a.reason = std::string("not linear: ") + e.what();
    return a;
  }
  z3::solver solver(c);
  z3::params p(c);
  p.set("timeout", timeout_ms);
  solver.set(p);
  solver.add(b.ranges());
  solver.add(h);
  solver.add(!g);
  const z3::check_result r = solver.check();
  if (r == z3::unsat) {
    a.answer = Answer::unsat;
  } else if (r == z3::sat) {
    const z3::model m = solver.get_model();
    for (const auto& [name, k] : constants_of(q)) {
      if (k.is_bool()) {
        a.values.emplace(name, std::make_pair(k, m.eval(k, true)));
      } else {
        const auto it = b.variables().find(k.id());
        std::uint64_t u = 0;
        if (it != b.variables().end()) m.eval(it->second, true).is_numeral_u64(u);
        a.values.emplace(name, std::make_pair(k, c.bv_val(u, k.get_sort().bv_size())));
      }
    }
    if (refutes(q, a.values))
      a.answer = Answer::sat;
    else
      a.reason = "integer model does not refute the bit-vector formulas";
  } else {
    a.reason = "lia: " + solver.reason_unknown();
  }
  return a;
}

bool has_uninterpreted_functions(const expr& e, std::unordered_set<unsigned>& seen) {
  if (!seen.insert(e.id()).second) return false;
  if (e.is_app()) {
    if (e.num_args() > 0 && e.decl().decl_kind() == Z3_OP_UNINTERPRETED) return true;
    for (unsigned i = 0; i < e.num_args(); ++i)
      if (has_uninterpreted_functions(e.arg(i), seen)) return true;
  }
  return false;
}

// Engine 2: bit-vectors. The QF_BV tactic after a round of word-level preprocessing
// (simplify, propagate-values, solve-eqs, simplify), which substitutes equalities between
// addresses and pgoffs before anything is bit-blasted. Queries with uninterpreted functions
// (1a) use Z3's default solver.
Attempt try_bv(const Query& q, unsigned timeout_ms) {
  Attempt a;
  a.engine = "bv";
  z3::context& c = q.hyp.ctx();
  std::unordered_set<unsigned> seen;
  const bool uf = has_uninterpreted_functions(q.hyp, seen) || has_uninterpreted_functions(q.goal, seen);
  z3::solver solver = uf ? z3::solver(c)
                         : (z3::tactic(c, "simplify") & z3::tactic(c, "propagate-values") &
                            z3::tactic(c, "solve-eqs") & z3::tactic(c, "simplify") &
                            z3::tactic(c, "qfbv"))
                               .mk_solver();
  z3::params p(c);
  p.set("timeout", timeout_ms);
  solver.set(p);
  solver.add(q.hyp);
  solver.add(!q.goal);
  const z3::check_result r = solver.check();
  if (r == z3::unsat) {
    a.answer = Answer::unsat;
  } else if (r == z3::sat) {
    const z3::model m = solver.get_model();
    for (const auto& [name, k] : constants_of(q)) a.values.emplace(name, std::make_pair(k, m.eval(k, true)));
    if (uf || refutes(q, a.values))  // (with functions in it the substitution cannot decide)
      a.answer = Answer::sat;
    else
      a.reason = "model does not refute the original formulas";
    if (uf) {
      // Uninterpreted functions (the membership predicates of 1a), briefly.
      for (unsigned i = 0; i < m.num_funcs(); ++i) {
        const z3::func_decl f = m.get_func_decl(i);
        const expr fv = m.get_func_interp(f).else_value();
        a.values.emplace(f.name().str() + "(else)", std::make_pair(fv, fv));
      }
    }
  } else {
    a.reason = "bv: " + solver.reason_unknown();
  }
  return a;
}

Attempt solve(const Query& q, unsigned timeout_ms) {
  if (q.bv_only) return try_bv(q, timeout_ms);
  Attempt a = try_lia(q, timeout_ms);
  if (a.answer != Answer::unknown) return a;
  const std::string lia_reason = a.reason;
  a = try_bv(q, timeout_ms);
  if (a.answer == Answer::unknown) a.reason = lia_reason + "; " + a.reason;
  return a;
}

// Runs the queries of one proof (expect_valid) or one control (!expect_valid) in a context of
// its own, so that units can run on several threads.
UnitResult run_unit(const Builder& build, bool expect_valid, unsigned timeout_ms) {
  UnitResult r;
  const auto t0 = Clock::now();
  try {
    z3::context c;
    Sym s(c);
    const std::vector<Query> queries = build(s);
    bool any_unknown = false;
    std::string unknown_reason;
    for (const Query& q : queries) {
      const auto tq = Clock::now();
      const Attempt a = solve(q, timeout_ms);
      const double dt = seconds_since(tq);
      if (const char* d = std::getenv("MMSPEC_PROVE_DUMP"); d && q.label.find(d) != std::string::npos) {
        z3::solver dump(c);
        dump.add(q.hyp);
        dump.add(!q.goal);
        std::fprintf(stderr, "%s\n", dump.to_smt2().c_str());
      }
      if (kVerbose)
        std::fprintf(stderr, "  %.3f s %-7s %-3s %s%s\n", dt,
                     a.answer == Answer::unsat ? "unsat" : a.answer == Answer::sat ? "sat" : "unknown",
                     a.engine, q.label.c_str(), a.answer == Answer::unknown ? (" (" + a.reason + ")").c_str() : "");
      ++r.queries;
      r.slowest = std::max(r.slowest, dt);
      if (q.expect_sat && a.answer != Answer::unknown) {
        if (a.answer == Answer::sat) continue;  // consistent, as it must be
        r.verdict = Verdict::error;
        r.detail = "      " + q.label + ": assumptions contradictory, the proof would be vacuous";
        r.seconds = seconds_since(t0);
        return r;
      }
      if (a.answer == Answer::sat) {
        r.verdict = Verdict::refuted;
        r.detail = (q.label.empty() ? "" : "      in " + q.label + "\n") + render(a.values);
        break;  // one counterexample is enough
      }
      if (a.answer == Answer::unknown) {
        any_unknown = true;
        unknown_reason = (q.label.empty() ? std::string("query") : q.label) + ": " + a.reason +
                         " after " + std::to_string(dt) + " s";
        if (expect_valid) break;
      }
    }
    if (r.verdict != Verdict::refuted) {
      r.verdict = any_unknown ? Verdict::unknown : Verdict::proved;
      if (any_unknown) r.detail = unknown_reason;
    }
  } catch (const z3::exception& e) {
    r.verdict = Verdict::error;
    r.detail = std::string("z3 exception: ") + e.msg();
  } catch (const std::exception& e) {
    r.verdict = Verdict::error;
    r.detail = std::string("exception: ") + e.what();
  }
  r.seconds = seconds_since(t0);
  return r;
}

void usage() {
  std::fprintf(stderr,
               "usage: mmspec-prove [--jobs N] [--timeout SECONDS] [--filter TEXT] [--list]\n");
}

}  // namespace
}  // namespace mmspec::proofs

int main(int argc, char** argv) {
  using namespace mmspec::proofs;
  Options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mmspec-prove: %s needs a value\n", what);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--jobs" || a == "-j") {
      opt.jobs = static_cast<unsigned>(std::strtoul(value("--jobs"), nullptr, 10));
    } else if (a == "--timeout") {
      opt.timeout_s = static_cast<unsigned>(std::strtoul(value("--timeout"), nullptr, 10));
    } else if (a == "--filter") {
      opt.filter = value("--filter");
    } else if (a == "--list") {
      opt.list = true;
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  if (opt.jobs == 0) opt.jobs = std::max(1u, std::thread::hardware_concurrency());
  if (opt.timeout_s == 0) opt.timeout_s = 30;

  std::vector<Proof> proofs;
  for (auto* group : {gap_proofs, search_proofs, layout_proofs, merge_proofs, page_table_proofs})
    for (Proof& p : group())
      if (opt.filter.empty() || p.id.find(opt.filter) != std::string::npos ||
          p.name.find(opt.filter) != std::string::npos)
        proofs.push_back(std::move(p));
  std::vector<CrossCheck> checks;
  for (CrossCheck& c : cross_checks())
    if (opt.filter.empty() || c.name.find(opt.filter) != std::string::npos)
      checks.push_back(std::move(c));

  if (opt.list) {
    for (const Proof& p : proofs)
      std::printf("[%s] %s\n     model: %s\n     control: %s\n", p.id.c_str(), p.name.c_str(),
                  p.model_fn.c_str(), p.control_name.c_str());
    for (const CrossCheck& c : checks) std::printf("[x] %s\n", c.name.c_str());
    return 0;
  }

  std::printf("mmspec-prove: %zu proofs with negative controls, %zu cross-checks; %u jobs, "
              "per-query timeout %u s\n",
              proofs.size(), checks.size(), opt.jobs, opt.timeout_s);
  std::fflush(stdout);

  const auto t0 = Clock::now();
  // Units 2i (proof i) and 2i+1 (its control), run by a pool and printed in order.
  const std::size_t n_units = proofs.size() * 2;
  std::vector<UnitResult> results(n_units);
  std::vector<bool> done(n_units, false);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};
  // The slowest proofs first keeps both cores busy to the end: the search proofs are the big
  // ones, and they come second in the list.
  std::vector<std::size_t> order(n_units);
  for (std::size_t i = 0; i < n_units; ++i) order[i] = i;
  std::stable_partition(order.begin(), order.end(),
                        [&](std::size_t u) { return proofs[u / 2].id.rfind("1c", 0) == 0; });
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= n_units) return;
      const std::size_t u = order[k];
      const Proof& p = proofs[u / 2];
      const bool is_proof = u % 2 == 0;
      UnitResult r = run_unit(is_proof ? p.prove : p.control, is_proof, opt.timeout_s * 1000);
      std::lock_guard<std::mutex> lock(mu);
      results[u] = std::move(r);
      done[u] = true;
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 0; j < opt.jobs; ++j) pool.emplace_back(worker);

  int failures = 0;
  for (std::size_t i = 0; i < proofs.size(); ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return done[2 * i] && done[2 * i + 1]; });
    }
    const Proof& p = proofs[i];
    const UnitResult& pr = results[2 * i];
    const UnitResult& cr = results[2 * i + 1];
    const bool proof_ok = pr.verdict == Verdict::proved;
    const bool control_ok = cr.verdict == Verdict::refuted;
    std::printf("[%s] %-66s %-8s %7.2f s  (%zu quer%s, slowest %.2f s)%s\n", p.id.c_str(),
                p.name.c_str(), verdict_text(pr.verdict), pr.seconds, pr.queries,
                pr.queries == 1 ? "y" : "ies", pr.slowest, proof_ok ? "" : "   <-- FAIL");
    std::printf("     model: %s\n", p.model_fn.c_str());
    if (!proof_ok && !pr.detail.empty()) std::printf("%s\n", pr.detail.c_str());
    std::printf("     control: %-59s %-8s %7.2f s%s\n", p.control_name.c_str(),
                cr.verdict == Verdict::proved ? "NOT REFUTED" : verdict_text(cr.verdict),
                cr.seconds, control_ok ? "" : "   <-- FAIL (a control must be refuted)");
    if (!cr.detail.empty()) std::printf("      counterexample:\n%s\n", cr.detail.c_str());
    if (!proof_ok) ++failures;
    if (!control_ok) ++failures;
    std::fflush(stdout);
  }
  for (std::thread& t : pool) t.join();

  for (const CrossCheck& c : checks) {
    const auto tc = Clock::now();
    std::string why;
    try {
      why = c.run();
    } catch (const std::exception& e) {
      why = std::string("exception: ") + e.what();
    }
    std::printf("[x] %-68s %-8s %7.2f s\n", c.name.c_str(), why.empty() ? "agrees" : "DIFFERS",
                seconds_since(tc));
    if (!why.empty()) {
      std::printf("      %s\n", why.c_str());
      ++failures;
    }
  }

  std::printf("mmspec-prove: %zu proofs, %zu controls, %zu cross-checks, %d failure%s, %.2f s "
              "total\n",
              proofs.size(), proofs.size(), checks.size(), failures, failures == 1 ? "" : "s",
              seconds_since(t0));
  return failures ? 1 : 0;
}
