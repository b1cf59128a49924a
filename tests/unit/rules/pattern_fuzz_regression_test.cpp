// Inputs the pattern fuzzer (tests/fuzz/pattern_fuzzer.cpp) found, kept as unit tests: every
// refusal is one line, whatever bytes the pattern held.
#include <doctest/doctest.h>

#include <string>

#include "rules/pattern.h"
#include "rules/rule_error.h"

using namespace strangler;

namespace {

std::string refusal(std::string_view text) {
  try {
    parse_pattern(text, false);
  } catch (const RuleError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE(
    "a malformed escape with a control byte is refused in one line, without upper-case advice") {
  auto message = refusal("/c%\na/0/0");
  INFO(message);
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find("malformed percent escape") != std::string::npos);
  CHECK(message.find("upper-case") == std::string::npos);
}

TEST_CASE("a well-formed lower-case escape still gets the upper-case advice") {
  auto message = refusal("/caf%c3%a9");
  INFO(message);
  CHECK(message.find("write %C3") != std::string::npos);
}
