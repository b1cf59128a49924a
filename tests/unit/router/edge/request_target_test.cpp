// Splitting request targets into path and query.
#include <doctest/doctest.h>

#include "router/edge/request_target.h"

using namespace strangler;

TEST_CASE("origin form") {
  auto t = split_request_target("/orders/7?x=1&y=%20", "GET");
  REQUIRE(t.ok);
  CHECK(t.path == "/orders/7");
  CHECK(t.has_query);
  CHECK(t.query == "x=1&y=%20");
  auto bare = split_request_target("/a", "GET");
  CHECK(bare.path == "/a");
  CHECK_FALSE(bare.has_query);
  auto empty_query = split_request_target("/a?", "GET");
  CHECK(empty_query.has_query);
  CHECK(empty_query.query.empty());
}

TEST_CASE("absolute form routes by its path and ignores the authority") {
  auto t = split_request_target("http://evil.example:8080/orders/7?x=1", "GET");
  REQUIRE(t.ok);
  CHECK(t.path == "/orders/7");
  CHECK(t.query == "x=1");
  CHECK(split_request_target("HTTPS://h", "GET").path == "/");
  CHECK_FALSE(split_request_target("http://h?x", "GET").ok);
  CHECK_FALSE(split_request_target("ftp://h/x", "GET").ok);
}

TEST_CASE("asterisk form only for OPTIONS") {
  auto t = split_request_target("*", "OPTIONS");
  REQUIRE(t.ok);
  CHECK(t.asterisk);
  CHECK(t.path == "/");
  CHECK_FALSE(split_request_target("*", "GET").ok);
}

TEST_CASE("refusals") {
  CHECK_FALSE(split_request_target("", "GET").ok);
  CHECK_FALSE(split_request_target("orders", "GET").ok);
  auto fragment = split_request_target("/a#frag", "GET");
  CHECK_FALSE(fragment.ok);
  CHECK(fragment.error.find("fragment") != std::string_view::npos);
}
