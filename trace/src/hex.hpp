// Lowercase "0x..." formatting shared by the trace parser's messages and the printer; no
// snprintf, so the static agent can use it after its set-up.
#pragma once

#include <cstdint>
#include <string>

namespace mmspec::trace {

// Appends v in lowercase hex, zero-padded to at least `width` digits (printf "%0*lx").
inline void append_hex(std::string& out, std::uint64_t v, int width = 0) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  for (int i = n; i < width; ++i) out += '0';
  while (n > 0) out += buf[--n];
}

inline std::string hex(std::uint64_t v) {
  std::string out = "0x";
  append_hex(out, v);
  return out;
}

}  // namespace mmspec::trace
