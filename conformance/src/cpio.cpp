// The newc cpio writer (cpio.hpp): a 110-byte ASCII header of thirteen 8-digit hex fields, the
// NUL-terminated name and the data, each padded to a multiple of 4 bytes.
#include "mmspec/cpio.hpp"

#include <sys/stat.h>

#include <cstdio>

namespace mmspec::conformance {
namespace {

void pad4(std::string& s) {
  while (s.size() % 4 != 0) s.push_back('\0');
}

}  // namespace

void CpioWriter::entry(std::string_view path, std::uint32_t mode, std::uint32_t nlink,
                       std::string_view data) {
  char hdr[111];
  const std::uint32_t fields[13] = {
      ino_++, mode, 0 /*uid*/, 0 /*gid*/, nlink, 0 /*mtime*/,
      static_cast<std::uint32_t>(data.size()), 0, 0, 0, 0,  // dev and rdev major/minor
      static_cast<std::uint32_t>(path.size() + 1), 0 /*check*/};
  std::snprintf(hdr, sizeof hdr, "070701");
  for (int i = 0; i < 13; ++i) std::snprintf(hdr + 6 + 8 * i, 9, "%08X", fields[i]);
  out_.append(hdr, 110);
  out_.append(path);
  out_.push_back('\0');
  pad4(out_);
  out_.append(data);
  pad4(out_);
}

void CpioWriter::directory(std::string_view path, std::uint32_t mode) {
  entry(path, S_IFDIR | mode, 2, {});
}

void CpioWriter::file(std::string_view path, std::string_view data, std::uint32_t mode) {
  entry(path, S_IFREG | mode, 1, data);
}

std::string CpioWriter::finish() {
  ino_ = 0;
  entry("TRAILER!!!", 0, 1, {});
  return std::move(out_);
}

}  // namespace mmspec::conformance
