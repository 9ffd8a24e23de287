// libFuzzer target: any bytes -> the .mmt parser (docs/trace-format.md).
//
// parse() must never crash, and must return either a trace or an error:
//   * an error has a message and a position inside the input: line 1 .. (number of lines + 1),
//     column >= 1, and str() is "path:line:col: error: message";
//   * a trace prints (print) to a text that parses again to an equal trace (operator==), and
//     printing that trace gives the same text again (the printed form is canonical).
// On a failed check the target prints both texts and aborts (libFuzzer saves the input).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mmspec/trace.hpp"

extern "C" const char* __asan_default_options() { return "detect_leaks=1"; }
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1";
}

namespace {

[[noreturn]] void fail(const char* what, std::string_view input, const std::string& printed,
                       const std::string& detail) {
  std::fprintf(stderr, "\n==== mmspec trace_parser_fuzzer: CHECK FAILED: %s\n", what);
  if (!detail.empty()) std::fprintf(stderr, "%s\n", detail.c_str());
  std::fprintf(stderr, "---- input (%zu bytes) ----\n", input.size());
  std::fwrite(input.data(), 1, input.size(), stderr);
  std::fprintf(stderr, "\n---- print(parse(input)) ----\n%s", printed.c_str());
  std::fprintf(stderr, "---- end ----\n");
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const mmspec::trace::ParseResult r = mmspec::trace::parse(input, "fuzz.mmt");
  if (r.trace.has_value() == r.error.has_value())
    fail("parse() returned both or neither of a trace and an error", input, "", "");

  if (r.error) {
    const mmspec::trace::ParseError& e = *r.error;
    std::uint32_t lines = 1;
    for (char c : input) lines += c == '\n';
    if (e.message.empty() || e.loc.line < 1 || e.loc.line > lines || e.loc.col < 1)
      fail("parse error without a message or with a position outside the input", input, "",
           e.str() + "  (line " + std::to_string(e.loc.line) + " col " +
               std::to_string(e.loc.col) + ", input has " + std::to_string(lines) + " lines)");
    const std::string prefix = "fuzz.mmt:" + std::to_string(e.loc.line) + ":" +
                               std::to_string(e.loc.col) + ": error: ";
    if (e.str() != prefix + e.message) fail("ParseError::str() is not path:line:col: error: message", input, "", e.str());
    return 0;
  }

  const std::string printed = mmspec::trace::print(*r.trace);
  const mmspec::trace::ParseResult again = mmspec::trace::parse(printed, "printed.mmt");
  if (!again.trace) fail("the printed trace does not parse", input, printed, again.error->str());
  if (!(*again.trace == *r.trace))
    fail("the printed trace parses to a different trace (operator==)", input, printed, "");
  const std::string reprinted = mmspec::trace::print(*again.trace);
  if (reprinted != printed)
    fail("printing is not canonical: print(parse(print(t))) != print(t)", input, printed,
         "---- print(parse(print(parse(input)))) ----\n" + reprinted);
  return 0;
}
