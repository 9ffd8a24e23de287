// Helpers of the trace-language tests: parse text that must be accepted or rejected.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mmspec/trace.hpp"

namespace mmspec::trace::test {

// Parse text that must be valid (as "t.mmt"); a failure prints the parser's message.
inline Trace ok(std::string_view text) {
  ParseResult r = parse(text, "t.mmt");
  EXPECT_TRUE(r.trace.has_value()) << (r.error ? r.error->str() : std::string("no result"));
  EXPECT_FALSE(r.error.has_value());
  return r.trace ? *r.trace : Trace{};
}

// Parse text that must be rejected; returns "t.mmt:line:col: error: message".
inline std::string err(std::string_view text) {
  ParseResult r = parse(text, "t.mmt");
  EXPECT_FALSE(r.trace.has_value()) << "accepted:\n" << text;
  if (!r.error) return "<no error>";
  return r.error->str();
}

}  // namespace mmspec::trace::test
