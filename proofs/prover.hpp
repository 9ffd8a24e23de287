// The little framework behind mmspec-prove: a proof is a list of Z3 queries "hyp => goal" built
// from the model's own templates (z3_ops.hpp); each is checked by asking Z3 for a model of
// hyp && !goal. unsat everywhere = proved. Every proof comes with a negative control: a
// deliberately broken variant of the model function, checked against the same kind of goal,
// for which Z3 must find a counterexample (sat), which is printed. See docs/proofs.md.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "z3_ops.hpp"

namespace mmspec::proofs {

using z3::expr;
using O = Ops<z3::expr>;

// Creates the symbolic inputs of a proof (64-bit bit-vectors and booleans) and small helpers.
class Sym {
 public:
  explicit Sym(z3::context& c) : c_(c) {}
  z3::context& ctx() { return c_; }

  expr bv(const std::string& name) { return c_.bv_const(name.c_str(), Z3_WORD_BITS); }
  expr boolean(const std::string& name) { return c_.bool_const(name.c_str()); }
  expr lit(std::uint64_t k) { return c_.bv_val(k, Z3_WORD_BITS); }
  expr tt() { return c_.bool_val(true); }
  expr ff() { return c_.bool_val(false); }

  expr page_aligned(const expr& a) { return (a & lit(4095)) == lit(0); }
  // a == k << shift for some k < 2^bits (a multiple of 2^shift below 2^(bits + shift))
  expr scaled_below(const expr& a, unsigned shift, unsigned bits);

  // Conjunction / disjunction of a list (true / false when empty).
  expr all(const std::vector<expr>& v);
  expr any(const std::vector<expr>& v);

 private:
  z3::context& c_;
};

struct Query {
  std::string label;  // which instance (e.g. "tree shape 3 of 14, 4 VMAs"); may be empty
  expr hyp;           // the assumptions
  expr goal;          // must hold whenever hyp does
  // A consistency check instead of a proof obligation: hyp && !goal must be satisfiable (used
  // with goal false, to show that a proof's assumptions are not contradictory).
  bool expect_sat = false;
  // Skip the linear-integer engine (for propositional queries, which bit-blasting decides at once).
  bool bv_only = false;
};

using Builder = std::function<std::vector<Query>(Sym&)>;

struct Proof {
  std::string id;        // "1a", "2", ...
  std::string name;      // what is proved, in a few words
  std::string model_fn;  // the model functions instantiated with z3::expr
  Builder prove;
  std::string control_name;  // the deliberately broken variant
  Builder control;
};

// A concrete cross-check of a transcription against the model's uint64_t code; returns "" when
// it agrees, else a description of the first disagreement.
struct CrossCheck {
  std::string name;
  std::function<std::string()> run;
};

std::vector<Proof> gap_proofs();        // 1a, 1b
std::vector<Proof> search_proofs();     // 1c
std::vector<Proof> layout_proofs();     // 2
std::vector<Proof> merge_proofs();      // 3, 4
std::vector<Proof> page_table_proofs(); // 5
std::vector<CrossCheck> cross_checks();

}  // namespace mmspec::proofs
