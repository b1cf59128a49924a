// Header rewrites towards the upstream and towards the client.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "router/http/forwarding_headers.h"

using namespace strangler;

namespace {

std::vector<std::string> values(const http::fields& fields, std::string_view name) {
  std::vector<std::string> out;
  for (auto [it, end] = fields.equal_range(beast::string_view(name.data(), name.size())); it != end;
       ++it) {
    out.emplace_back(to_std(it->value()));
  }
  return out;
}

http::request_header<> sample_request() {
  http::request_header<> request;
  request.method(http::verb::get);
  request.target("/orders/7");
  request.set(http::field::host, "shop.example");
  request.insert(http::field::connection, "keep-alive, X-Secret");
  request.insert("X-Secret", "drop me");
  request.insert(http::field::keep_alive, "timeout=5");
  request.insert(http::field::te, "trailers");
  request.insert(http::field::upgrade, "h2c");
  request.insert("Proxy-Authorization", "Basic abc");
  request.insert(http::field::cookie, "a=b%3Dc");
  request.insert("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  request.insert(http::field::content_length, "0");
  request.insert(http::field::expect, "100-continue");
  return request;
}

}  // namespace

TEST_CASE("hop-by-hop headers and the ones Connection names are removed") {
  auto request = sample_request();
  prepare_upstream_request(request, {"10.1.2.3"});
  for (auto name : {"Connection", "X-Secret", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization",
                    "Content-Length", "Expect"}) {
    CHECK_MESSAGE(values(request, name).empty(), name);
  }
}

TEST_CASE("end-to-end headers pass byte for byte") {
  auto request = sample_request();
  prepare_upstream_request(request, {"10.1.2.3"});
  CHECK(values(request, "Cookie") == std::vector<std::string>{"a=b%3Dc"});
  CHECK(values(request, "traceparent") ==
        std::vector<std::string>{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"});
  CHECK(values(request, "Host") == std::vector<std::string>{"shop.example"});
}

TEST_CASE("forwarding headers are added or appended") {
  auto request = sample_request();
  request.insert("X-Forwarded-For", "1.1.1.1");
  request.insert("X-Forwarded-For", "2.2.2.2");
  request.insert(http::field::via, "1.0 edge");
  prepare_upstream_request(request, {"10.1.2.3"});
  CHECK(values(request, "X-Forwarded-For") ==
        std::vector<std::string>{"1.1.1.1, 2.2.2.2, 10.1.2.3"});
  CHECK(values(request, "X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(values(request, "X-Forwarded-Host") == std::vector<std::string>{"shop.example"});
  CHECK(values(request, "Via") == std::vector<std::string>{"1.0 edge, 1.1 strangler"});
}

TEST_CASE("from an untrusted peer: X-Forwarded-Proto/-Host set, Forwarded replaced") {
  auto request = sample_request();
  request.insert("X-Forwarded-Proto", "https");
  request.insert("X-Forwarded-Host", "evil.example");
  request.insert("X-Forwarded-For", "198.51.100.1");
  request.insert("Forwarded", "for=198.51.100.1;proto=https");
  prepare_upstream_request(request, {"10.1.2.3", {}, false});
  CHECK(values(request, "X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(values(request, "X-Forwarded-Host") == std::vector<std::string>{"shop.example"});
  CHECK(values(request, "X-Forwarded-For") == std::vector<std::string>{"198.51.100.1, 10.1.2.3"});
  CHECK(values(request, "Forwarded") ==
        std::vector<std::string>{"for=10.1.2.3;proto=http;host=shop.example"});
}

TEST_CASE("from a trusted proxy: X-Forwarded-Proto/-Host kept, both client lists appended") {
  struct Row {
    const char* name;
    std::vector<std::pair<std::string, std::string>> sent;
    std::vector<std::pair<std::string, std::string>> forwarded;  // name and the one value after
  };
  const Row rows[] = {
      {"a load balancer that sent everything",
       {{"X-Forwarded-Proto", "https"},
        {"X-Forwarded-Host", "www.example"},
        {"X-Forwarded-For", "198.51.100.1"},
        {"Forwarded", "for=198.51.100.1;proto=https;host=www.example"}},
       {{"X-Forwarded-Proto", "https"},
        {"X-Forwarded-Host", "www.example"},
        {"X-Forwarded-For", "198.51.100.1, 10.1.2.3"},
        {"Forwarded",
         "for=198.51.100.1;proto=https;host=www.example, "
         "for=10.1.2.3;proto=http;host=shop.example"}}},
      {"repeated headers are joined before appending",
       {{"X-Forwarded-For", "198.51.100.1"},
        {"X-Forwarded-For", "10.0.0.9"},
        {"Forwarded", "for=198.51.100.1"},
        {"Forwarded", "for=10.0.0.9"}},
       {{"X-Forwarded-For", "198.51.100.1, 10.0.0.9, 10.1.2.3"},
        {"Forwarded", "for=198.51.100.1, for=10.0.0.9, for=10.1.2.3;proto=http;host=shop.example"},
        {"X-Forwarded-Proto", "http"},
        {"X-Forwarded-Host", "shop.example"}}},
      {"a proxy that sent nothing: the router's own view",
       {},
       {{"X-Forwarded-Proto", "http"},
        {"X-Forwarded-Host", "shop.example"},
        {"X-Forwarded-For", "10.1.2.3"},
        {"Forwarded", "for=10.1.2.3;proto=http;host=shop.example"}}},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto request = sample_request();
    for (const auto& [name, value] : row.sent) request.insert(name, value);
    prepare_upstream_request(request, {"10.1.2.3", {}, true});
    for (const auto& [name, value] : row.forwarded) {
      CAPTURE(name);
      CHECK(values(request, name) == std::vector<std::string>{value});
    }
  }
}

TEST_CASE("an IPv6 peer is quoted in brackets in Forwarded, bare in X-Forwarded-For") {
  auto request = sample_request();
  prepare_upstream_request(request, {"2001:db8::7", {}, true});
  CHECK(values(request, "X-Forwarded-For") == std::vector<std::string>{"2001:db8::7"});
  CHECK(values(request, "Forwarded") ==
        std::vector<std::string>{"for=\"[2001:db8::7]\";proto=http;host=shop.example"});
}

TEST_CASE("a sane X-Request-Id is kept, a missing or odd one replaced") {
  auto kept = sample_request();
  kept.insert("X-Request-Id", "abc-123");
  CHECK(prepare_upstream_request(kept, {"10.1.2.3"}) == "abc-123");
  CHECK(values(kept, "X-Request-Id") == std::vector<std::string>{"abc-123"});

  auto missing = sample_request();
  auto id = prepare_upstream_request(missing, {"10.1.2.3"});
  CHECK(id.size() == 32);
  CHECK(values(missing, "X-Request-Id") == std::vector<std::string>{id});

  auto odd = sample_request();
  odd.insert("X-Request-Id", "has space");
  auto replaced = prepare_upstream_request(odd, {"10.1.2.3"});
  CHECK(replaced != "has space");
  CHECK(values(odd, "X-Request-Id") == std::vector<std::string>{replaced});
}

TEST_CASE("responses lose hop-by-hop headers and gain the target tag") {
  http::response_header<> response;
  response.result(http::status::ok);
  response.insert(http::field::connection, "close, X-Internal");
  response.insert("X-Internal", "1");
  response.insert(http::field::transfer_encoding, "chunked");
  response.insert(http::field::set_cookie, "s=1; Path=/");
  prepare_client_response(response, {"orders", "rid-1"});
  CHECK(values(response, "Connection").empty());
  CHECK(values(response, "X-Internal").empty());
  CHECK(values(response, "Transfer-Encoding").empty());
  CHECK(values(response, "Set-Cookie") == std::vector<std::string>{"s=1; Path=/"});
  CHECK(values(response, "X-Strangler-Target") == std::vector<std::string>{"orders"});
  CHECK(values(response, "X-Request-Id") == std::vector<std::string>{"rid-1"});

  http::response_header<> untagged;
  prepare_client_response(untagged, {"", "rid-2"});
  CHECK(values(untagged, "X-Strangler-Target").empty());
}
