// The value-type customisation point behind the model's templated arithmetic (DESIGN
// principle 4). Pure functions such as the subtree-gap update, mmap_base or the merge-case
// decision are written once as `template <class V>` and use only:
//   +, -, *, &, |, ~ on V;  &&, ||, ! on Ops<V>::Bool;  and the static members of Ops<V> below.
// The model instantiates them with std::uint64_t; proofs/ adds a specialisation for z3::expr
// (64-bit bit-vectors) and runs the very same functions symbolically.
#pragma once

#include <cstdint>

namespace mmspec {

template <class V>
struct Ops;  // specialised per value type

template <>
struct Ops<std::uint64_t> {
  using V = std::uint64_t;
  using Bool = bool;
  static constexpr V ite(Bool c, V a, V b) { return c ? a : b; }
  static constexpr Bool ult(V a, V b) { return a < b; }
  static constexpr Bool ule(V a, V b) { return a <= b; }
  static constexpr Bool eq(V a, V b) { return a == b; }
  static constexpr V umax(V a, V b) { return a < b ? b : a; }
  static constexpr V umin(V a, V b) { return a < b ? a : b; }
  static constexpr V udiv(V a, V b) { return b == 0 ? 0 : a / b; }
  static constexpr V lshr(V a, unsigned n) { return a >> n; }
  static constexpr V shl(V a, unsigned n) { return a << n; }
  static constexpr V lit(const V& /*like*/, std::uint64_t k) { return k; }
  static constexpr Bool tt(const V& /*like*/) { return true; }
  // Branch that really branches on bool (the model's hot path stays lazy); the z3
  // specialisation builds ite(c, t(), e()) and so covers both paths in one formula.
  template <class T, class E>
  __attribute__((always_inline)) static constexpr auto branch(Bool c, T&& t, E&& e) {
    return c ? t() : e();
  }
};

template <class V>
using BoolOf = typename Ops<V>::Bool;

}  // namespace mmspec
