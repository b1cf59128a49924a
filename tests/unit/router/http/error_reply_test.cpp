// The router's own answers: the one table from ErrorKind to status, body word and metrics label,
// and the reply built from it (request id in header and body, target and fallback tags).
#include <set>
#include <string>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "router/http/error_reply.h"

using namespace strangler;

TEST_CASE("error reply: each kind has its status, body word and label") {
  struct Row {
    ErrorKind kind;
    int status;
    std::string_view error;
    std::string_view label;
    bool refusal;
  };
  const Row rows[] = {
      {ErrorKind::bad_header, 400, "bad request", "bad-header", true},
      {ErrorKind::bad_framing, 400, "bad request", "bad-framing", true},
      {ErrorKind::bad_host, 400, "bad request", "bad-host", true},
      {ErrorKind::bad_target, 400, "bad request", "bad-target", true},
      {ErrorKind::encoded_slash, 400, "bad request", "encoded-slash", true},
      {ErrorKind::uri_too_long, 414, "uri too long", "uri-too-long", true},
      {ErrorKind::header_too_large, 431, "request header fields too large", "header-too-large",
       true},
      {ErrorKind::header_timeout, 408, "request timeout", "header-timeout", true},
      {ErrorKind::body_too_large, 413, "payload too large", "body-too-large", true},
      {ErrorKind::body_timeout, 408, "request timeout", "body-timeout", true},
      {ErrorKind::bad_body, 400, "bad request", "bad-body", true},
      {ErrorKind::upstream_failed, 502, "upstream unavailable", "upstream-failed", false},
      {ErrorKind::upstream_timeout, 504, "upstream unavailable", "upstream-timeout", false},
      {ErrorKind::unavailable, 503, "service unavailable", "unavailable", false},
  };
  std::set<std::string_view> labels;
  for (const auto& row : rows) {
    CAPTURE(row.label);
    const auto& entry = error_class(row.kind);
    CHECK(entry.status == row.status);
    CHECK(entry.error == row.error);
    CHECK(entry.label == row.label);
    CHECK(entry.refusal == row.refusal);
    labels.insert(entry.label);
  }
  CHECK(labels.size() == std::size(rows));  // one label per kind: metrics tell them apart
}

TEST_CASE("error reply: a failover status maps to its kind") {
  CHECK(upstream_error_kind(502) == ErrorKind::upstream_failed);
  CHECK(upstream_error_kind(503) == ErrorKind::unavailable);
  CHECK(upstream_error_kind(504) == ErrorKind::upstream_timeout);
}

TEST_CASE("error reply: the request id is in the header and the body") {
  auto reply = make_error_reply(
      {ErrorKind::bad_framing, "both Content-Length and Transfer-Encoding", "rid-42"}, false, 11);
  CHECK(reply.result_int() == 400);
  CHECK(reply["X-Request-Id"] == "rid-42");
  CHECK(reply[http::field::content_type] == "application/json");
  CHECK(!reply.keep_alive());
  auto body = nlohmann::json::parse(reply.body());
  CHECK(body["error"] == "bad request");
  CHECK(body["reason"] == "both Content-Length and Transfer-Encoding");
  CHECK(body["status"] == 400);
  CHECK(body["request_id"] == "rid-42");
  CHECK_FALSE(body.contains("target"));
}

TEST_CASE("error reply: an upstream failure names the target, the fallback and Retry-After") {
  auto reply = make_error_reply(
      {ErrorKind::unavailable, "breaker-open", "rid-1", "orders-svc", "connect-refused", 7}, true,
      10);
  CHECK(reply.result_int() == 503);
  CHECK(reply.version() == 10);
  CHECK(reply["X-Strangler-Target"] == "orders-svc");
  CHECK(reply["X-Strangler-Fallback"] == "connect-refused");
  CHECK(reply[http::field::retry_after] == "7");
  auto body = nlohmann::json::parse(reply.body());
  CHECK(body["target"] == "orders-svc");
  CHECK(body["error"] == "service unavailable");
}
