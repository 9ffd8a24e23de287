// An exact translation of 64-bit bit-vector formulas into linear integer arithmetic, used by
// mmspec-prove as its first engine (see main.cpp run_unit).
//
// Every bit-vector term t becomes an integer I(t) in [0, 2^w) with the same value: variables
// get the range constraint, + and - wrap explicitly (ite(s >= 2^w, s - 2^w, s)), shifts and
// divisions by constants become div / mod by powers of two, and with a constant mask of
// contiguous bits becomes a difference of two mods. Comparisons are the integer ones. So a
// formula and its translation have the same models (up to renaming), and unsat of one is
// unsat of the other. The translation covers what the model's templates use; anything else
// (or, xor, multiplication of two variables, uninterpreted functions, ...) throws
// Unsupported, and the runner keeps the bit-vector formula. Z3 decides these linear problems
// in milliseconds where bit-blasting needs minutes: "low + L <= gap_end, no wrap, so
// L <= gap_end - low" is an adder identity for a SAT solver but one step for the simplex.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace mmspec::proofs {

class Bv2Int {
 public:
  struct Unsupported : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  explicit Bv2Int(z3::context& c) : c_(c) {}

  // The translation of a boolean formula.
  z3::expr translate(const z3::expr& e) { return tr(e); }
  // The range constraints of the integer variables introduced so far.
  z3::expr ranges() const {
    z3::expr r = c_.bool_val(true);
    for (const z3::expr& x : ranges_) r = r && x;
    return r;
  }
  // Integer variable standing for a bit-vector constant (after translate()).
  const std::unordered_map<unsigned, z3::expr>& variables() const { return vars_; }

 private:
  z3::expr pow2(unsigned k) {
    if (k < 64) return c_.int_val(static_cast<std::uint64_t>(std::uint64_t{1} << k));
    if (k == 64) return c_.int_val("18446744073709551616");
    throw Unsupported("width above 64");
  }

  z3::expr tr(const z3::expr& e) {
    auto it = memo_.find(e.id());
    if (it != memo_.end()) return it->second;
    z3::expr r = go(e);
    memo_.emplace(e.id(), r);
    return r;
  }

  z3::expr go(const z3::expr& e) {
    if (!e.is_app()) throw Unsupported("quantifier");
    const Z3_decl_kind k = e.decl().decl_kind();
    if (e.is_bool()) {
      switch (k) {
        case Z3_OP_TRUE:
        case Z3_OP_FALSE: return e;
        case Z3_OP_AND: {
          z3::expr_vector v(c_);
          for (unsigned i = 0; i < e.num_args(); ++i) v.push_back(tr(e.arg(i)));
          return z3::mk_and(v);
        }
        case Z3_OP_OR: {
          z3::expr_vector v(c_);
          for (unsigned i = 0; i < e.num_args(); ++i) v.push_back(tr(e.arg(i)));
          return z3::mk_or(v);
        }
        case Z3_OP_NOT: return !tr(e.arg(0));
        case Z3_OP_IMPLIES: return z3::implies(tr(e.arg(0)), tr(e.arg(1)));
        case Z3_OP_IFF:
        case Z3_OP_EQ: return tr(e.arg(0)) == tr(e.arg(1));
        case Z3_OP_XOR: return tr(e.arg(0)) != tr(e.arg(1));
        case Z3_OP_DISTINCT:
          if (e.num_args() == 2) return tr(e.arg(0)) != tr(e.arg(1));
          break;
        case Z3_OP_ITE: return z3::ite(tr(e.arg(0)), tr(e.arg(1)), tr(e.arg(2)));
        case Z3_OP_ULEQ: return tr(e.arg(0)) <= tr(e.arg(1));
        case Z3_OP_ULT: return tr(e.arg(0)) < tr(e.arg(1));
        case Z3_OP_UGEQ: return tr(e.arg(0)) >= tr(e.arg(1));
        case Z3_OP_UGT: return tr(e.arg(0)) > tr(e.arg(1));
        case Z3_OP_UNINTERPRETED:
          if (e.num_args() == 0) return e;  // boolean constants stay
          break;
        default: break;
      }
      throw Unsupported("boolean operator " + e.decl().name().str());
    }
    if (!e.is_bv()) throw Unsupported("sort " + e.get_sort().to_string());
    const unsigned w = e.get_sort().bv_size();
    if (w > 64) throw Unsupported("width above 64");
    std::uint64_t u = 0;
    if (e.is_numeral_u64(u)) return c_.int_val(u);
    switch (k) {
      case Z3_OP_UNINTERPRETED: {
        if (e.num_args() != 0) break;
        const z3::expr v = c_.int_const(("int:" + e.decl().name().str()).c_str());
        ranges_.push_back(v >= 0 && v < pow2(w));
        vars_.emplace(e.id(), v);
        return v;
      }
      case Z3_OP_BADD: {
        z3::expr r = tr(e.arg(0));
        for (unsigned i = 1; i < e.num_args(); ++i) {
          const z3::expr s = r + tr(e.arg(i));
          r = z3::ite(s >= pow2(w), s - pow2(w), s);
        }
        return r;
      }
      case Z3_OP_BSUB: {
        const z3::expr d = tr(e.arg(0)) - tr(e.arg(1));
        return z3::ite(d < 0, d + pow2(w), d);
      }
      case Z3_OP_BNEG: {
        const z3::expr a = tr(e.arg(0));
        return z3::ite(a == 0, a, pow2(w) - a);
      }
      case Z3_OP_BNOT: return pow2(w) - 1 - tr(e.arg(0));
      case Z3_OP_ITE: return z3::ite(tr(e.arg(0)), tr(e.arg(1)), tr(e.arg(2)));
      case Z3_OP_BMUL:
        if (e.num_args() == 2 && e.arg(0).is_numeral_u64(u)) return z3::mod(c_.int_val(u) * tr(e.arg(1)), pow2(w));
        if (e.num_args() == 2 && e.arg(1).is_numeral_u64(u)) return z3::mod(c_.int_val(u) * tr(e.arg(0)), pow2(w));
        break;
      case Z3_OP_BUDIV:
      case Z3_OP_BUDIV_I:
        if (e.arg(1).is_numeral_u64(u) && u != 0) return tr(e.arg(0)) / c_.int_val(u);
        break;
      case Z3_OP_BLSHR:
        if (e.arg(1).is_numeral_u64(u)) return u >= w ? c_.int_val(0) : tr(e.arg(0)) / pow2(static_cast<unsigned>(u));
        break;
      case Z3_OP_BSHL:
        if (e.arg(1).is_numeral_u64(u))
          return u >= w ? c_.int_val(0) : z3::mod(tr(e.arg(0)) * pow2(static_cast<unsigned>(u)), pow2(w));
        break;
      case Z3_OP_BAND:
        if (e.num_args() == 2)
          for (int side = 0; side < 2; ++side) {
            std::uint64_t m = 0;
            if (!e.arg(side).is_numeral_u64(m)) continue;
            if (m == 0) return c_.int_val(0);
            // Contiguous bits [lo, hi): (a mod 2^hi) - (a mod 2^lo).
            const unsigned lo = static_cast<unsigned>(__builtin_ctzll(m));
            const unsigned hi = 64 - static_cast<unsigned>(__builtin_clzll(m));
            const std::uint64_t want =
                (hi == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << hi) - 1) & ~((std::uint64_t{1} << lo) - 1);
            if (want != m || hi > w) break;
            const z3::expr a = tr(e.arg(1 - side));
            const z3::expr top = hi == w ? a : z3::mod(a, pow2(hi));
            return lo == 0 ? top : top - z3::mod(a, pow2(lo));
          }
        break;
      default: break;
    }
    throw Unsupported("bit-vector operator " + e.decl().name().str());
  }

  z3::context& c_;
  std::unordered_map<unsigned, z3::expr> memo_;
  std::unordered_map<unsigned, z3::expr> vars_;
  std::vector<z3::expr> ranges_;
};

}  // namespace mmspec::proofs
