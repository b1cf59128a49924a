// JSON path patterns of `diff ignore`: parsing, one-line errors, and matching concrete paths and
// everything below them.
#include <doctest/doctest.h>

#include <string>

#include "rules/json_path_pattern.h"
#include "rules/rule_error.h"

using namespace strangler;

namespace {
bool match(const char* pattern, const char* path) {
  return JsonPathPattern::parse(pattern).matches(path);
}
}  // namespace

TEST_CASE("a pattern matches its own place and everything below it") {
  CHECK(match("$.meta.generated_at", "$.meta.generated_at"));
  CHECK(match("$.meta", "$.meta.generated_at"));
  CHECK(match("$.meta", "$.meta[3].x"));
  CHECK(match("$", "$.anything[0]"));
  CHECK_FALSE(match("$.meta", "$.metadata"));
  CHECK_FALSE(match("$.meta.generated_at", "$.meta"));
  CHECK_FALSE(match("$.items[0]", "$.items[1].price"));
  CHECK(match("$.items[0]", "$.items[0].price"));
}

TEST_CASE("wildcards: [*] any index, .* any key") {
  CHECK(match("$.items[*].price", "$.items[0].price"));
  CHECK(match("$.items[*].price", "$.items[41].price"));
  CHECK_FALSE(match("$.items[*].price", "$.items[0].sku"));
  CHECK_FALSE(match("$.items[*]", "$.items.price"));
  CHECK(match("$.*.id", "$.customer.id"));
  CHECK(match("$.*.id", "$[\"odd key\"].id"));
  CHECK_FALSE(match("$.*.id", "$[0].id"));
  CHECK(match("$[*][*]", "$[1][2].x"));
}

TEST_CASE("quoted keys, unicode, and the same place written two ways") {
  CHECK(json_path_key_step("price") == ".price");
  CHECK(json_path_key_step("odd key") == "[\"odd key\"]");
  CHECK(json_path_key_step("a\"b") == "[\"a\\\"b\"]");
  CHECK(json_path_key_step("") == "[\"\"]");
  CHECK(json_path_key_step("名前") == "[\"名前\"]");
  CHECK(match("$[\"odd key\"]", "$[\"odd key\"].x"));
  CHECK(match("$[\"price\"]", "$.price"));
  CHECK(match("$.price", "$[\"price\"]"));
  CHECK(match("$[\"名前\"]", "$[\"名前\"]"));
  CHECK(match("$[\"\\u540d\\u524d\"]", "$[\"名前\"]"));
  CHECK(match("$[\"a.b\"]", "$[\"a.b\"]"));
  CHECK_FALSE(match("$[\"a.b\"]", "$.a.b"));
}

TEST_CASE("non-JSON places never match a JSON path") {
  CHECK_FALSE(match("$", "status"));
  CHECK_FALSE(match("$", "body"));
  CHECK_FALSE(match("$", "header:date"));
  CHECK_FALSE(match("$.a", "$.a["));
}

TEST_CASE("malformed patterns throw one line that says where") {
  auto message_of = [](const char* text) -> std::string {
    try {
      JsonPathPattern::parse(text);
    } catch (const RuleError& e) {
      return e.what();
    }
    return "";
  };
  for (const char* bad :
       {"", "meta", "$.", "$..a", "$[", "$[x]", "$[1", "$[\"unterminated]", "$[\"a\" ]", "$.a b",
        "$[01]", "$[99999999999999999999]", "$[\"\\q\"]", "$.a*"}) {
    CAPTURE(bad);
    const std::string message = message_of(bad);
    CHECK_FALSE(message.empty());
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find("at character") != std::string::npos);
  }
  CHECK(message_of("$.a b").find("at character 4") != std::string::npos);
  CHECK(message_of("$[x]").find("at character 3") != std::string::npos);
}

TEST_CASE("text() keeps the pattern as written") {
  CHECK(JsonPathPattern::parse("$[\"price\"]").text() == "$[\"price\"]");
}
