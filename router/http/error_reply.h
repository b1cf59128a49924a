// The router's own answers (400, 408, 413, 414, 431, 502, 503, 504) from one table: what went
// wrong (ErrorKind) decides the status, the "error" word of the JSON body and the label that
// /metrics counts refusals by. The label set is fixed here, so a client cannot grow it.
//
// Every reply carries the request id (header and body); replies about an upstream name the
// target and, when the failure came from the fallback, the primary's fallback reason.
#pragma once

#include <cstdint>
#include <string_view>

#include "router/net/asio.h"
#include "router/net/timed_stream.h"

namespace strangler {

enum class ErrorKind : std::uint8_t {
  // Refused at the edge: the client sent something the router will not forward.
  bad_header,        // malformed head (obs-fold, bare LF, a parser error)
  bad_framing,       // Content-Length / Transfer-Encoding the router does not accept
  bad_host,          // missing, repeated or malformed Host
  bad_target,        // a request target or path that cannot be made safe
  encoded_slash,     // %2F, %5C or %3B in the path, refused under --encoded-slash reject
  uri_too_long,      // request target over --max-uri
  header_too_large,  // a header line, the head, or the header count over its limit
  header_timeout,    // the head did not arrive within --header-timeout-ms
  body_too_large,    // the body is over --max-body
  body_timeout,      // the body stalled for --body-timeout-ms
  bad_body,          // malformed body framing (a bad chunk size, ...)
  // The upstream could not answer (the failover policy decided there is nothing else to try).
  upstream_failed,   // 502
  upstream_timeout,  // 504
  unavailable,       // 503: breaker open, bulkhead full, target down
  queue_timeout,     // 503: every --max-connections connection stayed busy for --queue-timeout-ms
};

struct ErrorClass {
  int status;
  std::string_view error;  // the body's "error": "bad request", "upstream unavailable", ...
  std::string_view label;  // the metrics label: "bad-framing", "header-timeout", ...
  bool refusal;            // the client's fault, refused at the edge (else an upstream failure)
};

const ErrorClass& error_class(ErrorKind kind);

// The ErrorKind of a failover decision's status (502, 503 or 504).
ErrorKind upstream_error_kind(int status);

struct ErrorReply {
  ErrorKind kind;
  std::string_view reason;  // one line: "connect-refused", a parser message, ...
  std::string_view request_id;
  std::string_view target = {};           // empty when no target is involved
  std::string_view fallback_reason = {};  // when the failure came from the fallback target
  int retry_after_seconds = 0;            // > 0: a Retry-After header (503s)
};

// The whole answer: JSON body, Content-Type, X-Request-Id, X-Strangler-Target/-Fallback.
http::response<http::string_body> make_error_reply(const ErrorReply& reply, bool keep_alive,
                                                   unsigned version);

// Writes make_error_reply(...) to the client within `send_timeout`; a failed write is left for
// the caller's next read or close to notice.
Task<void> write_error_reply(TimedStream& client, const ErrorReply& reply, bool keep_alive,
                             unsigned version, std::chrono::milliseconds send_timeout);

}  // namespace strangler
