// ResponseComparator: status, compared headers, bodies as JSON or bytes, ignore rules (wildcards,
// quoted keys, subtrees, headers), noisy places, the difference cap, and robustness against huge,
// deep and arbitrary bodies.
#include <doctest/doctest.h>

#include <string>

#include "router/shadow/compare/response_comparator.h"
#include "rules/rule_error.h"

using namespace strangler;

namespace {

CapturedResponse json_answer(std::string body, int status = 200) {
  return {status, {{"Content-Type", "application/json"}}, std::move(body)};
}

CompareRules ignoring(std::initializer_list<const char*> paths) {
  CompareRules rules;
  rules.compare_headers = {"Content-Type"};
  for (const char* p : paths) rules.ignore_paths.push_back(JsonPathPattern::parse(p));
  return rules;
}

std::vector<std::string> paths_of(const CompareResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.differences) out.push_back(d.path);
  return out;
}

const char* kLegacy = R"({"id":7,"status":"shipped","customer":{"id":3,"email":"c3@example.com"},)"
                      R"("items":[{"sku":"SKU-1","price":12.5},{"sku":"SKU-9","price":3}],)"
                      R"("meta":{"generated_at":"2026-11-27T03:00:00.000001Z"},"odd key":{"x":1}})";
const char* kExtracted =
    R"({"id":7,"status":"SHIPPED","customer":{"id":3,"email_address":"c3@example.com"},)"
    R"("items":[{"sku":"SKU-9","price":"3.00"},{"sku":"SKU-1","price":"12.50"}],)"
    R"("meta":{"generated_at":"2026-11-27T03:00:00.000002Z"},"odd key":{"x":2},"api_version":"2"})";

}  // namespace

TEST_CASE("equal answers match; empty bodies equal each other") {
  const CompareRules rules = ignoring({});
  CHECK(compare_responses(json_answer(kLegacy), json_answer(kLegacy), rules).outcome ==
        ComparisonOutcome::match);
  auto r = compare_responses(json_answer(""), json_answer(""), rules);
  CHECK(r.outcome == ComparisonOutcome::match);
  CHECK(r.differences.empty());
}

TEST_CASE("the extracted variant's differences are found by path") {
  auto r = compare_responses(json_answer(kLegacy), json_answer(kExtracted), ignoring({}));
  CHECK(r.outcome == ComparisonOutcome::mismatch);
  CHECK(paths_of(r) == std::vector<std::string>{"$.api_version", "$.customer.email",
                                                "$.customer.email_address", "$.items[0].price",
                                                "$.items[0].sku", "$.items[1].price",
                                                "$.items[1].sku", "$.meta.generated_at",
                                                "$[\"odd key\"].x", "$.status"});
}

TEST_CASE("ignore rules with wildcards, quoted keys and subtrees remove differences") {
  auto r = compare_responses(
      json_answer(kLegacy), json_answer(kExtracted),
      ignoring({"$.items[*].price", "$.meta", "$[\"odd key\"]", "$.*.email",
                "$.customer.email_address", "$.api_version", "$.status", "$.items[*].sku"}));
  CHECK(r.differences.empty());
  CHECK(r.outcome == ComparisonOutcome::match);
  auto whole = compare_responses(json_answer(kLegacy), json_answer("not json"), ignoring({"$"}));
  CHECK(whole.outcome == ComparisonOutcome::match);
}

TEST_CASE("a status difference is a mismatch, even with equal bodies or noise") {
  CompareRules rules = ignoring({"$"});
  rules.noisy_places = {"status"};
  auto r = compare_responses(json_answer("{}", 200), json_answer("{}", 500), rules);
  CHECK(r.outcome == ComparisonOutcome::mismatch);
  REQUIRE(r.differences.size() == 1);
  CHECK(r.differences[0] == Difference{"status", DiffKind::changed, "200", "500", true});
}

TEST_CASE("compared headers: case-insensitive names, missing/extra/changed, ignores win") {
  CapturedResponse p{
      200, {{"content-type", "application/json"}, {"Date", "Mon"}, {"X-A", "1"}}, ""};
  CapturedResponse s{200, {{"Content-Type", "text/html"}, {"date", "Tue"}, {"X-B", "2"}}, ""};
  CompareRules rules;
  rules.compare_headers = {"Content-Type", "Date", "X-A", "x-b", "CONTENT-TYPE", "X-None"};
  auto r = compare_responses(p, s, rules);
  CHECK(r.outcome == ComparisonOutcome::mismatch);
  REQUIRE(r.differences.size() == 4);
  CHECK(r.differences[0] ==
        Difference{"header:content-type", DiffKind::changed, "application/json", "text/html"});
  CHECK(r.differences[1].path == "header:date");
  CHECK(r.differences[2] == Difference{"header:x-a", DiffKind::missing, "1", ""});
  CHECK(r.differences[3] == Difference{"header:x-b", DiffKind::extra, "", "2"});
  rules.ignore_headers = {"date", "Content-Type", "X-A", "X-B"};
  CHECK(compare_responses(p, s, rules).outcome == ComparisonOutcome::match);
  rules.compare_headers = {};
  rules.ignore_headers = {};
  CHECK(compare_responses(p, s, rules).differences.empty());
}

TEST_CASE("non-JSON and malformed JSON bodies compare as bytes with sizes and an excerpt") {
  const CompareRules rules = ignoring({});
  auto r = compare_responses(json_answer(R"({"a":1,"b":)"), json_answer(R"({"a":1,"b":2})"), rules);
  REQUIRE(r.differences.size() == 1);
  CHECK(r.differences[0].path == "body");
  CHECK(r.differences[0].primary == R"(11 bytes: {"a":1,"b":)");
  CHECK(r.differences[0].shadow == R"(13 bytes: {"a":1,"b":2})");
  auto html = compare_responses(json_answer("<p>caf\xc3\xa9\x01</p>"), json_answer("{}"), rules);
  REQUIRE(html.differences.size() == 1);
  CHECK(html.differences[0].primary == "13 bytes: <p>café\\x01</p>");
  auto empty = compare_responses(json_answer(""), json_answer("{}"), rules);
  REQUIRE(empty.differences.size() == 1);
  CHECK(empty.differences[0].primary == "0 bytes: ");
}

TEST_CASE("a truncated body compares as bytes") {
  CapturedResponse p = json_answer(R"({"a":1, "b":2})");
  CapturedResponse s = json_answer(R"({"b":2,"a":1})");
  CHECK(compare_responses(p, s, ignoring({})).outcome == ComparisonOutcome::match);
  p.body_truncated = s.body_truncated = true;
  auto r = compare_responses(p, s, ignoring({}));
  CHECK(paths_of(r) == std::vector<std::string>{"body"});
  s.body = p.body;
  s.body_truncated = false;
  CHECK(compare_responses(p, s, ignoring({})).outcome == ComparisonOutcome::mismatch);
}

TEST_CASE("noisy paths stay listed, flagged, and a noisy-only comparison is a match") {
  CompareRules rules = CompareRules::from_route(Route{}, {"$.meta.generated_at", "header:Date"});
  CHECK(rules.compare_headers == std::vector<std::string>{"Content-Type"});
  rules.compare_headers.push_back("Date");
  CapturedResponse p = json_answer(R"({"id":1,"meta":{"generated_at":"a"}})");
  CapturedResponse s = json_answer(R"({"id":1,"meta":{"generated_at":"b"}})");
  p.headers.push_back({"Date", "Mon"});
  s.headers.push_back({"Date", "Tue"});
  auto r = compare_responses(p, s, rules);
  CHECK(r.outcome == ComparisonOutcome::match);
  REQUIRE(r.differences.size() == 2);
  CHECK(r.differences[0].noisy);
  CHECK(r.differences[1].noisy);
  s.body = R"({"id":2,"meta":{"generated_at":"b"}})";
  auto real = compare_responses(p, s, rules);
  CHECK(real.outcome == ComparisonOutcome::mismatch);
  CHECK(real.differences.size() == 3);
}

TEST_CASE("find_noise: the places where two primary answers differ, after ignores") {
  CompareRules rules = ignoring({"$.ignored"});
  rules.compare_headers.push_back("Date");
  CapturedResponse a = json_answer(R"({"id":1,"at":"x","ignored":1,"list":[1]})");
  CapturedResponse b = json_answer(R"({"id":1,"at":"y","ignored":2,"list":[1,2]})");
  a.headers.push_back({"Date", "Mon"});
  b.headers.push_back({"date", "Tue"});
  rules.noisy_paths.push_back(JsonPathPattern::parse("$.at"));  // already known: still found
  CHECK(find_noise(a, b, rules) == std::vector<std::string>{"header:date", "$.at", "$.list"});
  CHECK(find_noise(a, a, rules).empty());
  CHECK(find_noise(json_answer("{}", 200), json_answer("{}", 503), rules) ==
        std::vector<std::string>{"status"});
  CHECK(find_noise(json_answer("t1"), json_answer("t2"), rules) ==
        std::vector<std::string>{"body"});
}

TEST_CASE("from_route compiles shadow headers, ignores and noise; bad patterns throw") {
  Route route;
  route.shadow = ShadowConfig{};
  route.shadow->compare_headers = {"Content-Type", "ETag"};
  route.ignores = {{DiffIgnore::Kind::header, "Date"}, {DiffIgnore::Kind::json_path, "$.a[*]"}};
  auto rules = CompareRules::from_route(route, {"$.meta.at", "body", "header:x-y"});
  CHECK(rules.compare_headers == std::vector<std::string>{"Content-Type", "ETag"});
  CHECK(rules.ignore_headers == std::vector<std::string>{"Date"});
  REQUIRE(rules.ignore_paths.size() == 1);
  CHECK(rules.ignore_paths[0].matches("$.a[2].b"));
  REQUIRE(rules.noisy_paths.size() == 1);
  CHECK(rules.noisy_places == std::vector<std::string>{"body", "header:x-y"});
  route.ignores.push_back({DiffIgnore::Kind::json_path, "$.a["});
  CHECK_THROWS_AS(CompareRules::from_route(route, {}), RuleError);
}

TEST_CASE("at most max_differences are listed; the outcome counts all") {
  std::string a = "[", b = "[";
  for (int i = 0; i < 1000; ++i) {
    a += (i ? "," : "") + std::to_string(i);
    b += (i ? "," : "") + std::to_string(i + 1);
  }
  auto r = compare_responses(json_answer(a + "]"), json_answer(b + "]"), ignoring({}), 5);
  CHECK(r.differences.size() == 5);
  CHECK(r.outcome == ComparisonOutcome::mismatch);
  // Noisy differences fill the list; a real one after them still decides the outcome.
  CompareRules rules = ignoring({});
  rules.noisy_paths.push_back(JsonPathPattern::parse("$.a"));
  auto late = compare_responses(json_answer(R"({"a":[1,2,3],"b":1})"),
                                json_answer(R"({"a":[4,5,6],"b":2})"), rules, 2);
  CHECK(late.differences.size() == 2);
  CHECK(late.outcome == ComparisonOutcome::mismatch);
}

TEST_CASE("huge and deeply nested bodies do not crash") {
  std::string huge = "{\"items\":[";
  for (int i = 0; i < 60000; ++i) {
    huge += (i ? "," : "") + std::string(R"({"sku":"SKU-)") + std::to_string(i) +
            R"(","price":12.5,"name":"a reasonably long item name"})";
  }
  huge += "]}";
  REQUIRE(huge.size() > 4'000'000);
  std::string other = huge;
  other[other.size() / 2 + 3] = other[other.size() / 2 + 3] == '1' ? '2' : '1';
  auto r = compare_responses(json_answer(huge), json_answer(other), ignoring({}));
  CHECK(r.outcome == ComparisonOutcome::mismatch);
  CHECK(compare_responses(json_answer(huge), json_answer(huge), ignoring({})).outcome ==
        ComparisonOutcome::match);
  const std::string deep = std::string(10000, '[') + "1" + std::string(10000, ']');
  const std::string deep2 = std::string(10000, '[') + "2" + std::string(10000, ']');
  auto d = compare_responses(json_answer(deep), json_answer(deep2), ignoring({}));
  CHECK(paths_of(d) == std::vector<std::string>{"body"});
  const std::string objects = [] {
    std::string s;
    for (int i = 0; i < 10000; ++i) s += "{\"a\":";
    return s + "1" + std::string(10000, '}');
  }();
  CHECK(compare_responses(json_answer(objects), json_answer(objects + " "), ignoring({})).outcome ==
        ComparisonOutcome::mismatch);
}

TEST_CASE("arbitrary bytes compare safely") {
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise += static_cast<char>((i * 7919 + 13) & 0xff);
  auto r = compare_responses(json_answer(noise), json_answer(noise.substr(1)), ignoring({}));
  REQUIRE(r.differences.size() == 1);
  CHECK(r.differences[0].path == "body");
  CHECK(r.differences[0].primary.starts_with("4096 bytes: "));
}
