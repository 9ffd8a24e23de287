// The mremap statement of the trace language (docs/trace-format.md): parse, canonical print,
// round trip, and the parse errors with their file:line:col.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mmspec/vm_flags.hpp"
#include "mmspec/trace.hpp"
#include "trace_test_util.hpp"

namespace mmspec::trace {
namespace {

using test::err;
using test::ok;

constexpr std::string_view kTrace =
    "window 0x7e0000000000 1G\n"
    "A = mmap +0 8K rw- private anon fixed -> +0\n"
    "mremap A 8K 4K -> A\n"
    "B = mremap A 4K 16K maymove\n"
    "mremap B 16K 16K maymove fixed +0x100000 -> +0x100000\n"
    "mremap +0x100000 4K 8K fixed +0x200000 -> EINVAL\n";

TEST(TraceMremap, ParsesOperandsAndFlags) {
  const Trace t = ok(kTrace);
  ASSERT_EQ(t.ops.size(), 5u);
  const Op& shrink = t.ops[1];
  EXPECT_EQ(shrink.kind, OpKind::mremap);
  EXPECT_EQ(shrink.flags, 0);
  const Op& move = t.ops[2];
  EXPECT_EQ(move.flags, MREMAP_MAYMOVE);
  EXPECT_GE(move.bind, 0);  // a move's address can be bound
  const Op& fixed = t.ops[3];
  EXPECT_EQ(fixed.flags, MREMAP_MAYMOVE | MREMAP_FIXED);
  EXPECT_EQ(fixed.new_addr.base, Expr::Base::window);
  EXPECT_EQ(fixed.new_addr.offset, 0x100000u);
  // fixed without maymove is expressible: the kernel's EINVAL is the expectation.
  EXPECT_EQ(t.ops[4].flags, MREMAP_FIXED);
}

TEST(TraceMremap, PrintsCanonicallyAndRoundTrips) {
  const Trace t = ok(kTrace);
  const std::string printed = print(t);
  EXPECT_NE(printed.find("mremap A 0x2000 0x1000 -> A\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("B = mremap A 0x1000 0x4000 maymove\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("mremap B 0x4000 0x4000 maymove fixed +0x100000 -> +0x100000\n"),
            std::string::npos)
      << printed;
  const Trace again = ok(printed);
  EXPECT_TRUE(again == t);
  EXPECT_EQ(print(again), printed);
}

TEST(TraceMremap, Errors) {
  EXPECT_EQ(err("mremap 0 4K"),
            "t.mmt:1:12: error: expected a new length such as 8K, found end of line");
  EXPECT_EQ(err("mremap 0 4K 8K move"),
            "t.mmt:1:16: error: expected maymove, fixed NEWADDR, '->' or end of line, found "
            "'move'");
  EXPECT_EQ(err("mremap 0 4K 8K fixed"),
            "t.mmt:1:21: error: expected a new address after 'fixed', found end of line");
  EXPECT_EQ(err("mremap 0 4K 8K fixed 0x1000 fixed 0x2000"),
            "t.mmt:1:29: error: 'fixed' given twice");
  EXPECT_EQ(err("mremap 0 4K 8K dontunmap"),
            "t.mmt:1:16: error: 'dontunmap' (MREMAP_DONTUNMAP) is not modelled "
            "(docs/deviations.md)");
  EXPECT_EQ(err("mremap 0 4K 8K -> SIGBUS"),
            "t.mmt:1:19: error: touch outcome 'SIGBUS' is only valid on a touch line; expected a "
            "result such as 0, +0x1000, A+4K or EINVAL");
}

}  // namespace
}  // namespace mmspec::trace
