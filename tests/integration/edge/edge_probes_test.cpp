// Integration: the strict client edge probed with raw sockets against the real router.
//
// Each hostile probe sends exact bytes on a fresh connection and asserts the status and that the
// router then closes the connection; the upstream behind it is a RecordingUpstream, and a probe
// fails if the upstream received even one byte because of it. The accepted probes check what
// the router forwards: the normalized path plus the query as sent, absolute-form targets routed
// by their path, h2c upgrade headers dropped, bodies of GET and HEAD forwarded faithfully and
// never left on the connection, pipelined requests answered in order.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/raw_http.h"
#include "tests/support/recording_cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

struct Probe {
  const char* name;
  std::string bytes;
  int status;
};

const std::string kHost = "Host: t\r\n";
const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

std::string post(const std::string& headers, const std::string& body) {
  return "POST /p HTTP/1.1\r\n" + kHost + headers + "\r\n" + body;
}

std::string chunked(const std::string& body) {
  return post("Transfer-Encoding: chunked\r\n", body);
}

std::string get_with(const std::string& headers) {
  return "GET /g HTTP/1.1\r\n" + headers + "\r\n";
}

std::string get_path(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\n" + kHost + "\r\n";
}

std::vector<Probe> framing_probes() {
  return {
      {"CL and TE", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
      {"two CL", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400},
      {"CL list", post("Content-Length: 5, 5\r\n", "hello"), 400},
      {"CL +5", post("Content-Length: +5\r\n", "hello"), 400},
      {"CL ' 5x'", post("Content-Length:  5x\r\n", "hello"), 400},
      {"CL hex", post("Content-Length: 0x5\r\n", "hello"), 400},
      {"CL negative", post("Content-Length: -1\r\n", "hello"), 400},
      {"CL 2^64", post("Content-Length: 18446744073709551616\r\n", "hello"), 400},
      {"TE gzip", post("Transfer-Encoding: gzip\r\n", "hello" + kSmuggled), 400},
      {"TE gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"), 400},
      {"TE chunked, gzip", post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), 400},
      {"TE twice",
       post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
      {"TE vertical tab",
       post("Transfer-Encoding: \x0b"
            "chunked\r\n",
            "0\r\n\r\n"),
       400},
      {"TE in HTTP/1.0", "POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"chunk size not hex", chunked("zz\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk size overflow", chunked("1ffffffffffffffff\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk size negative", chunked("-5\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk size 0x", chunked("0x5\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk extension control byte", chunked("5;\x01\r\nhello\r\n0\r\n\r\n"), 400},
      {"chunk data without CRLF", chunked("5\r\nhelloXX0\r\n\r\n" + kSmuggled), 400},
      {"chunk line ended by bare LF", chunked("5\nhello\r\n0\r\n\r\n"), 400},
      {"bad trailer line", chunked("5\r\nhello\r\n0\r\nBad Trailer\r\n\r\n"), 400},
  };
}

std::vector<Probe> header_probes() {
  return {
      {"space before colon", get_with(kHost + "X-A : 1\r\n"), 400},
      {"tab before colon", get_with(kHost + "X-A\t: 1\r\n"), 400},
      {"obs-fold space", get_with(kHost + "X-A: 1\r\n 2\r\n"), 400},
      {"obs-fold tab", get_with(kHost + "X-A: 1\r\n\t2\r\n"), 400},
      {"space before first header", "GET /g HTTP/1.1\r\n Host: t\r\n\r\n", 400},
      {"line without colon", get_with(kHost + "NoColon\r\n"), 400},
      {"empty name", get_with(kHost + ": v\r\n"), 400},
      {"CR in value", get_with(kHost + "X-A: a\rb\r\n"), 400},
      {"LF in value", get_with(kHost + "X-A: a\nb: c\r\n"), 400},
      {"NUL in value", get_with(kHost + std::string("X-A: a\0b\r\n", 10)), 400},
      {"control byte in value", get_with(kHost + "X-A: a\x01z\r\n"), 400},
      {"bare LF lines", "GET /g HTTP/1.1\nHost: t\n\n", 400},
      {"HTTP/1.1 without Host", get_with(""), 400},
      {"two Hosts", get_with("Host: a\r\nHost: b\r\n"), 400},
      {"Host list", get_with("Host: a, b\r\n"), 400},
      {"Host with userinfo", get_with("Host: user@evil\r\n"), 400},
      {"Host with space", get_with("Host: a b\r\n"), 400},
      {"control byte in method", "G\x01T /g HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"HTTP/2.0 version", "GET /g HTTP/2.0\r\nHost: t\r\n\r\n", 400},
      {"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
      {"CONNECT", "CONNECT evil:443 HTTP/1.1\r\nHost: evil:443\r\n\r\n", 400},
      {"GET *", get_path("*"), 400},
  };
}

std::vector<Probe> path_probes() {
  return {
      {"dot-dot above root", get_path("/../etc/passwd"), 400},
      {"encoded dot-dot above root", get_path("/a/%2e%2E/../b"), 400},
      // %2F, %5C and %3B are kept by default: encoded_path_test.cpp
      {"%3F", get_path("/a%3Fb"), 400},
      {"%23", get_path("/a%23b"), 400},
      {"%00", get_path("/a%00b"), 400},
      {"%u escape", get_path("/a%u0041"), 400},
      {"invalid escape", get_path("/a%zz"), 400},
      {"truncated escape", get_path("/a%4"), 400},
      {"backslash", get_path("/a\\b"), 400},
      {"fragment", get_path("/a#b"), 400},
      {"absolute form without path", get_path("http://evil?x"), 400},
  };
}

std::vector<Probe> limit_probes() {
  std::string many;
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  std::string big_block;
  for (int i = 0; i < 10; ++i)
    big_block += "X-" + std::to_string(i) + ": " + std::string(7000, 'b') + "\r\n";
  return {
      {"URI over 8 KiB", get_path("/" + std::string(9000, 'u')), 414},
      {"request line over 64 KiB", get_path("/" + std::string(70000, 'u')), 414},
      {"one header over 8 KiB", get_with(kHost + "X-A: " + std::string(9000, 'h') + "\r\n"), 431},
      {"header block over 64 KiB", get_with(kHost + big_block), 431},
      {"101 headers", get_with(kHost + many), 431},
      {"Content-Length over --max-body", post("Content-Length: 20000000\r\n", "hello"), 413},
      {"chunk over --max-body", chunked("1000000\r\nhello"), 413},
  };
}

void run_hostile(RecordingCluster& rc, const Probe& probe) {
  INFO("probe: " << std::string(probe.name));
  const auto bytes_before = rc.upstream.bytes_received();
  RawConnection conn(rc.c.router_port(), 5s);
  conn.send(probe.bytes);
  auto response = conn.read_response();
  CHECK(response.status == probe.status);
  CHECK(conn.peer_closed(2s));
  CHECK(rc.upstream.bytes_received() == bytes_before);
}

// The upstream answers with the target it received, so tests see order and normalization.
std::string echo_target(const RecordedRequest& r) {
  return RecordingUpstream::response(200, {}, r.target);
}

}  // namespace

TEST_CASE("edge probes: hostile requests are refused, closed, and never reach the upstream") {
  RecordingCluster rc(echo_target);
  std::size_t probes = 0;
  for (const auto& table : {framing_probes(), header_probes(), path_probes(), limit_probes()}) {
    for (const auto& probe : table) {
      run_hostile(rc, probe);
      ++probes;
    }
  }
  MESSAGE(probes << " hostile probes");
  CHECK(rc.upstream.requests().empty());
  CHECK(raw_request(rc.c.router_port(), get_path("/after")).status == 200);
  CHECK(rc.upstream.wait_for_requests(1).at(0).target == "/after");
}

TEST_CASE("edge probes: the upstream gets the normalized path, the query as sent") {
  RecordingCluster rc(echo_target);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/a/./b//c/%7Euser/%41%62", "/a/b/c/~user/Ab"},
      {"/a/b/../c?x=%2F&y=../..&z", "/a/c?x=%2F&y=../..&z"},
      {"//double//slashes/", "/double/slashes/"},
      {"/caf\xC3\xA9", "/caf%C3%A9"},
      {"http://evil.example:9999/x/../y?q=1", "/y?q=1"},
      {"HTTPS://evil.example", "/"},
      // Short targets too (kept inside std::string itself, not on the heap).
      {"/./b?q", "/b?q"},
      {"/a//?x=1", "/a/?x=1"},
      {"/\xC3\xA9?q=1", "/%C3%A9?q=1"},  // the normalized path is longer than the one sent
  };
  for (const auto& [sent, forwarded] : cases) {
    CAPTURE(sent);
    auto response = raw_request(rc.c.router_port(), get_path(sent));
    CHECK(response.status == 200);
    CHECK(response.body == forwarded);
  }
  // Absolute form never picks the host: the upstream sees the client's Host, not evil.example.
  for (const auto& r : rc.upstream.wait_for_requests(cases.size())) {
    CHECK(r.head.get("Host").value_or("") == "t");
  }
}

TEST_CASE("edge probes: h2c upgrade and connection-nominated headers are not forwarded") {
  RecordingCluster rc;
  auto response = raw_request(rc.c.router_port(),
                              "GET /up HTTP/1.1\r\nHost: t\r\nConnection: Upgrade, HTTP2-Settings, "
                              "X-Secret\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
                              "X-Secret: s\r\nX-Kept: k\r\n\r\n");
  CHECK(response.status == 200);
  auto forwarded = rc.upstream.wait_for_requests(1).at(0);
  for (const char* dropped : {"Upgrade", "HTTP2-Settings", "X-Secret", "Connection"}) {
    CAPTURE(dropped);
    CHECK_FALSE(forwarded.head.get(dropped).has_value());
  }
  CHECK(forwarded.head.get("X-Kept").value_or("") == "k");
  // An un-nominated HTTP2-Settings is dropped as well.
  raw_request(rc.c.router_port(), "GET /up2 HTTP/1.1\r\nHost: t\r\nHTTP2-Settings: x\r\n\r\n");
  CHECK_FALSE(rc.upstream.wait_for_requests(2).at(1).head.get("HTTP2-Settings").has_value());
}

TEST_CASE("edge probes: GET and HEAD bodies are forwarded, pipelined requests answered in order") {
  RecordingCluster rc(echo_target);
  RawConnection conn(rc.c.router_port(), 5s);
  // One packet: a GET with a body, a HEAD with a body, then two plain GETs.
  conn.send("GET /one HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
            std::string("HEAD /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc") +
            get_path("/three") + get_path("/four"));
  CHECK(conn.read_response().body == "/one");
  CHECK(conn.read_response(true).status == 200);
  CHECK(conn.read_response().body == "/three");
  CHECK(conn.read_response().body == "/four");
  auto forwarded = rc.upstream.wait_for_requests(4);
  REQUIRE(forwarded.size() == 4);
  CHECK(forwarded[0].method == "GET");
  CHECK(forwarded[0].body == "hello");
  CHECK(forwarded[1].method == "HEAD");
  CHECK(forwarded[1].body == "abc");
  CHECK(forwarded[2].target == "/three");
  CHECK(forwarded[3].target == "/four");
  // Still open and in step: one more request on the connection gets its own answer.
  conn.send(get_path("/five"));
  CHECK(conn.read_response().body == "/five");
}

TEST_CASE("edge probes: an HTTP/1.0 request without Host gets one before going upstream") {
  RecordingCluster rc(echo_target);
  auto response = raw_request(rc.c.router_port(), "GET /old HTTP/1.0\r\n\r\n");
  CHECK(response.status == 200);
  auto forwarded = rc.upstream.wait_for_requests(1).at(0);
  CHECK(forwarded.head.get("Host").value_or("") ==
        "127.0.0.1:" + std::to_string(rc.upstream.port()));
}

TEST_CASE("edge probes: the limits follow the router's options") {
  RecordingCluster rc(
      echo_target, {"--max-uri-bytes", "100", "--max-field-bytes", "100", "--max-header-count", "3",
                    "--max-header-bytes", "200", "--max-body", "10"});
  auto status_of = [&](const std::string& request) {
    RawConnection conn(rc.c.router_port(), 5s);
    conn.send(request);
    return conn.read_response().status;
  };
  CHECK(status_of(get_path("/" + std::string(90, 'u'))) == 200);
  CHECK(status_of(get_path("/" + std::string(120, 'u'))) == 414);
  CHECK(status_of(get_with(kHost + "X-A: " + std::string(80, 'h') + "\r\n")) == 200);
  CHECK(status_of(get_with(kHost + "X-A: " + std::string(120, 'h') + "\r\n")) == 431);
  CHECK(status_of(get_with(kHost + "X-1: 1\r\nX-2: 2\r\n")) == 200);
  CHECK(status_of(get_with(kHost + "X-1: 1\r\nX-2: 2\r\nX-3: 3\r\n")) == 431);
  std::string block;
  for (int i = 0; i < 2; ++i)
    block += "X-" + std::to_string(i) + ": " + std::string(90, 'b') + "\r\n";
  CHECK(status_of(get_with(kHost + block)) == 431);  // each line fits, the block does not
  CHECK(status_of(post("Content-Length: 10\r\n", "0123456789")) == 200);
  CHECK(status_of(post("Content-Length: 11\r\n", "0123456789A")) == 413);
  CHECK(status_of(chunked("b\r\n0123456789A\r\n0\r\n\r\n")) == 413);
}

TEST_CASE("edge probes: the admin listener never shares the proxy's port, on any address") {
  Cluster c;
  c.ctl_ok({"init", "--legacy", "http://127.0.0.1:9"});
  const auto port = std::to_string(unused_loopback_port());
  auto result = run_process(STRANGLER_ROUTER_BIN, {"--db", c.db(), "--listen", "127.0.0.1:" + port,
                                                   "--admin", "127.0.0.2:" + port});
  INFO(result.describe());
  CHECK(result.exit_code == 1);
  CHECK(is_one_line(result.err));
  CHECK(result.err.find("proxy's port") != std::string::npos);
}
