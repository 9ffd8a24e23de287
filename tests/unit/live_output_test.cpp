// The reader of mmspec-live's output (conformance/live_output): a hand-written sample in the
// format of docs/live-protocol.md, and malformed outputs that must give an error naming the
// line and what was expected there.
#include "mmspec/live_output.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace {

namespace tr = mmspec::trace;
namespace cf = mmspec::conformance;

// Ops: 0 mmap (line 3), 1 touch (4), 2 mprotect (5), 3 munmap (6), 4 expect-maps (7),
// 5 brk (11).
constexpr const char* kTrace =
    "window 0x7e0000000000 1G\n"
    "file f1 16K\n"
    "A = mmap +0 8K rw- private anon fixed\n"
    "touch A write\n"
    "mprotect A 4K r--\n"
    "munmap 0x400000 4K\n"
    "expect-maps\n"
    "  +0x0-+0x1000 r--p anon\n"
    "  +0x1000-+0x2000 rw-p anon\n"
    "end\n"
    "brk 0x1000\n";

const std::string kLayout =
    "layout task_size=0x7ffffffff000 rlimit_stack=0x800000 mmap_min_addr_sysctl=0x1000 "
    "mmap_min_addr=0x10000 start_brk=0x95b000 brk=0x97d000 start_stack=0x7fffffffe780 "
    "max_map_count=0xfffa overcommit_memory=0x0 randomized=0 release=6.18.44-fc-v669 "
    "thp_enabled=madvise rlimit_as=unlimited\n";

const std::string kInitial =
    "initial\n"
    "vma 00400000-00401000 r--p 00000000 fe:00 10953009                           /x/mmspec-live\n"
    "flags rd mr mw me\n"
    "vma 7ffffffbd000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n"
    "flags rd wr mr mw me gd ac\n"
    "end\n";

// One complete scenario; `op3` is the result record of operation 3 (the munmap).
std::string scenario(const std::string& path, const std::string& op3) {
  return "scenario " + path + "\n" + kLayout + kInitial +
         "result 0 3 value 0x7e0000000000\n"
         "result 1 4 touch ok\n"
         "result 2 5 value 0x0\n" +
         op3 +
         "result 4 7 none\n"
         "maps 0\n"
         "vma 7e0000000000-7e0000001000 r--p 00000000 00:00 0 \n"
         "flags rd mr mw me ac\n"
         "vma 7e0000001000-7e0000002000 rw-p 00000000 00:00 0 \n"
         "flags rd wr mr mw me ac\n"
         "end\n"
         "result 5 11 value 0x97d000\n"
         "final\n"
         "vma 7e0000001000-7e0000002000 rw-p 00000000 00:00 0 \n"
         "flags rd wr mr mw me ac\n"
         "end\n"
         "exit 0\n";
}

class LiveOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tr::ParseResult pr = tr::parse(kTrace, "s.mmt");
    ASSERT_TRUE(pr.trace) << (pr.error ? pr.error->str() : "no trace");
    traces.push_back(*pr.trace);
    ASSERT_EQ(traces[0].ops.size(), 6u);
    ASSERT_EQ(traces[0].maps.size(), 1u);
  }

  cf::LiveParseResult parse(const std::string& text) { return cf::parse_live_output(text, traces); }

  // The parse must fail at `line` with a message containing `what`.
  void expect_error(const std::string& text, std::size_t line, const std::string& what) {
    cf::LiveParseResult r = parse(text);
    ASSERT_TRUE(r.error) << "parsed although malformed:\n" << text;
    EXPECT_FALSE(r.output);
    EXPECT_EQ(r.error->line, line) << r.error->str();
    EXPECT_NE(r.error->message.find(what), std::string::npos) << r.error->str();
  }

  std::vector<tr::Trace> traces;
};

TEST_F(LiveOutputTest, ParsesASample) {
  std::string text = "mmspec-live 1\n" + scenario("s.mmt", "result 3 6 error EINVAL\n") +
                     "scenario broken.mmt\n"
                     "error broken.mmt:2:1: error: expected a statement\n"
                     "exit not-run\n"
                     "done\n";
  cf::LiveParseResult r = parse(text);
  ASSERT_TRUE(r.output) << r.error->str();
  const cf::LiveOutput& out = *r.output;
  EXPECT_EQ(out.version, 1);
  ASSERT_EQ(out.scenarios.size(), 2u);

  const cf::LiveScenario& s = out.scenarios[0];
  EXPECT_EQ(s.path, "s.mmt");
  EXPECT_EQ(s.trace, &traces[0]);
  ASSERT_TRUE(s.layout);
  EXPECT_EQ(s.layout->task_size, 0x7ffffffff000u);
  EXPECT_EQ(s.layout->rlimit_stack, 0x800000u);
  EXPECT_EQ(s.layout->mmap_min_addr_sysctl, 0x1000u);
  EXPECT_EQ(s.layout->mmap_min_addr, 0x10000u);
  EXPECT_EQ(s.layout->start_brk, 0x95b000u);
  EXPECT_EQ(s.layout->brk, 0x97d000u);
  EXPECT_EQ(s.layout->start_stack, 0x7fffffffe780u);
  EXPECT_EQ(s.layout->max_map_count, 65530u);
  EXPECT_EQ(s.layout->overcommit_memory, 0u);
  EXPECT_FALSE(s.layout->randomized);
  EXPECT_EQ(s.layout->release, "6.18.44-fc-v669");
  EXPECT_EQ(s.layout->values.at("thp_enabled"), "madvise");
  EXPECT_EQ(s.layout->number("rlimit_as"), tr::RLIM_INFINITY_VALUE);
  EXPECT_EQ(s.layout->number("thp_enabled"), std::nullopt);

  ASSERT_EQ(s.obs.initial.size(), 2u);
  EXPECT_EQ(s.obs.initial[0].start, 0x400000u);
  EXPECT_EQ(s.obs.initial[0].name, "/x/mmspec-live");
  EXPECT_EQ(s.obs.initial[0].inode, 10953009u);
  EXPECT_EQ(s.obs.initial[0].vmflags, "rd mr mw me");
  EXPECT_EQ(s.obs.initial[1].name, "[stack]");
  EXPECT_EQ(s.obs.initial[1].vmflags, "rd wr mr mw me gd ac");

  ASSERT_EQ(s.obs.results.size(), 6u);
  EXPECT_EQ(s.obs.results[0].kind, tr::OpResult::Kind::value);
  EXPECT_EQ(s.obs.results[0].value, 0x7e0000000000u);
  EXPECT_EQ(s.obs.results[1].kind, tr::OpResult::Kind::touch);
  EXPECT_EQ(s.obs.results[1].touch, tr::TouchOutcome::ok);
  EXPECT_EQ(s.obs.results[2].kind, tr::OpResult::Kind::value);
  EXPECT_EQ(s.obs.results[2].value, 0u);
  EXPECT_EQ(s.obs.results[3].kind, tr::OpResult::Kind::error);
  EXPECT_EQ(s.obs.results[3].errnum, EINVAL);
  EXPECT_EQ(s.obs.results[4].kind, tr::OpResult::Kind::none);
  EXPECT_EQ(s.obs.results[5].value, 0x97d000u);

  ASSERT_EQ(s.obs.snapshots.size(), 1u);
  ASSERT_EQ(s.obs.snapshots[0].size(), 2u);
  EXPECT_EQ(s.obs.snapshots[0][0].start, 0x7e0000000000u);
  EXPECT_EQ(s.obs.snapshots[0][0].end, 0x7e0000001000u);
  EXPECT_EQ(s.obs.snapshots[0][0].perms_str(), "r--p");
  EXPECT_EQ(s.obs.snapshots[0][0].name, "");
  EXPECT_EQ(s.obs.snapshots[0][1].vmflags, "rd wr mr mw me ac");
  ASSERT_EQ(s.obs.final.size(), 1u);
  EXPECT_EQ(s.obs.final[0].start, 0x7e0000001000u);

  EXPECT_TRUE(s.refused.empty());
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(s.exit.kind, cf::LiveExit::Kind::ok);
  EXPECT_TRUE(s.comparable());

  const cf::LiveScenario& b = out.scenarios[1];
  EXPECT_EQ(b.path, "broken.mmt");
  EXPECT_EQ(b.trace, nullptr);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0], "broken.mmt:2:1: error: expected a statement");
  EXPECT_EQ(b.exit.kind, cf::LiveExit::Kind::not_run);
  EXPECT_FALSE(b.comparable());
}

TEST_F(LiveOutputTest, RefusalsAndErrorsMakeAScenarioIncomparable) {
  std::string text = "mmspec-live 1\n" + scenario("s.mmt", "result 3 6 refused overlaps-agent\n") +
                     "done\n";
  cf::LiveParseResult r = parse(text);
  ASSERT_TRUE(r.output) << r.error->str();
  const cf::LiveScenario& s = r.output->scenarios.at(0);
  ASSERT_EQ(s.refused.size(), 1u);
  EXPECT_EQ(s.refused[0].op, 3u);
  EXPECT_EQ(s.refused[0].reason, "overlaps-agent");
  EXPECT_EQ(s.obs.results[3].kind, tr::OpResult::Kind::none);
  EXPECT_TRUE(s.reported[3]);
  EXPECT_FALSE(s.comparable());
}

TEST_F(LiveOutputTest, AKilledChildEndsItsScenarioAnywhere) {
  // Timeout in the middle of the maps block: the block is dropped, the rest is kept; then a
  // child that died of a signal after its first result; CRLF line ends from a serial console.
  std::string text = "mmspec-live 1\r\n"
                     "scenario s.mmt\r\n" +
                     kLayout + kInitial +
                     "result 0 3 value 0x7e0000000000\n"
                     "result 1 4 touch ok\n"
                     "result 2 5 value 0x0\n"
                     "result 3 6 value 0x0\n"
                     "result 4 7 none\n"
                     "maps 0\n"
                     "vma 7e0000000000-7e0000001000 r--p 00000000 00:00 0 \n"
                     "\n"
                     "exit timeout\n"
                     "scenario s.mmt\n" +
                     kLayout + kInitial +
                     "result 0 3 value 0x7e0000000000\n"
                     "\n"
                     "exit signal 11\n"
                     "done\r\n";
  cf::LiveParseResult r = parse(text);
  ASSERT_TRUE(r.output) << r.error->str();
  ASSERT_EQ(r.output->scenarios.size(), 2u);
  const cf::LiveScenario& a = r.output->scenarios[0];
  EXPECT_EQ(a.exit.kind, cf::LiveExit::Kind::timeout);
  EXPECT_FALSE(a.snapshot_seen[0]);
  EXPECT_TRUE(a.obs.snapshots[0].empty());
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0], "the maps 0 snapshot was cut short");
  EXPECT_FALSE(a.has_final);
  EXPECT_FALSE(a.comparable());
  const cf::LiveScenario& b = r.output->scenarios[1];
  EXPECT_EQ(b.exit.kind, cf::LiveExit::Kind::signal);
  EXPECT_EQ(b.exit.number, 11);
  EXPECT_TRUE(b.reported[0]);
  EXPECT_FALSE(b.reported[1]);
  EXPECT_FALSE(b.comparable());
}

TEST_F(LiveOutputTest, SetupFailureAndExitCode) {
  std::string text = "mmspec-live 1\nerror before any scenario\nscenario s.mmt\n" + kLayout +
                     kInitial +
                     "error window 0x7e0000000000 size 0x40000000 is not free\n"
                     "exit code 2\n"
                     "done\n";
  cf::LiveParseResult r = parse(text);
  ASSERT_TRUE(r.output) << r.error->str();
  ASSERT_EQ(r.output->errors.size(), 1u);
  EXPECT_EQ(r.output->errors[0], "before any scenario");
  const cf::LiveScenario& s = r.output->scenarios.at(0);
  EXPECT_EQ(s.exit.kind, cf::LiveExit::Kind::code);
  EXPECT_EQ(s.exit.number, 2);
  EXPECT_EQ(s.errors.size(), 1u);
  EXPECT_TRUE(s.has_initial);
  EXPECT_FALSE(s.comparable());
}

TEST_F(LiveOutputTest, MalformedOutputsNameTheLine) {
  const std::string head = "mmspec-live 1\nscenario s.mmt\n" + kLayout + kInitial;  // 9 lines
  expect_error("", 1, "expected the header 'mmspec-live 1'");
  expect_error("hello\n", 1, "expected the header 'mmspec-live 1'");
  expect_error("mmspec-live 2\ndone\n", 1, "protocol version 2 is not supported");
  expect_error("mmspec-live 1\n", 2, "without 'done'");
  expect_error("mmspec-live 1\ndone\nscenario s.mmt\n", 3, "nothing may follow 'done'");
  expect_error("mmspec-live 1\nresult 0 3 value 0x0\n", 2, "expected 'scenario', 'error' or 'done'");
  expect_error("mmspec-live 1\nscenario s.mmt\ninitial\n", 3, "expected 'layout'");
  expect_error("mmspec-live 1\nscenario s.mmt\nlayout task_size=0x1\n", 3, "lacks the key");
  expect_error("mmspec-live 1\nscenario s.mmt\nlayout task_size\n", 3, "expected KEY=VALUE");
  expect_error("mmspec-live 1\nscenario s.mmt\n" +
                   std::string(kLayout).replace(kLayout.find("0x800000"), 8, "8M"),
               3, "layout key 'rlimit_stack'");
  expect_error(head + "result 1 4 touch ok\n", 10, "expected the result of operation 0");
  expect_error(head + "result 0 4 value 0x0\n", 10, "operation 0 is on line 3");
  expect_error(head + "result 0 3 touch ok\n", 10, "does not fit operation 0 (mmap");
  expect_error(head + "result 0 3 value 7e0000000000\n", 10, "0x-prefixed hex value");
  expect_error(head + "result 0 3 error ENOTANERRNO\n", 10, "errno name");
  expect_error(head + "result 0 3 value 0x0\nresult 1 4 touch maybe\n", 11, "SEGV_MAPERR");
  expect_error(head + "result 0 3 value 0x0 extra\n", 10, "end of the result record");
  expect_error(head + "maps 0\n", 10, "must follow the result of the expect-maps operation");
  expect_error(head + "final\nvma nonsense\n", 11, "/proc/PID/maps line");
  expect_error(head + "final\nflags rd\n", 11, "must follow a 'vma'");
  expect_error(head + "final\nend\nresult 0 3 value 0x0\n", 12, "after the final block");
  expect_error(head + "final\nend\nexit 3\n", 12, "expected 'exit 0'");
  expect_error(head + "final\n", 11, "ends inside the final block");
  expect_error(head, 10, "ends inside scenario s.mmt");
  expect_error("mmspec-live 1\nscenario other.mmt\n" + kLayout + kInitial + "result 0 3 value 0x0\n",
               10, "no parsed trace was given");
}

}  // namespace
