// Integration: hop-by-hop headers are removed in both directions (Connection and the headers it
// names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*), and the
// router adds X-Forwarded-For (appended), X-Forwarded-Proto, X-Forwarded-Host and Via, and keeps
// or generates X-Request-Id.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/recording_cluster.h"
#include "tests/support/recording_upstream.h"

using namespace strangler::test;

namespace {

// All values of a header joined as one list ("a, b"), as RFC 9110 allows a recipient to read it.
std::string joined(const HttpHead& head, const std::string& name) {
  std::string out;
  for (const auto& v : head.get_all(name)) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

TEST_CASE("forwarding: hop-by-hop request headers are removed, end-to-end ones kept") {
  RecordingCluster rc;
  auto res = raw_request(rc.c.router_port(),
                         "GET /hop HTTP/1.1\r\n"
                         "Host: front.example:8080\r\n"
                         "Connection: keep-alive, X-Hop-Custom, x-hop-lower\r\n"
                         "X-Hop-Custom: secret\r\n"
                         "X-Hop-Lower: secret too\r\n"
                         "Keep-Alive: timeout=5\r\n"
                         "Proxy-Connection: keep-alive\r\n"
                         "TE: trailers\r\n"
                         "Trailer: X-Checksum\r\n"
                         "Upgrade: h2c\r\n"
                         "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                         "Proxy-Foo: bar\r\n"
                         "X-Keep: yes\r\n"
                         "Authorization: Bearer end-to-end\r\n"
                         "\r\n");
  CHECK(res.status == 200);
  auto r = rc.upstream.wait_for_requests(1).at(0);
  INFO(r.head.raw);
  for (const char* gone :
       {"X-Hop-Custom", "X-Hop-Lower", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Upgrade",
        "Proxy-Authorization", "Proxy-Foo", "Transfer-Encoding"}) {
    CAPTURE(gone);
    CHECK_FALSE(r.head.has(gone));
  }
  // The router may add a Connection header of its own, but never forwards the client's.
  for (const auto& value : r.head.get_all("Connection")) {
    CAPTURE(value);
    CHECK((iequals(value, "keep-alive") || iequals(value, "close")));
  }
  CHECK(r.head.get("X-Keep") == "yes");
  CHECK(r.head.get("Authorization") == "Bearer end-to-end");
}

TEST_CASE("forwarding: X-Forwarded-*, Via and X-Request-Id are added") {
  RecordingCluster rc;
  RawConnection conn(rc.c.router_port());
  conn.send(
      "GET /one HTTP/1.1\r\nHost: front.example:8080\r\n"
      "X-Forwarded-For: 203.0.113.9\r\nX-Request-Id: req-abc-123\r\n\r\n");
  CHECK(conn.read_response().status == 200);
  conn.send("GET /two HTTP/1.1\r\nHost: shop.example\r\n\r\n");
  CHECK(conn.read_response().status == 200);
  conn.send("GET /three HTTP/1.1\r\nHost: shop.example\r\n\r\n");
  CHECK(conn.read_response().status == 200);
  auto reqs = rc.upstream.wait_for_requests(3);
  const auto& one = reqs[0].head;
  const auto& two = reqs[1].head;
  const auto& three = reqs[2].head;
  INFO(one.raw, two.raw);

  CHECK(joined(one, "X-Forwarded-For") == "203.0.113.9, 127.0.0.1");
  CHECK(joined(two, "X-Forwarded-For") == "127.0.0.1");
  CHECK(one.get("X-Forwarded-Proto") == "http");
  CHECK(one.get("X-Forwarded-Host") == "front.example:8080");
  CHECK(two.get("X-Forwarded-Host") == "shop.example");
  auto via = one.get("Via").value_or("");
  CHECK(via.rfind("1.1 ", 0) == 0);
  CHECK(via.size() > 4);

  CHECK(one.get_all("X-Request-Id") == std::vector<std::string>{"req-abc-123"});
  auto generated_two = two.get("X-Request-Id").value_or("");
  auto generated_three = three.get("X-Request-Id").value_or("");
  CHECK(generated_two.size() >= 8);
  CHECK(generated_three.size() >= 8);
  CHECK(generated_two != generated_three);
}

TEST_CASE("forwarding: Via is appended to the client's, traceparent passed on") {
  RecordingCluster rc;
  const std::string traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  raw_request(rc.c.router_port(), "GET /via HTTP/1.1\r\nHost: t\r\nVia: 1.0 fred\r\ntraceparent: " +
                                      traceparent + "\r\n\r\n");
  auto r = rc.upstream.wait_for_requests(1).at(0);
  INFO(r.head.raw);
  auto via = joined(r.head, "Via");
  CHECK(via.rfind("1.0 fred, 1.1 ", 0) == 0);
  CHECK(r.head.get("traceparent") == traceparent);
}

TEST_CASE("forwarding: hop-by-hop response headers are removed too") {
  RecordingCluster rc([](const RecordedRequest&) {
    return RecordingUpstream::response(200,
                                       {{"Connection", "X-Resp-Hop"},
                                        {"X-Resp-Hop", "internal"},
                                        {"Keep-Alive", "timeout=99, max=7"},
                                        {"Proxy-Authenticate", "Basic realm=up"},
                                        {"X-Resp-Keep", "visible"}},
                                       "body");
  });
  auto res = raw_request(rc.c.router_port(), "GET /r HTTP/1.1\r\nHost: t\r\n\r\n");
  INFO(res.head.raw);
  CHECK(res.status == 200);
  CHECK(res.body == "body");
  CHECK(res.header("X-Resp-Keep") == "visible");
  CHECK_FALSE(res.head.has("X-Resp-Hop"));
  CHECK_FALSE(res.head.has("Proxy-Authenticate"));
  CHECK(res.header("Keep-Alive").value_or("") != "timeout=99, max=7");
  CHECK_FALSE(res.head.has_token("Connection", "X-Resp-Hop"));
}
