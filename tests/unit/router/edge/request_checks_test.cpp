// Unit tests for the strict client edge's byte-level checks (router/edge/request_checks.h): the raw
// header scanner's limits and refusals, fed whole and a byte at a time, and the value checks.
#include "router/edge/request_checks.h"

#include <doctest/doctest.h>

#include <string>

using namespace strangler;

namespace {

HeadScan scan_all(const std::string& bytes, const HeadLimits& limits = {}) {
  RequestHeadScanner scanner(limits);
  return scanner.scan(bytes);
}

// The same bytes arriving one at a time: the scanner resumes and must reach the same verdict.
HeadScan scan_dripped(const std::string& bytes, const HeadLimits& limits = {}) {
  RequestHeadScanner scanner(limits);
  HeadScan last;
  for (std::size_t n = 1; n <= bytes.size(); ++n) {
    last = scanner.scan(std::string_view(bytes).substr(0, n));
    if (last.state != HeadScan::State::incomplete) return last;
  }
  return last;
}

// The same bytes in two reads, the first ending just before byte `split`.
HeadScan scan_split(const std::string& bytes, std::size_t split, const HeadLimits& limits = {}) {
  RequestHeadScanner scanner(limits);
  auto first = scanner.scan(std::string_view(bytes).substr(0, split));
  if (first.state != HeadScan::State::incomplete) return first;
  return scanner.scan(bytes);
}

void check_refused(const std::string& bytes, int status, const HeadLimits& limits = {}) {
  CAPTURE(bytes.substr(0, 80));
  for (const auto& scan : {scan_all(bytes, limits), scan_dripped(bytes, limits)}) {
    CHECK(scan.state == HeadScan::State::refused);
    CHECK(scan.refusal.status == status);
    CHECK(!scan.refusal.reason.empty());
  }
}

}  // namespace

TEST_CASE("request head scanner: a well-formed head is complete at its empty line") {
  const std::string head = "GET /a HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n\r\n";
  const std::string next = "GET /b HTTP/1.1\r\n";
  for (const auto& scan : {scan_all(head + next), scan_dripped(head + next)}) {
    REQUIRE(scan.state == HeadScan::State::complete);
    CHECK(scan.head_size == head.size());
  }
  CHECK(scan_all("GET /a HTTP/1.1\r\nHost: t\r\n").state == HeadScan::State::incomplete);
  // Empty lines before the request line are ignored (RFC 9112 section 2.2).
  CHECK(scan_all("\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n").state == HeadScan::State::complete);
}

TEST_CASE("request head scanner: obs-fold, bare LF and stray CR are refused with 400") {
  check_refused("GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n 2\r\n\r\n", 400);
  check_refused("GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n\t2\r\n\r\n", 400);
  check_refused("GET / HTTP/1.1\r\n Host: t\r\n\r\n", 400);
  check_refused("GET / HTTP/1.1\nHost: t\n\n", 400);
  check_refused("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\nb: c\r\n\r\n", 400);
  check_refused("GET / HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n", 400);
}

TEST_CASE("request head scanner: a request line that cannot start with a method is refused now") {
  // Refused on its first byte, not at the header deadline: no more bytes could make it a request.
  for (const std::string& bytes : {std::string("\0", 1), std::string("\x16\x03\x01\x02\x00"),
                                   std::string(" GET / HTTP/1.1\r\n"), std::string("\r\n{\"a\":1}"),
                                   std::string("(GET / HTTP/1.1\r\n")}) {
    check_refused(bytes, 400);
  }
  // A method is a token: any of its bytes may start one.
  for (const std::string bytes : {"GET", "M-SEARCH", "x", "!", "\r\nPO"}) {
    CAPTURE(bytes);
    CHECK(scan_all(bytes).state == HeadScan::State::incomplete);
  }
}

TEST_CASE("request head scanner: limits give 414 for the request line and 431 for headers") {
  HeadLimits limits;
  limits.max_uri = 100;
  limits.max_field_bytes = 50;
  limits.max_header_bytes = 400;
  limits.max_header_count = 5;
  const std::string long_target = "GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n";
  check_refused(long_target, 414, limits);
  // Refused before the line ends: a client cannot make the router buffer an endless line.
  check_refused("GET /" + std::string(200, 'a'), 414, limits);
  check_refused("GET / HTTP/1.1\r\nX-A: " + std::string(60, 'a') + "\r\n\r\n", 431, limits);
  check_refused("GET / HTTP/1.1\r\nX-A: " + std::string(60, 'a'), 431, limits);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 6; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  check_refused(many + "\r\n", 431, limits);
  std::string big = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 4; ++i)
    big += "X-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  limits.max_header_bytes = 150;
  check_refused(big + "\r\n", 431, limits);
  // Exactly at the limits is fine.
  limits = HeadLimits{};
  limits.max_field_bytes = 10;
  CHECK(scan_all("GET / HTTP/1.1\r\nX-A: 12345\r\n\r\n", limits).state ==
        HeadScan::State::complete);
}

// Found by tests/fuzz/request_head_scanner_fuzzer.cpp (corpus/request_head_scanner/regression-*).
TEST_CASE("request head scanner: the verdict does not depend on how the bytes are split") {
  HeadLimits limits;
  limits.max_uri = 10;
  // A request line of exactly the limit whose CR and LF come in separate reads: its CR once
  // counted against the limit, a 414 that the same bytes in one read did not get.
  const std::string line = "GET /" + std::string(60, 'a') + " HTTP/1.1";
  REQUIRE(line.size() == limits.max_uri + HeadLimits::kRequestLineSlack);
  const std::string head = line + "\r\nHost: t\r\n\r\n";
  for (const auto& scan : {scan_all(head, limits), scan_split(head, line.size() + 1, limits),
                           scan_dripped(head, limits)}) {
    CHECK(scan.state == HeadScan::State::complete);
    CHECK(scan.head_size == head.size());
  }
  // A line past the block limit that ends with a bare LF: a read that stops inside the line sees
  // the block limit first (431), so one read of everything must not answer "bare LF" (400).
  limits = HeadLimits{};
  limits.max_header_bytes = 48;
  const std::string over =
      "GET / HTTP/1.1\r\nHost: t\r\nX-Long: " + std::string(60, 'v') + "\n\r\n";
  for (const auto& scan : {scan_all(over, limits), scan_split(over, 40, limits)}) {
    CHECK(scan.state == HeadScan::State::refused);
    CHECK(scan.refusal.status == 431);
    CHECK(scan.refusal.reason == "request header block over the limit");
  }
}

TEST_CASE("request head scanner: once given, a verdict is given again to every later call") {
  const std::string head = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n";
  RequestHeadScanner complete({});
  REQUIRE(complete.scan(head).state == HeadScan::State::complete);
  // The body or a pipelined request after the head is not scanned as more header lines.
  const auto again = complete.scan(head + "GET /b HTTP/1.1\nX: 1\r\n");
  CHECK(again.state == HeadScan::State::complete);
  CHECK(again.head_size == head.size());

  RequestHeadScanner refused({});
  const std::string bad = "GET / HTTP/1.1\nHost: t\r\n";
  REQUIRE(refused.scan(bad).state == HeadScan::State::refused);
  const auto still = refused.scan(bad + "\r\n");
  CHECK(still.state == HeadScan::State::refused);
  CHECK(still.refusal.status == 400);
}

TEST_CASE("request value checks: Content-Length, Transfer-Encoding and Host") {
  CHECK(content_length_value_ok("0"));
  CHECK(content_length_value_ok("12345"));
  CHECK(content_length_value_ok(" 5 "));
  for (const char* bad :
       {"", "+5", "-1", "5, 5", "0x5", " 5x", "5 5", "1e3", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(content_length_value_ok(bad));
  }
  CHECK(transfer_encoding_value_ok("chunked"));
  CHECK(transfer_encoding_value_ok("Chunked "));
  for (const char* bad : {"gzip", "gzip, chunked", "chunked, gzip", "identity",
                          "\x0b"
                          "chunked",
                          "chunked;q=1", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(transfer_encoding_value_ok(bad));
  }
  for (const char* good : {"", "example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8080",
                           "[fe80::1]", "xn--caf-dma.example", "host:"}) {
    CAPTURE(good);
    CHECK(host_value_ok(good));
  }
  for (const char* bad : {"a b", "a, b", "user@host", "host/path", "host:80:90", "host:8o", "[::1",
                          "[::1]x", "a\\b", "host?q", "host#f", "[]"}) {
    CAPTURE(bad);
    CHECK_FALSE(host_value_ok(bad));
  }
}
