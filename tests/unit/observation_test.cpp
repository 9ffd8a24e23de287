// Observations: result rendering, /proc/PID/maps lines byte for byte as the kernel prints
// them, parsing them back, and the conformance notion of "same VMA".
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mmspec/observation.hpp"

namespace mmspec::trace {
namespace {

using u64 = std::uint64_t;

MapsEntry entry(u64 start, u64 end, const char* perms, u64 offset, std::uint32_t major,
                std::uint32_t minor, u64 inode, std::string name) {
  MapsEntry e;
  e.start = start;
  e.end = end;
  for (int i = 0; i < 4; ++i) e.perms[i] = perms[i];
  e.offset = offset;
  e.dev_major = major;
  e.dev_minor = minor;
  e.inode = inode;
  e.name = std::move(name);
  return e;
}

TEST(ObservationResult, Format) {
  OpResult r;
  EXPECT_EQ(format_result(r), "-");
  r.kind = OpResult::Kind::value;
  r.value = 0x7E0000000000;
  EXPECT_EQ(format_result(r), "0x7e0000000000");
  r.value = 0;
  EXPECT_EQ(format_result(r), "0x0");
  r.value = ~u64{0};
  EXPECT_EQ(format_result(r), "0xffffffffffffffff");
  r = OpResult{};
  r.kind = OpResult::Kind::error;
  r.errnum = EINVAL;
  EXPECT_EQ(format_result(r), "EINVAL");
  r.errnum = 9999;
  EXPECT_EQ(format_result(r), "E?9999");
  r = OpResult{};
  r.kind = OpResult::Kind::touch;
  r.touch = TouchOutcome::segv_accerr;
  EXPECT_EQ(format_result(r), "SEGV_ACCERR");
  r.touch = TouchOutcome::ok;
  EXPECT_EQ(format_result(r), "ok");
}

TEST(ObservationResult, RawIsWhatABindingReceives) {
  OpResult r;
  r.kind = OpResult::Kind::error;
  r.errnum = ENOMEM;
  EXPECT_EQ(r.raw(), static_cast<u64>(-12));
  r.kind = OpResult::Kind::value;
  r.value = 0x1000;
  EXPECT_EQ(r.raw(), 0x1000u);
}

// The expected strings below are copied verbatim from /proc/self/maps of processes on the
// machine this was written on (Linux 6.18, x86-64): `cat /proc/self/maps`, and a python3
// process that had mapped a memfd named "f1" (MAP_SHARED, offset 4096) and a shared anonymous
// page. Note the trailing space of the unnamed (anonymous) line.
struct LiveLine {
  const char* line;
  MapsEntry entry;
};

std::vector<LiveLine> live_lines() {
  return {
      {"55e9f0697000-55e9f0699000 r--p 00000000 fe:00 247134                     /usr/bin/cat",
       entry(0x55e9f0697000, 0x55e9f0699000, "r--p", 0, 0xfe, 0, 247134, "/usr/bin/cat")},
      {"55e9f0699000-55e9f069e000 r-xp 00002000 fe:00 247134                     /usr/bin/cat",
       entry(0x55e9f0699000, 0x55e9f069e000, "r-xp", 0x2000, 0xfe, 0, 247134, "/usr/bin/cat")},
      {"55ea27351000-55ea27372000 rw-p 00000000 00:00 0                          [heap]",
       entry(0x55ea27351000, 0x55ea27372000, "rw-p", 0, 0, 0, 0, "[heap]")},
      {"7f73abfb4000-7f73ac078000 rw-p 00000000 00:00 0 ",
       entry(0x7f73abfb4000, 0x7f73ac078000, "rw-p", 0, 0, 0, 0, "")},
      {"7f73ac2be000-7f73ac2c5000 r--s 00000000 fe:00 332280                     "
       "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache",
       entry(0x7f73ac2be000, 0x7f73ac2c5000, "r--s", 0, 0xfe, 0, 332280,
             "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache")},
      {"7f73ac2c8000-7f73ac2cc000 r--p 00000000 00:00 0                          [vvar]",
       entry(0x7f73ac2c8000, 0x7f73ac2cc000, "r--p", 0, 0, 0, 0, "[vvar]")},
      {"7f15c11bb000-7f15c11bc000 rw-s 00000000 00:01 1026                       /dev/zero "
       "(deleted)",
       entry(0x7f15c11bb000, 0x7f15c11bc000, "rw-s", 0, 0, 1, 1026, "/dev/zero (deleted)")},
      {"7f15c11bc000-7f15c11be000 r--s 00001000 00:01 1025                       /memfd:f1 "
       "(deleted)",
       entry(0x7f15c11bc000, 0x7f15c11be000, "r--s", 0x1000, 0, 1, 1025, "/memfd:f1 (deleted)")},
      {"7f15c1044000-7f15c1178000 rw-p 00443000 fe:00 18834                      "
       "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0",
       entry(0x7f15c1044000, 0x7f15c1178000, "rw-p", 0x443000, 0xfe, 0, 18834,
             "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0")},
      {"7f15c1252000-7f15c1254000 r-xp 00000000 00:00 0                          [vdso]",
       entry(0x7f15c1252000, 0x7f15c1254000, "r-xp", 0, 0, 0, 0, "[vdso]")},
      {"7fff39f89000-7fff39faa000 rw-p 00000000 00:00 0                          [stack]",
       entry(0x7fff39f89000, 0x7fff39faa000, "rw-p", 0, 0, 0, 0, "[stack]")},
      {"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
       entry(0xffffffffff600000, 0xffffffffff601000, "--xp", 0, 0, 0, 0, "[vsyscall]")},
  };
}

TEST(ObservationMaps, LinesMatchTheLiveKernel) {
  for (const LiveLine& l : live_lines()) {
    EXPECT_EQ(l.entry.maps_line(), l.line);
  }
}

TEST(ObservationMaps, NameStartsAtColumn74) {
  std::string heap = live_lines()[2].entry.maps_line();
  EXPECT_EQ(heap.find("[heap]"), 73u);  // 0-based 73 = column 74
  std::string vsys = live_lines().back().entry.maps_line();
  EXPECT_EQ(vsys.find("[vsyscall]"), 73u);
}

TEST(ObservationMaps, ShortFieldsAreZeroPadded) {
  MapsEntry e = entry(0x1000, 0x2000, "---p", 0x10, 3, 0x1a, 7, "");
  EXPECT_EQ(e.maps_line(), "00001000-00002000 ---p 00000010 03:1a 7 ");
  e.name = "x";
  EXPECT_EQ(e.maps_line(), "00001000-00002000 ---p 00000010 03:1a 7" + std::string(33, ' ') +
                               " x");
  EXPECT_EQ(e.maps_line().size(), 74u);
  // minor numbers above 0xff print with more digits, as %02x does
  e = entry(0x1000, 0x2000, "r--s", 0, 0x103, 0x12345, 1, "");
  EXPECT_EQ(e.maps_line(), "00001000-00002000 r--s 00000000 103:12345 1 ");
}

TEST(ObservationMaps, LongPrefixGetsOneSpace) {
  // 16-digit addresses and offset and a 20-digit inode: the prefix (which ends with a space)
  // is already past column 72.
  MapsEntry e = entry(0xffffffffff600000, 0xffffffffff601000, "rw-s", 0x123456789abcdef0, 0xfff,
                      0xfffff, 18446744073709551615u, "/some/file");
  std::string prefix =
      "ffffffffff600000-ffffffffff601000 rw-s 123456789abcdef0 fff:fffff 18446744073709551615 ";
  ASSERT_GE(prefix.size(), 72u);
  // seq_pad() adds no padding but still its one space, after the prefix's own trailing space
  EXPECT_EQ(e.maps_line(), prefix + " /some/file");
  // a 20-digit inode: the prefix stays short of column 72 and is still padded
  MapsEntry f = entry(0x7f15c1044000, 0x7f15c1178000, "rw-p", 0x443000, 0xfe, 0, 0, "n");
  f.inode = 12345678901234567890u;  // the prefix, with its trailing space, is 67 < 72
  EXPECT_EQ(f.maps_line(),
            "7f15c1044000-7f15c1178000 rw-p 00443000 fe:00 12345678901234567890" +
                std::string(6, ' ') + " n");
}

TEST(ObservationMaps, ParseLiveLines) {
  for (const LiveLine& l : live_lines()) {
    std::optional<MapsEntry> e = parse_maps_line(l.line);
    ASSERT_TRUE(e.has_value()) << l.line;
    EXPECT_EQ(*e, l.entry) << l.line;
    // with the newline the file has
    e = parse_maps_line(std::string(l.line) + "\n");
    ASSERT_TRUE(e.has_value()) << l.line;
    EXPECT_EQ(*e, l.entry) << l.line;
  }
}

TEST(ObservationMaps, ParseRoundTrip) {
  std::vector<MapsEntry> es = {
      entry(0, 0x1000, "---p", 0, 0, 0, 0, ""),
      entry(0x1000, 0x2000, "rwxs", 0xfffffffffffff000, 0xfff, 0xfffff, ~u64{0}, "/a b  c"),
      entry(0x7e0000000000, 0x7e0000003000, "r-xp", 0x2000, 0, 1, 77, trace_file_path("f1")),
      entry(0x7e0000000000, 0x7e0000001000, "rw-s", 0, 0, 1, 3, std::string(SHMEM_ANON_PATH)),
      entry(0x7e0000000000, 0x7e0000001000, "rw-p", 0, 0, 0, 0, "[anon:some name]"),
  };
  for (const MapsEntry& e : es) {
    std::optional<MapsEntry> back = parse_maps_line(e.maps_line());
    ASSERT_TRUE(back.has_value()) << e.maps_line();
    EXPECT_EQ(*back, e) << e.maps_line();
  }
}

TEST(ObservationMaps, ParseTolerance) {
  // missing trailing space after the inode of an anonymous line
  std::optional<MapsEntry> e = parse_maps_line("7f73abfb4000-7f73ac078000 rw-p 00000000 00:00 0");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "");
  EXPECT_EQ(e->inode, 0u);
  // CR LF
  e = parse_maps_line("00001000-00002000 r--p 00000000 00:00 0    [heap]\r\n");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->name, "[heap]");
  // upper-case hex is accepted
  e = parse_maps_line("0000ABCD-0000FFFF r--p 0000000A FE:0A 1");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->start, 0xabcdu);
  EXPECT_EQ(e->offset, 10u);
  EXPECT_EQ(e->dev_major, 0xfeu);
  EXPECT_EQ(e->dev_minor, 10u);
}

TEST(ObservationMaps, ParseRejects) {
  const char* bad[] = {
      "",
      "hello",
      "1000-2000",
      "1000 2000 rw-p 00000000 00:00 0",
      "1000-2000 rw-p",
      "1000-2000 rwxq 00000000 00:00 0",
      "1000-2000 Rw-p 00000000 00:00 0",
      "1000-2000 rw-p 00000000 00:00",
      "1000-2000 rw-p 00000000 0000 0",
      "1000-2000 rw-p 00000000 00:00 x",
      "1000-2000 rw-p 00000000 00:00 12x",
      "1000-2000 rw-p 0000000g 00:00 0",
      "10000000000000000-2000 rw-p 00000000 00:00 0",
      "1000-2000 rw-p 00000000 100000000:00 0",
      "1000-2000 rw-p 00000000 00:00 99999999999999999999",
      "-2000 rw-p 00000000 00:00 0",
      "1000-2000  rw-p 00000000 00:00 0",
  };
  for (const char* b : bad) EXPECT_FALSE(parse_maps_line(b).has_value()) << b;
}

TEST(ObservationMaps, SameVma) {
  MapsEntry a = entry(0x1000, 0x3000, "rw-p", 0, 0, 0, 0, "");
  MapsEntry b = a;
  b.vmflags = "rd wr mr mw me ac";
  EXPECT_TRUE(a.same_vma(b));  // VmFlags are not part of the maps line
  b = a;
  b.end = 0x2000;
  EXPECT_FALSE(a.same_vma(b));
  b = a;
  b.start = 0;
  EXPECT_FALSE(a.same_vma(b));
  b = a;
  b.perms[3] = 's';
  EXPECT_FALSE(a.same_vma(b));
  b = a;
  b.offset = 0x1000;
  EXPECT_FALSE(a.same_vma(b));
  b = a;
  b.name = "[heap]";
  EXPECT_FALSE(a.same_vma(b));
  // anonymous: device and inode count
  b = a;
  b.inode = 5;
  EXPECT_FALSE(a.same_vma(b));
  b = a;
  b.dev_minor = 1;
  EXPECT_FALSE(a.same_vma(b));
  b = a;
  b.dev_major = 1;
  EXPECT_FALSE(a.same_vma(b));
  // named: file identities differ between implementations, so they do not count
  MapsEntry f = entry(0x1000, 0x3000, "r--s", 0x2000, 0, 1, 1025, trace_file_path("f1"));
  MapsEntry g = f;
  g.dev_major = 0xfe;
  g.inode = 99;
  EXPECT_TRUE(f.same_vma(g));
  g.name = trace_file_path("f2");
  EXPECT_FALSE(f.same_vma(g));
}

TEST(ObservationMaps, TraceFilePath) {
  EXPECT_EQ(trace_file_path("f1"), "/memfd:f1 (deleted)");
  EXPECT_EQ(trace_file_path(""), "/memfd: (deleted)");
  EXPECT_EQ(SHMEM_ANON_PATH, "/dev/zero (deleted)");
  // matches the live kernel's rendering of the memfd mapping above
  EXPECT_EQ(live_lines()[7].entry.name, trace_file_path("f1"));
  EXPECT_EQ(live_lines()[6].entry.name, SHMEM_ANON_PATH);
}

}  // namespace
}  // namespace mmspec::trace
