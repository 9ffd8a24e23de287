// The mlock, munlock, mlockall, munlockall and madvise statements of the trace language
// (docs/trace-format.md): parse, canonical print, round trip, and the parse errors with their
// file:line:col.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mmspec/trace.hpp"
#include "mmspec/vm_flags.hpp"
#include "trace_test_util.hpp"

namespace mmspec::trace {
namespace {

using test::err;
using test::ok;

constexpr std::string_view kTrace =
    "window 0x7e0000000000 1G\n"
    "A = mmap +0 16K rw- private anon fixed -> +0\n"
    "mlock A+4K 4K -> 0\n"
    "mlock A 16K onfault -> 0 on linux-6.18 -> ENOMEM on linux-5.10\n"
    "munlock A 0x1001 -> 0\n";

TEST(TraceMlock, ParsesOperandsAndFlags) {
  const Trace t = ok(kTrace);
  ASSERT_EQ(t.ops.size(), 4u);
  EXPECT_EQ(t.ops[1].kind, OpKind::mlock);
  EXPECT_EQ(t.ops[1].flags, 0);
  EXPECT_EQ(t.ops[1].addr.offset, 0x1000u);
  EXPECT_EQ(t.ops[1].len.offset, 0x1000u);
  EXPECT_EQ(t.ops[2].flags, MLOCK_ONFAULT);
  EXPECT_EQ(t.ops[2].expect.size(), 2u);
  EXPECT_EQ(t.ops[3].kind, OpKind::munlock);
  EXPECT_EQ(t.ops[3].len.offset, 0x1001u);  // lengths are taken as given (the kernel rounds)
}

TEST(TraceMlock, PrintsCanonicallyAndRoundTrips) {
  const Trace t = ok(kTrace);
  const std::string printed = print(t);
  EXPECT_NE(printed.find("mlock A+0x1000 0x1000 -> 0\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("mlock A 0x4000 onfault -> "), std::string::npos) << printed;
  EXPECT_NE(printed.find("munlock A 0x1001 -> 0\n"), std::string::npos) << printed;
  const Trace again = ok(printed);
  EXPECT_TRUE(again == t);
}

TEST(TraceMlock, Errors) {
  EXPECT_EQ(err("mlock 0x1000\n"), "t.mmt:1:13: error: expected a length such as 4K, found end of line");
  EXPECT_EQ(err("mlock 0x1000 4K fault\n"),
            "t.mmt:1:17: error: expected onfault, '->' or end of line, found 'fault'");
  EXPECT_EQ(err("munlock 0x1000 4K onfault\n"),
            "t.mmt:1:19: error: expected '->' or end of line, found 'onfault'");
  EXPECT_EQ(err("X = mlock 0x1000 4K\n").find("t.mmt:1:5: error:"), 0u);
}

TEST(TraceMlock, MlockallWordsAndMunlockall) {
  const Trace t = ok("mlockall current future onfault -> 0\nmlockall -> EINVAL\nmunlockall -> 0\n");
  ASSERT_EQ(t.ops.size(), 3u);
  EXPECT_EQ(t.ops[0].kind, OpKind::mlockall);
  EXPECT_EQ(t.ops[0].flags, MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT);
  EXPECT_EQ(t.ops[1].flags, 0);
  EXPECT_EQ(t.ops[2].kind, OpKind::munlockall);
  const std::string printed = print(t);
  EXPECT_NE(printed.find("mlockall current future onfault -> 0\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("munlockall -> 0\n"), std::string::npos) << printed;
  EXPECT_TRUE(ok(printed) == t);
  EXPECT_EQ(err("mlockall current current\n"), "t.mmt:1:18: error: 'current' given twice");
  EXPECT_EQ(err("mlockall all\n"),
            "t.mmt:1:10: error: expected current, future, onfault, '->' or end of line, found 'all'");
  EXPECT_EQ(err("munlockall now\n"), "t.mmt:1:12: error: expected '->' or end of line, found 'now'");
}

TEST(TraceMadvise, AdviceWords) {
  const Trace t = ok("madvise 0x1000 4K dontfork -> 0\nmadvise 0x1000 0x1001 free -> EINVAL\n");
  ASSERT_EQ(t.ops.size(), 2u);
  EXPECT_EQ(t.ops[0].kind, OpKind::madvise);
  EXPECT_EQ(t.ops[0].flags, MADV_DONTFORK);
  EXPECT_EQ(t.ops[1].flags, MADV_FREE);
  const std::string printed = print(t);
  EXPECT_NE(printed.find("madvise 0x1000 0x1000 dontfork -> 0\n"), std::string::npos) << printed;
  EXPECT_TRUE(ok(printed) == t);
  for (std::string_view w : {"normal", "random", "sequential", "willneed", "dontneed", "free",
                             "remove", "dontfork", "dofork", "hugepage", "nohugepage", "dontdump",
                             "dodump", "wipeonfork", "keeponfork", "cold", "pageout"})
    EXPECT_EQ(advice_name(advice_of(w)), w);
  EXPECT_EQ(err("madvise 0x1000 4K mergeable\n"),
            "t.mmt:1:19: error: expected an advice such as dontfork, hugepage or dontneed, found "
            "'mergeable'");
  EXPECT_EQ(err("madvise 0x1000 4K\n"),
            "t.mmt:1:18: error: expected an advice such as dontfork, hugepage or dontneed, found "
            "end of line");
}

}  // namespace
}  // namespace mmspec::trace
