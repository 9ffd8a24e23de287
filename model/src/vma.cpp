#include "mmspec/vma.hpp"

#include <cstdio>

namespace mmspec {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string vma_str(const Vma& v) {
  return "[" + hex(v.vm_start) + "-" + hex(v.vm_end) + " pgoff " + hex(v.vm_pgoff) + "]";
}

}  // namespace mmspec
