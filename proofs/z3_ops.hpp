// The z3::expr instantiation of the model's value-type customisation point (model/include/
// mmspec/value.hpp, DESIGN principle 4). With it, the very templates the model runs on
// std::uint64_t -- vma_gap, subtree_gap, gap_fits, mmap_base_of, merge_case, pgoff_at, the
// page-table index functions, ... -- build Z3 terms over 64-bit bit-vectors, and a proof about
// those terms is a proof about the model's code.
//
// Every operation has the meaning of its uint64_t counterpart, including the corner cases:
// udiv by zero is 0 here as there (SMT-LIB's bvudiv by zero would give all ones), and all
// arithmetic wraps modulo 2^64 as unsigned long does in the kernel.
#pragma once

#include <z3++.h>

#include <cstdint>

#include "mmspec/value.hpp"

namespace mmspec {

inline constexpr unsigned Z3_WORD_BITS = 64;

template <>
struct Ops<z3::expr> {
  using V = z3::expr;
  using Bool = z3::expr;  // of sort bool

  static V ite(const Bool& c, const V& a, const V& b) { return z3::ite(c, a, b); }
  static Bool ult(const V& a, const V& b) { return z3::ult(a, b); }
  static Bool ule(const V& a, const V& b) { return z3::ule(a, b); }
  static Bool eq(const V& a, const V& b) { return a == b; }
  static V umax(const V& a, const V& b) { return z3::ite(z3::ult(a, b), b, a); }
  static V umin(const V& a, const V& b) { return z3::ite(z3::ult(a, b), a, b); }
  // Ops<uint64_t>::udiv returns 0 for b == 0; keep that, so both instantiations agree.
  static V udiv(const V& a, const V& b) {
    const V zero = a.ctx().bv_val(std::uint64_t{0}, Z3_WORD_BITS);
    return z3::ite(b == zero, zero, z3::udiv(a, b));
  }
  static V lshr(const V& a, unsigned n) {
    return z3::lshr(a, a.ctx().bv_val(std::uint64_t{n}, Z3_WORD_BITS));
  }
  static V shl(const V& a, unsigned n) {
    return z3::shl(a, a.ctx().bv_val(std::uint64_t{n}, Z3_WORD_BITS));
  }
  static V lit(const V& like, std::uint64_t k) { return like.ctx().bv_val(k, Z3_WORD_BITS); }
  static Bool tt(const V& like) { return like.ctx().bool_val(true); }
  // Both paths are built; the condition selects between them inside the formula, so a proof
  // over a tree of fixed shape and symbolic values covers every path the model can take.
  template <class T, class E>
  static V branch(const Bool& c, T&& t, E&& e) {
    return z3::ite(c, t(), e());
  }
};

}  // namespace mmspec
