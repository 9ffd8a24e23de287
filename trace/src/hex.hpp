// Lowercase "0x..." formatting shared by the trace parser's messages and the printer; no
// snprintf, so the static agent can use it after its set-up.
#pragma once

#include <cstdint>
#include <string>

namespace mmspec::trace {

inline std::string hex(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kHex[v & 15];
    v >>= 4;
  } while (v != 0);
  std::string out = "0x";
  while (n > 0) out += buf[--n];
  return out;
}

}  // namespace mmspec::trace
