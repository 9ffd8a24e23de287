// Pieces of the qemu kernel runner that need no qemu: the newc initramfs writer (read back by
// the cpio tool when it is installed), guest paths, the TCG CPU model, and the kernel outcomes
// that `check --kernel` compares between kernels.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mmspec/cpio.hpp"
#include "mmspec/kernel_outcome.hpp"
#include "mmspec/qemu_kernel.hpp"

namespace {

namespace fs = std::filesystem;
using namespace mmspec;
using namespace mmspec::conformance;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Cpio, HeadersArePaddedNewcRecordsEndingWithTheTrailer) {
  CpioWriter w;
  w.file("init", "abc", 0755);
  const std::string a = w.finish();
  ASSERT_GE(a.size(), 110u);
  EXPECT_EQ(a.substr(0, 6), "070701");
  EXPECT_EQ(a.substr(6 + 8 * 1, 8), "000081ED");   // S_IFREG | 0755
  EXPECT_EQ(a.substr(6 + 8 * 6, 8), "00000003");   // file size
  EXPECT_EQ(a.substr(6 + 8 * 11, 8), "00000005");  // "init" + NUL
  EXPECT_EQ(a.substr(110, 5), std::string("init\0", 5));
  // 110 + 5 = 115 -> padded to 116; data 3 -> padded to 4; then the trailer at 120.
  EXPECT_EQ(a.substr(116, 3), "abc");
  EXPECT_EQ(a.substr(120, 6), "070701");
  EXPECT_NE(a.find("TRAILER!!!"), std::string::npos);
  EXPECT_EQ(a.size() % 4, 0u);
}

TEST(Cpio, TheCpioToolUnpacksWhatWasWritten) {
  if (!program_available("cpio")) GTEST_SKIP() << "cpio is not installed (scripts/install-deps)";
  CpioWriter w;
  w.file("init", std::string("\x7f" "ELF", 4), 0755);
  w.directory("s");
  w.file("s/0000.mmt", "mmap 0 4K r-- private anon\n");
  w.file("s/0001.mmt", "");
  const std::string archive = w.finish();
  std::string tmpl = (fs::temp_directory_path() / "mmspec-cpio-test.XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const fs::path dir = tmpl;
  std::ofstream(dir / "a.cpio", std::ios::binary) << archive;
  fs::create_directory(dir / "x");
  const std::string cmd = "cd '" + (dir / "x").string() + "' && cpio -i -d --quiet < ../a.cpio";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(slurp(dir / "x/init"), std::string("\x7f" "ELF", 4));
  EXPECT_EQ(slurp(dir / "x/s/0000.mmt"), "mmap 0 4K r-- private anon\n");
  EXPECT_TRUE(fs::exists(dir / "x/s/0001.mmt"));
  EXPECT_EQ(fs::file_size(dir / "x/s/0001.mmt"), 0u);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "x/init").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  fs::remove_all(dir);
}

TEST(Qemu, GuestPathsAreNumberedInOrder) {
  EXPECT_EQ(guest_scenario_path(0), "/s/0000.mmt");
  EXPECT_EQ(guest_scenario_path(150), "/s/0150.mmt");
}

TEST(Qemu, TheTcgCpuIsMaxWithoutWhatTheHostLacks) {
  const std::string cpu = host_like_cpu();
  EXPECT_EQ(cpu.rfind("max", 0), 0u);
  const std::string info = slurp("/proc/cpuinfo");
  if (info.find(" pku") == std::string::npos) {
    EXPECT_NE(cpu.find("pku=off"), std::string::npos);
  }
  if (info.find(" la57") == std::string::npos) {
    EXPECT_NE(cpu.find("la57=off"), std::string::npos);
  }
}

TEST(Qemu, AMissingAgentIsReportedBeforeQemuRuns) {
  QemuConfig c;
  c.agent = "/nonexistent/mmspec-live";
  c.kernel = "/nonexistent/vmlinuz";
  const QemuRun r = run_in_qemu(c);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("mmspec-live"), std::string::npos);
}

trace::MapsEntry entry(std::uint64_t s, std::uint64_t e, const char* perms, std::string name,
                       std::string flags) {
  trace::MapsEntry m;
  m.start = s;
  m.end = e;
  for (int i = 0; i < 4; ++i) m.perms[i] = perms[i];
  m.name = std::move(name);
  m.vmflags = std::move(flags);
  return m;
}

TEST(KernelOutcome, AddressesAreWindowOrVvarRelativeAndSoftDirtyIsDropped) {
  const auto pr = trace::parse(
      "window 0x7e0000000000 1G\n"
      "A = mmap +0x0 8K rw- private anon fixed\n"
      "B = mmap 0 4K r-- private anon\n"
      "C = mmap 0x40000000 4K r-- private anon fixed\n"
      "munmap A 4K\n",
      "t.mmt");
  ASSERT_TRUE(pr.trace) << pr.error->str();
  const trace::Trace& t = *pr.trace;
  trace::Observations obs;
  const std::uint64_t vvar = 0x7ffff7ff9000;
  obs.initial = {entry(0x4ed000, 0x976000, "rw-p", "[heap]", "rd wr mr mw me ac sd"),
                 entry(vvar, vvar + 0x4000, "r--p", "[vvar]", "rd mr pf io de dd sd")};
  auto res = [](std::uint64_t v) {
    trace::OpResult r;
    r.kind = trace::OpResult::Kind::value;
    r.value = v;
    return r;
  };
  obs.results = {res(0x7e0000000000), res(vvar - 0x1000), res(0x40000000), res(0)};
  obs.final = {entry(0x40000000, 0x40001000, "r--p", "", "rd mr mw me sd"),
               // the agent's heap, renamed by a `heap` set-up: its own, left out
               entry(0x4ed000, 0x976000, "rw-p", "", "rd wr mr mw me ac sd"),
               entry(0x7e0000001000, 0x7e0000002000, "rw-p", "", "rd wr mr mw me ac sd"),
               entry(vvar - 0x1000, vvar, "r--p", "", "rd mr mw me"),
               obs.initial[1]};
  const std::vector<OutcomeItem> o = kernel_outcome(t, obs);
  ASSERT_EQ(o.size(), 5u);
  EXPECT_EQ(o[0], (OutcomeItem{"line 2", "+0x0"}));
  EXPECT_EQ(o[1], (OutcomeItem{"line 3", "vvar-0x1000"}));
  EXPECT_EQ(o[2], (OutcomeItem{"line 4", "0x40000000"}));
  EXPECT_EQ(o[3], (OutcomeItem{"line 5", "0"}));
  EXPECT_EQ(o[4].where, "final maps");
  EXPECT_EQ(o[4].what,
            "0x40000000-0x40001000 r--p anon [rd mr mw me]; "
            "+0x1000-+0x2000 rw-p anon [rd wr mr mw me ac]; "
            "vvar-0x1000-vvar r--p anon [rd mr mw me]");
}

}  // namespace
