// Hop-by-hop header rules.
#include <doctest/doctest.h>

#include "router/http/hop_by_hop.h"

using namespace strangler;

TEST_CASE("fixed hop-by-hop names match case-insensitively") {
  for (auto name : {"Connection", "keep-alive", "PROXY-CONNECTION", "TE", "Trailer",
                    "Transfer-Encoding", "upgrade", "Proxy-Authorization", "proxy-authenticate"}) {
    CHECK_MESSAGE(is_hop_by_hop_header(name), name);
  }
  for (auto name : {"Content-Type", "Host", "Cookie", "traceparent", "TEA", "Proxy", "X-Proxy-Id",
                    "Content-Length"}) {
    CHECK_MESSAGE(!is_hop_by_hop_header(name), name);
  }
}

TEST_CASE("connection tokens are split on commas and trimmed") {
  auto tokens = connection_tokens(" close ,X-Secret,, \tX-Other ");
  REQUIRE(tokens.size() == 3);
  CHECK(tokens[0] == "close");
  CHECK(tokens[1] == "X-Secret");
  CHECK(tokens[2] == "X-Other");
  CHECK(connection_tokens("").empty());
  CHECK(connection_tokens(" , ").empty());
}

TEST_CASE("list values append with a comma") {
  CHECK(append_to_list("", "10.0.0.1") == "10.0.0.1");
  CHECK(append_to_list("  ", "b") == "b");
  CHECK(append_to_list("a", "b") == "a, b");
  CHECK(append_to_list("a, b ", "c") == "a, b, c");
}

TEST_CASE("iequals compares ASCII case-insensitively") {
  CHECK(iequals("X-Request-Id", "x-request-id"));
  CHECK_FALSE(iequals("abc", "abd"));
  CHECK_FALSE(iequals("abc", "ab"));
}

TEST_CASE("trim removes optional whitespace only") {
  CHECK(trim(" \tchunked \t") == "chunked");
  CHECK(trim("a b") == "a b");
  CHECK(trim("   ").empty());
  CHECK(trim("\r\nx") == "\r\nx");
}
