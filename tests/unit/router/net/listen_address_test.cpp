// Listen address parsing.
#include <doctest/doctest.h>

#include <stdexcept>

#include "router/net/listen_address.h"

using namespace strangler;

TEST_CASE("host and port") {
  auto a = parse_listen_address("127.0.0.1:8080");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 8080);
  auto v6 = parse_listen_address("[::1]:0");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 0);
}

TEST_CASE("refusals say what is wrong") {
  CHECK_THROWS_WITH_AS(parse_listen_address("8080"),
                       "invalid listen address \"8080\": expected HOST:PORT",
                       std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("::1:80"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address(":80"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("h:70000"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("h:8x"), std::invalid_argument);
  CHECK_THROWS_AS(parse_listen_address("h:"), std::invalid_argument);
}
