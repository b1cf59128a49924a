// Integration: a strict upstream nobody here wrote. tests/support/h11_echo_upstream.py, built on
// Debian's python3-h11, sits behind the router and echoes each request as JSON; h11 raises on
// anything RFC 9112 forbids, and the script writes every such error to a file. A varied corpus
// (methods, Content-Length and chunked bodies, empty bodies, HEAD, big headers, query strings,
// pipelining, keep-alive reuse, HTTP/1.0, absolute form, 100-continue) goes through the router;
// the test asserts faithful echoes and that h11 found zero errors in what the router sent.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/prometheus.h"
#include "tests/support/raw_http.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

// The echo's body field holds each byte as the code point of the same value (latin-1).
std::string as_latin1_utf8(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    if (b < 0x80) {
      out += static_cast<char>(b);
    } else {
      out += static_cast<char>(0xC0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3F));
    }
  }
  return out;
}

Json echo_of(const RawResponse& response) {
  INFO("response body: " << response.body.substr(0, 300));
  REQUIRE(response.status == 200);
  return Json::parse(response.body);
}

// Every value of header `name` in the echo (h11 lower-cases names).
std::vector<std::string> echoed(const Json& echo, const std::string& name) {
  std::vector<std::string> values;
  for (const auto& pair : echo["headers"]) {
    if (pair[0] == name) values.push_back(pair[1]);
  }
  return values;
}

struct EchoFixture {
  EchoFixture() {
    errors = c.dir() / "h11-errors.txt";
    echo = std::make_unique<ChildProcess>(
        python3_binary(),
        std::vector<std::string>{STRANGLER_TEST_SUPPORT_DIR "/h11_echo_upstream.py",
                                 errors.string()},
        c.log_path("h11-echo"));
    auto port = echo->wait_for_listen("h11-echo listening on");
    c.ctl_ok({"init", "--legacy", "http://127.0.0.1:" + std::to_string(port)});
    c.start_router();
  }

  std::string h11_errors() const {
    std::ifstream in(errors);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::unique_ptr<ChildProcess> echo;  // declared first: outlives the router in `c`
  Cluster c;
  std::filesystem::path errors;
};

std::string request(const std::string& start, const std::string& headers = "",
                    const std::string& body = "") {
  return start + "\r\nHost: shop.example\r\n" + headers + "\r\n" + body;
}

void check_bodies_and_methods(EchoFixture& f) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  const std::string megabyte(1 << 20, 'm');
  struct Case {
    std::string bytes, method, target, body;
  };
  const std::vector<Case> cases = {
      {request("GET /q?a=1&b=%2F&c HTTP/1.1"), "GET", "/q?a=1&b=%2F&c", ""},
      {request("POST /bin HTTP/1.1", "Content-Length: 256\r\n", binary), "POST", "/bin", binary},
      {request("POST /mb HTTP/1.1", "Content-Length: 1048576\r\n", megabyte), "POST", "/mb",
       megabyte},
      {request("POST /chunks HTTP/1.1", "Transfer-Encoding: chunked\r\n",
               "3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n"),
       "POST", "/chunks", "abcdefg"},
      {request("POST /empty-chunked HTTP/1.1", "Transfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       "POST", "/empty-chunked", ""},
      {request("PUT /empty HTTP/1.1", "Content-Length: 0\r\n"), "PUT", "/empty", ""},
      {request("DELETE /orders/7 HTTP/1.1"), "DELETE", "/orders/7", ""},
      {request("PATCH /orders/7 HTTP/1.1", "Content-Length: 9\r\n", "{\"a\": 1}\n"), "PATCH",
       "/orders/7", "{\"a\": 1}\n"},
      {request("OPTIONS * HTTP/1.1"), "OPTIONS", "*", ""},
      {request("GET /with-body HTTP/1.1", "Content-Length: 5\r\n", "hello"), "GET", "/with-body",
       "hello"},
      {request("GET http://elsewhere.example/abs/./x?z=1 HTTP/1.1"), "GET", "/abs/x?z=1", ""},
      {request("POST /continue HTTP/1.1", "Content-Length: 2\r\nExpect: 100-continue\r\n", "ok"),
       "POST", "/continue", "ok"},
      {request("GET /chunked-answer HTTP/1.1", "X-Echo-Chunked: 1\r\n"), "GET", "/chunked-answer",
       ""},
      {"GET /http10 HTTP/1.0\r\n\r\n", "GET", "/http10", ""},
  };
  for (const auto& each : cases) {
    CAPTURE(each.target);
    auto echo = echo_of(raw_request(f.c.router_port(), each.bytes, 10s));
    CHECK(echo["method"] == each.method);
    CHECK(echo["target"] == each.target);
    CHECK(echo["body"] == as_latin1_utf8(each.body));
    CHECK(echoed(echo, "host").size() == 1);
  }
}

}  // namespace

TEST_CASE("h11 upstream: a varied request corpus arrives as valid HTTP/1.1, echoed faithfully") {
  EchoFixture f;
  check_bodies_and_methods(f);

  SUBCASE("big headers arrive byte for byte, hop-by-hop ones do not") {
    std::string headers = "X-Big: " + std::string(7000, 'B') + "\r\n";
    for (int i = 0; i < 90; ++i)
      headers += "X-N" + std::to_string(i) + ": " + std::to_string(i) + "\r\n";
    headers += "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMA\r\n";
    auto echo = echo_of(raw_request(f.c.router_port(), request("GET /big HTTP/1.1", headers)));
    CHECK(echoed(echo, "x-big") == std::vector<std::string>{std::string(7000, 'B')});
    CHECK(echoed(echo, "x-n89") == std::vector<std::string>{"89"});
    CHECK(echoed(echo, "upgrade").empty());
    CHECK(echoed(echo, "http2-settings").empty());
  }

  SUBCASE("pipelined requests, HEAD among them, are answered in order on one connection") {
    RawConnection conn(f.c.router_port(), 10s);
    conn.send(request("GET /p1 HTTP/1.1") + request("HEAD /p2 HTTP/1.1") +
              request("POST /p3 HTTP/1.1", "Content-Length: 3\r\n", "abc") +
              request("GET /p4 HTTP/1.1"));
    CHECK(echo_of(conn.read_response())["target"] == "/p1");
    CHECK(conn.read_response(true).status == 200);
    auto third = echo_of(conn.read_response());
    CHECK(third["target"] == "/p3");
    CHECK(third["body"] == "abc");
    CHECK(echo_of(conn.read_response())["target"] == "/p4");
  }

  SUBCASE("keep-alive: one client connection's requests reuse pooled upstream connections") {
    RawConnection conn(f.c.router_port(), 10s);
    std::set<int> upstream_connections;
    int reused = 0;
    for (int i = 0; i < 10; ++i) {
      conn.send(request("GET /ka/" + std::to_string(i) + " HTTP/1.1"));
      auto echo = echo_of(conn.read_response());
      CHECK(echo["target"] == "/ka/" + std::to_string(i));
      upstream_connections.insert(echo["connection"].get<int>());
      if (echo["request_number"].get<int>() > 1) ++reused;
    }
    MESSAGE(upstream_connections.size() << " upstream connections for 10 requests");
    CHECK(upstream_connections.size() < 10);
    CHECK(reused >= 9);
    conn.send(request("GET /last HTTP/1.1", "Connection: close\r\n"));
    CHECK(echo_of(conn.read_response())["target"] == "/last");
    CHECK(conn.peer_closed(2s));
  }

  INFO("h11 protocol errors:\n" << f.h11_errors());
  CHECK(f.h11_errors().empty());
}
