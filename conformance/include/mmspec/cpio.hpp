// An initramfs image: a cpio archive in the "newc" format the kernel unpacks into its rootfs
// (the format of Documentation/driver-api/early-userspace/buffer-format.rst), built in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mmspec::conformance {

class CpioWriter {
 public:
  // A directory; parents must have been added first ("s", then "s/t").
  void directory(std::string_view path, std::uint32_t mode = 0755);
  // A regular file with the given contents.
  void file(std::string_view path, std::string_view data, std::uint32_t mode = 0644);
  // Ends the archive (the TRAILER!!! entry) and returns it.
  std::string finish();

 private:
  void entry(std::string_view path, std::uint32_t mode, std::uint32_t nlink, std::string_view data);
  std::string out_;
  std::uint32_t ino_ = 1;
};

}  // namespace mmspec::conformance
