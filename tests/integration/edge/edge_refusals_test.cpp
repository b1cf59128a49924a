// Integration: what the edge refuses is visible. A request refused while its head is read (bad
// framing, a long target, an oversized header) or because its path cannot be made safe is
// answered with its request id in the body and header, counted in /metrics by status and reason,
// and written to the access log — and never reaches the upstream.
#include <doctest/doctest.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/raw_http.h"
#include "tests/support/recording_cluster.h"
#include "tests/support/router_files.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

struct Refused {
  std::string name;
  std::string bytes;
  int status;
  std::string reason;  // the metrics and access-log label
};

}  // namespace

TEST_CASE("edge refusals: answered with a request id, counted in /metrics, logged") {
  TempDir logs;
  auto log = logs.path() / "access.log";
  RecordingCluster rc({}, {"--access-log", log.string(), "--max-uri-bytes", "1024"});
  const std::vector<Refused> probes = {
      {"bad Content-Length", "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 0x5\r\n\r\nhello", 400,
       "bad-framing"},
      {"long target", "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n", 414,
       "uri-too-long"},
      {"encoded NUL", "GET /a%00b HTTP/1.1\r\nHost: t\r\n\r\n", 400, "bad-target"},
      {"obs-fold", "GET /g HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n", 400, "bad-header"},
      // Answered at once (raw_request's 5 s, not the 30 s header deadline): no more bytes could
      // make either a request.
      {"no HTTP version", "GET / \r\n\r\n", 400, "bad-header"},
      {"NUL first", std::string("\0GET / HTTP/1.1\r\n\r\n", 19), 400, "bad-header"},
  };
  std::map<std::string, int> refused;  // by "status/reason": what /metrics must count by now
  for (const auto& probe : probes) {
    CAPTURE(probe.name);
    auto response = raw_request(rc.c.router_port(), probe.bytes);
    CHECK(response.status == probe.status);
    auto id = response.header("X-Request-Id");
    REQUIRE(id);
    CHECK(id->size() == 32);
    auto body = nlohmann::json::parse(response.body);
    CHECK(body["request_id"] == *id);
    CHECK(body["status"] == probe.status);

    auto count = ++refused[std::to_string(probe.status) + "/" + probe.reason];
    std::string sample = "strangler_refusals_total{code=\"" + std::to_string(probe.status) +
                         "\",reason=\"" + probe.reason + "\"} " + std::to_string(count) + "\n";
    CHECK_MESSAGE(
        wait_until([&] { return metrics_text(rc.c).find(sample) != std::string::npos; }, 5s),
        sample);
    nlohmann::json line;
    CHECK(wait_until(
        [&] {
          line = log_line_of(log, *id);
          return !line.is_null();
        },
        5s));
    CHECK(line["status"] == probe.status);
    CHECK(line["refusal"] == probe.reason);
  }
  CHECK(rc.upstream.bytes_received() == 0);
}

TEST_CASE("edge refusals: a client's sane X-Request-Id is kept in the refusal") {
  RecordingCluster rc;
  // Transfer-Encoding: gzip is refused after the head is parsed, so its headers are known.
  auto response = raw_request(rc.c.router_port(),
                              "POST /p HTTP/1.1\r\nHost: t\r\nX-Request-Id: trace-77\r\n"
                              "Transfer-Encoding: gzip\r\n\r\nab");
  CHECK(response.status == 400);
  CHECK(response.header("X-Request-Id") == "trace-77");
  CHECK(nlohmann::json::parse(response.body)["request_id"] == "trace-77");
}

TEST_CASE("edge refusals: a stray byte after a complete request gets its 400 at once") {
  RecordingCluster rc;
  RawConnection connection(rc.c.router_port());
  connection.send(std::string("GET /a HTTP/1.1\r\nHost: t\r\n\r\n\0", 29));
  CHECK(connection.read_response().status == 200);
  CHECK(connection.read_response().status == 400);  // within RawConnection's 5 s, not at 30 s
  CHECK(connection.peer_closed(std::chrono::seconds(5)));
}
