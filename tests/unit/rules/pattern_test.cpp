// Pattern parser: the segments and canonical text of valid patterns, and a one-line reason for
// every kind of malformed pattern.
#include "rules/pattern.h"

#include <doctest/doctest.h>

#include <string>

#include "rules/rule_error.h"

using strangler::parse_pattern;
using strangler::Pattern;
using strangler::PatternSegment;
using strangler::RuleError;

namespace {

std::string error_of(std::string_view text) {
  try {
    parse_pattern(text, false);
  } catch (const RuleError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("'/' has no segments and round-trips") {
  const Pattern p = parse_pattern("/", false);
  CHECK(p.segments.empty());
  CHECK(p.text() == "/");
  CHECK(p.literal_count() == 0);
  CHECK_FALSE(p.exact);
  CHECK(parse_pattern("/", true).exact);
}

TEST_CASE("literal and wildcard segments") {
  const Pattern p = parse_pattern("/customers/*/orders", true);
  REQUIRE(p.segments.size() == 3);
  CHECK(p.segments[0] == PatternSegment{false, "customers"});
  CHECK(p.segments[1] == PatternSegment{true, ""});
  CHECK(p.segments[2] == PatternSegment{false, "orders"});
  CHECK(p.literal_count() == 2);
  CHECK(p.exact);
  CHECK(p.text() == "/customers/*/orders");
  CHECK(parse_pattern("/*/*", false).literal_count() == 0);
  CHECK(parse_pattern("/orders", false) != parse_pattern("/orders", true));
}

TEST_CASE("valid patterns round-trip through text()") {
  for (const char* text :
       {"/orders", "/a/b/c/d/e", "/*", "/v1.2/items_x~y-z", "/a:b@c", "/!$&'()+,=", "/caf%C3%A9",
        "/a%20b", "/%25", "/x/*/y/*", "/A9", "/%7C", "/%2A"}) {
    CAPTURE(text);
    CHECK(parse_pattern(text, false).text() == text);
  }
}

TEST_CASE("invalid patterns: one-line reasons") {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "invalid pattern \"\": a pattern must start with '/'"},
      {"orders", "invalid pattern \"orders\": a pattern must start with '/'"},
      {"*", "invalid pattern \"*\": a pattern must start with '/'"},
      {"/a//b", "invalid pattern \"/a//b\": empty segment"},
      {"//a", "invalid pattern \"//a\": empty segment"},
      {"/orders/", "invalid pattern \"/orders/\": trailing '/': write \"/orders\""},
      {"//", "invalid pattern \"//\": trailing '/': write \"/\""},
      {"/a//", "invalid pattern \"/a//\": trailing '/': write \"/a\""},
      {"/a/./b", "invalid pattern \"/a/./b\": dot segments (\".\", \"..\") are not allowed"},
      {"/a/..", "invalid pattern \"/a/..\": dot segments (\".\", \"..\") are not allowed"},
      {"/ord*", "invalid pattern \"/ord*\": '*' must be a whole segment"},
      {"/**", "invalid pattern \"/**\": '*' must be a whole segment"},
      {"/a;b", "invalid pattern \"/a;b\": ';' is not allowed in a pattern"},
      {"/a b", "invalid pattern \"/a b\": character \" \" can never appear in a normalized path"},
      {"/a?b", "invalid pattern \"/a?b\": character \"?\" can never appear in a normalized path"},
      {"/a#b", "invalid pattern \"/a#b\": character \"#\" can never appear in a normalized path"},
      {"/a\\b",
       "invalid pattern \"/a\\\\b\": character \"\\\\\" can never appear in a normalized path"},
      {"/a|b", "invalid pattern \"/a|b\": character \"|\" must be written as %7C"},
      {"/a{b}", "invalid pattern \"/a{b}\": character \"{\" must be written as %7B"},
      {"/a%7c", "invalid pattern \"/a%7c\": percent escapes use upper-case hex: write %7C"},
      {"/%41", "invalid pattern \"/%41\": %41 is an unreserved character: write \"A\" instead"},
      {"/%2E", "invalid pattern \"/%2E\": %2E is an unreserved character: write \".\" instead"},
      {"/a%2Fb", "invalid pattern \"/a%2Fb\": %2F is not allowed in a pattern: use a '*' segment"},
      {"/a%3B", "invalid pattern \"/a%3B\": %3B is not allowed in a pattern: use a '*' segment"},
      {"/a%00", "invalid pattern \"/a%00\": %00 can never appear in a normalized path"},
      {"/a%5C", "invalid pattern \"/a%5C\": %5C is not allowed in a pattern: use a '*' segment"},
      {"/a%3F", "invalid pattern \"/a%3F\": %3F can never appear in a normalized path"},
      {"/a%23", "invalid pattern \"/a%23\": %23 can never appear in a normalized path"},
      {"/a%2",
       "invalid pattern \"/a%2\": malformed percent escape (write %XX with two hex digits)"},
      {"/a%", "invalid pattern \"/a%\": malformed percent escape (write %XX with two hex digits)"},
      {"/a%GG",
       "invalid pattern \"/a%GG\": malformed percent escape (write %XX with two hex "
       "digits)"},
      {"/a\nb",
       "invalid pattern \"/a\\nb\": character \"\\n\" can never appear in a normalized "
       "path"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(error_of(c.text) == c.message);
  }
}

TEST_CASE("a raw non-ASCII byte must be written as an escape") {
  // The pattern itself is valid UTF-8 and is shown as such; the lone byte is escaped.
  CHECK(error_of("/caf\xC3\xA9") ==
        "invalid pattern \"/caf\xC3\xA9\": character \"\\xc3\" must be written as %C3");
  CHECK(error_of("/\xFF") ==
        "invalid pattern \"/\\xff\": character \"\\xff\" must be written as %FF");
}

TEST_CASE("every error message is a single line") {
  for (const char* text : {"/a\nb", "/a\r\n", "/\x01", "x\ny"}) {
    const std::string message = error_of(text);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find('\r') == std::string::npos);
  }
}
