// The structural JSON differ: paths, kinds, values, numbers as numbers, arrays with one length
// difference, unicode, and the parse guard for malformed, deep and oversized documents.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "router/shadow/compare/json_differ.h"

using namespace strangler;
using nlohmann::json;

namespace {

std::vector<Difference> diff(const std::string& a, const std::string& b) {
  auto pa = parse_json_body(a);
  auto pb = parse_json_body(b);
  REQUIRE(pa);
  REQUIRE(pb);
  std::vector<Difference> out;
  diff_json(*pa, *pb, [&](const std::string& path, DiffKind kind, const json* p, const json* s) {
    out.push_back(make_json_difference(path, kind, p, s));
    return true;
  });
  return out;
}

}  // namespace

TEST_CASE("key order and whitespace do not matter") {
  CHECK(diff(R"({"a":1,"b":[1,2,{"c":null}]})", "{ \"b\" : [ 1 , 2 , {\"c\":null} ],\n\"a\":1 }")
            .empty());
}

TEST_CASE("nested objects: missing, extra and changed by concrete path, with both values") {
  auto d = diff(R"({"customer":{"email":"a@x","id":7},"status":"shipped"})",
                R"({"customer":{"email_address":"a@x","id":7},"status":"SHIPPED"})");
  REQUIRE(d.size() == 3);
  CHECK(d[0] == Difference{"$.customer.email", DiffKind::missing, "\"a@x\"", ""});
  CHECK(d[1] == Difference{"$.customer.email_address", DiffKind::extra, "", "\"a@x\""});
  CHECK(d[2] == Difference{"$.status", DiffKind::changed, "\"shipped\"", "\"SHIPPED\""});
}

TEST_CASE("type changes") {
  auto d = diff(R"({"items":[{"price":12.5}],"x":null,"y":{},"z":true})",
                R"({"items":[{"price":"12.50"}],"x":0,"y":[],"z":"true"})");
  REQUIRE(d.size() == 4);
  CHECK(d[0] == Difference{"$.items[0].price", DiffKind::type, "12.5", "\"12.50\""});
  CHECK(d[1].path == "$.x");
  CHECK(d[2] == Difference{"$.y", DiffKind::type, "{}", "[]"});
  CHECK(d[3].kind == DiffKind::type);
}

TEST_CASE("numbers compare as numbers, big integers exactly") {
  CHECK(diff("1", "1.0").empty());
  CHECK(diff("[0, -0.0, 1e2, -5]", "[0.0, 0, 100, -5.0]").empty());
  CHECK(diff("18446744073709551615", "18446744073709551615").empty());
  CHECK(diff("9007199254740993", "9007199254740992").size() == 1);
  CHECK(diff("9007199254740993", "9007199254740992.0").size() == 1);
  CHECK(diff("-9223372036854775808", "-9223372036854775807").size() == 1);
  CHECK(diff("18446744073709551615", "-1").size() == 1);
  CHECK(diff("1.5", "1").size() == 1);
  auto d = diff(R"({"total":10})", R"({"total":10.01})");
  REQUIRE(d.size() == 1);
  CHECK(d[0] == Difference{"$.total", DiffKind::changed, "10", "10.01"});
}

TEST_CASE("arrays of different lengths: one length difference, then the common prefix") {
  auto d = diff(R"({"items":[1,2,3,4]})", R"({"items":[1,9]})");
  REQUIRE(d.size() == 2);
  CHECK(d[0] == Difference{"$.items", DiffKind::length, "4", "2"});
  CHECK(d[1] == Difference{"$.items[1]", DiffKind::changed, "2", "9"});
  CHECK(diff("[]", "[[]]") == std::vector<Difference>{{"$", DiffKind::length, "0", "1"}});
}

TEST_CASE("unicode keys and values") {
  auto d = diff(R"({"名前":"寿司","plain":"é","odd key":1})",
                R"({"名前":"ラーメン","plain":"\u00e9","odd key":2})");
  REQUIRE(d.size() == 2);
  CHECK(d[0] == Difference{"$[\"odd key\"]", DiffKind::changed, "1", "2"});
  CHECK(d[1] == Difference{"$[\"名前\"]", DiffKind::changed, "\"寿司\"", "\"ラーメン\""});
}

TEST_CASE("values are cut to about 200 bytes at a UTF-8 boundary") {
  const std::string long_text(500, 'x');
  auto d = diff("{\"a\":\"" + long_text + "\"}", R"({"a":"short"})");
  REQUIRE(d.size() == 1);
  CHECK(d[0].primary.size() <= kMaxValueText + 3);
  CHECK(d[0].primary.ends_with("..."));
  std::string snowmen;
  for (int i = 0; i < 100; ++i) snowmen += "☃";  // 3 bytes each
  const std::string cut = truncate_utf8(snowmen, 200);
  CHECK(cut.size() == 198 + 3);
  CHECK(cut.substr(0, 198) == snowmen.substr(0, 198));
}

TEST_CASE("the sink can stop the walk") {
  auto a = parse_json_body("[1,2,3,4,5]");
  auto b = parse_json_body("[5,4,3,2,1]");
  int calls = 0;
  CHECK_FALSE(diff_json(*a, *b, [&](auto&&...) { return ++calls < 2; }));
  CHECK(calls == 2);
}

TEST_CASE("parse_json_body refuses malformed, too deep and too big documents without throwing") {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,]", "nul", "\"\\x\"", "1e999", "{} x", "\xff"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_json_body(bad));
  }
  const std::string deep_ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  CHECK(parse_json_body(deep_ok));
  const std::string too_deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK_FALSE(parse_json_body(too_deep));
  // Brackets inside strings do not count.
  CHECK(parse_json_body("[\"" + std::string(10000, '[') + "\"]"));
  CHECK_FALSE(parse_json_body(std::string(kMaxJsonBytes + 1, ' ')));
}
