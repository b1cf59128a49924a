// Integration: the harness itself — process control, the recording upstream and the raw client —
// so that a failure elsewhere points at a binary, not at the test tools.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "tests/support/child_process.h"
#include "tests/support/raw_http.h"
#include "tests/support/recording_upstream.h"
#include "tests/support/temp_dir.h"

using namespace strangler::test;
using namespace std::chrono_literals;

TEST_CASE("harness: a child's port is parsed from stdout and SIGTERM stops it") {
  TempDir dir;
  ChildProcess child("/bin/sh",
                     {"-c",
                      "echo oops >&2; echo 'thing listening on http://127.0.0.1:4321'; "
                      "exec sleep 30"},
                     dir / "sh.log");
  CHECK(child.wait_for_listen("thing listening on") == 4321);
  CHECK(child.stderr_text() == "oops\n");
  CHECK(child.stop(2s) == 128 + SIGTERM);
  CHECK(::kill(child.pid(), 0) != 0);  // reaped, gone
}

TEST_CASE("harness: run_process captures exit status, stdout and stderr") {
  auto r = run_process("/bin/sh", {"-c", "echo out; echo err >&2; exit 3"});
  CHECK(r.exit_code == 3);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  CHECK_THROWS(run_process("/bin/sh", {"-c", "exec sleep 30"}, 200ms));
}

TEST_CASE("harness: recording upstream keeps exact bytes over keep-alive, sized and chunked") {
  RecordingUpstream upstream([](const RecordedRequest& r) {
    return RecordingUpstream::response(201, {{"X-Echo", r.head.get("Cookie").value_or("")}}, r.body,
                                       r.method == "PUT");
  });
  RawConnection conn(upstream.port());
  conn.send(
      "POST /a?x=%2F HTTP/1.1\r\nHost: h\r\nCookie:  a=b%3Dc \r\nContent-Length: 5\r\n\r\nhello");
  auto r1 = conn.read_response();
  conn.send("PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" +
            chunk_encode("chunked body", 5));
  auto r2 = conn.read_response();
  CHECK(r1.status == 201);
  CHECK(r1.body == "hello");
  CHECK(r1.header("X-Echo") == "a=b%3Dc");
  CHECK(r2.body == "chunked body");
  CHECK(r2.head.has_token("Transfer-Encoding", "chunked"));
  auto reqs = upstream.wait_for_requests(2);
  CHECK(reqs[0].target == "/a?x=%2F");
  CHECK(reqs[0].raw.find("\r\nCookie:  a=b%3Dc \r\n") != std::string::npos);
  CHECK(reqs[1].method == "PUT");
  CHECK(reqs[1].body == "chunked body");
  CHECK(reqs[0].connection == reqs[1].connection);
  CHECK(upstream.connections_accepted() == 1);
}

TEST_CASE("harness: an unused port refuses connections") {
  CHECK_THROWS(RawConnection(unused_loopback_port(), 1s));
}
