// parse_target_url: accepted base URLs with their parts, and a reason for each refusal.
#include "rules/target_url.h"

#include <doctest/doctest.h>

#include <string>

#include "rules/rule_error.h"

using strangler::parse_target_url;
using strangler::RuleError;

namespace {

std::string error_of(std::string_view url) {
  try {
    parse_target_url(url);
  } catch (const RuleError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("accepted URLs") {
  struct Case {
    const char* url;
    const char* scheme;
    const char* host;
    int port;
    const char* authority;
  };
  const Case cases[] = {
      {"http://127.0.0.1:9002", "http", "127.0.0.1", 9002, "127.0.0.1:9002"},
      {"http://127.0.0.1:9002/", "http", "127.0.0.1", 9002, "127.0.0.1:9002"},
      {"http://legacy", "http", "legacy", 80, "legacy"},
      {"https://orders.internal", "https", "orders.internal", 443, "orders.internal"},
      {"https://orders.internal:8443/", "https", "orders.internal", 8443, "orders.internal:8443"},
      {"http://svc:443", "http", "svc", 443, "svc:443"},
      {"https://svc:80", "https", "svc", 80, "svc:80"},
      {"http://[::1]:8080", "http", "::1", 8080, "[::1]:8080"},
      {"http://[2001:DB8::1]", "http", "2001:db8::1", 80, "[2001:db8::1]"},
      {"HTTP://Orders-1.Example.COM:1", "http", "orders-1.example.com", 1,
       "orders-1.example.com:1"},
      {"http://svc_a:65535", "http", "svc_a", 65535, "svc_a:65535"},
      {"http://localhost:00080", "http", "localhost", 80, "localhost"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.url);
    const auto url = parse_target_url(c.url);
    CHECK(url.scheme == c.scheme);
    CHECK(url.host == c.host);
    CHECK(url.port == c.port);
    CHECK(url.authority == c.authority);
  }
}

TEST_CASE("refused URLs") {
  struct Case {
    const char* url;
    const char* reason;
  };
  const Case cases[] = {
      {"ftp://x", "scheme must be http or https"},
      {"ws://x:1", "scheme must be http or https"},
      {"://x", "scheme must be http or https"},
      {"localhost:8080", "expected http://host[:port] or https://host[:port]"},
      {"", "expected http://host[:port] or https://host[:port]"},
      {"http://", "missing host"},
      {"http:///", "missing host"},
      {"http://:80", "missing host"},
      {"http://[]:80", "missing host"},
      {"http://user@host", "user info is not allowed"},
      {"http://user:pw@host:80/", "user info is not allowed"},
      {"http://host/api", "a path is not allowed (only a trailing '/')"},
      {"http://host//", "a path is not allowed (only a trailing '/')"},
      {"http://host?x=1", "a query is not allowed"},
      {"http://host/?x=1", "a query is not allowed"},
      {"http://host#f", "a fragment is not allowed"},
      {"http://host/#f", "a fragment is not allowed"},
      {"http://host:0", "port must be a number from 1 to 65535"},
      {"http://host:65536", "port must be a number from 1 to 65535"},
      {"http://host:123456", "port must be a number from 1 to 65535"},
      {"http://host:", "port must be a number from 1 to 65535"},
      {"http://host:8o", "port must be a number from 1 to 65535"},
      {"http://host:-1", "port must be a number from 1 to 65535"},
      {"http://host:+80", "port must be a number from 1 to 65535"},
      {"http://[::1]:", "port must be a number from 1 to 65535"},
      {"http://[::1]x", "unexpected text after ']'"},
      {"http://[::1", "missing ']' after IPv6 address"},
      {"http://[::g]", "invalid IPv6 address"},
      {"http://[127.0.0.1]", "invalid IPv6 address"},
      {"http://256.1.1.1", "invalid IPv4 address"},
      {"http://1.2.3", "invalid IPv4 address"},
      {"http://ho st", "invalid character ' ' in host"},
      {"http://a..b", "invalid host name"},
      {"http://.a", "invalid host name"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.url);
    CHECK(error_of(c.url) == "invalid target URL \"" + std::string(c.url) + "\": " + c.reason);
  }
}
