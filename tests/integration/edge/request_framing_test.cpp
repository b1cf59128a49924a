// Integration: requests whose framing is ambiguous or broken (the classic smuggling shapes) are
// answered 400 and the connection is closed; nothing reaches the upstream, so bytes hidden in a
// body can never become a second request.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "tests/support/raw_http.h"
#include "tests/support/recording_cluster.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

void check_rejected(RecordingCluster& rc, const std::string& request) {
  CAPTURE(request);
  RawConnection conn(rc.c.router_port(), 3s);
  conn.send(request);
  auto res = conn.read_response();
  CHECK(res.status == 400);
  CHECK(conn.peer_closed(1s));
}

}  // namespace

TEST_CASE("framing: ambiguous or broken request framing is refused with 400 and a close") {
  RecordingCluster rc;
  check_rejected(rc,
                 "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                     kSmuggled);
  check_rejected(rc,
                 "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\n"
                 "hello" +
                     kSmuggled);
  check_rejected(rc, "POST /c HTTP/1.1\r\nHost: t\r\nContent-Length : 5\r\n\r\nhello" + kSmuggled);
  check_rejected(rc,
                 "POST /d HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "zz\r\nhello\r\n0\r\n\r\n");
  check_rejected(rc,
                 "POST /e HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\nhello" + kSmuggled);
  check_rejected(rc, "GET /f HTTP/1.1\r\n\r\n");                        // no Host
  check_rejected(rc, "GET /g HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");  // two Hosts
  check_rejected(rc,
                 "GET /h HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01"
                 "b\r\n\r\n");  // control byte
  // None of them, nor anything hidden in their bodies, reached the upstream.
  CHECK(rc.upstream.requests().empty());
  // The router is fine afterwards.
  CHECK(raw_request(rc.c.router_port(), "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n").status == 200);
  CHECK(rc.upstream.wait_for_requests(1).size() == 1);
}
