// read_request_head: how a client connection waits for, receives and checks each request's
// header — the strict edge between the network and the routing code.
//
// Between requests a keep-alive connection may sit idle for options.idle_timeout, then it is
// closed without a word. Once a request's first byte arrived (or from accept, for the first
// request) the whole header must arrive within options.header_timeout (else 408), pass the raw
// byte checks of RequestHeadScanner (request_checks.h) as it arrives, parse with Beast, and pass
// the value checks: one Host of valid syntax (HTTP/1.1), framing by exactly one plain-digits
// Content-Length or exactly "Transfer-Encoding: chunked" (never both, never chunked in
// HTTP/1.0), a target within the URI limit. Any refusal is answered and the connection closed
// by the caller.
#pragma once

#include <chrono>
#include <string>

#include "router/edge/proxy_options.h"
#include "router/http/error_reply.h"
#include "router/net/asio.h"
#include "router/net/timed_stream.h"

namespace strangler {

struct HeadOutcome {
  enum class Kind { ok, closed, refused } kind = Kind::ok;
  ErrorKind error = ErrorKind::bad_header;  // when refused
  std::string reason;                       // when refused: one line
  // When the request's first byte arrived (ok and refused): its latency starts there.
  std::chrono::steady_clock::time_point started;
};

// `first`: the connection's first request (no idle wait before it). On ok, the parser holds the
// header and `buffer` the bytes after it.
Task<HeadOutcome> read_request_head(TimedStream& stream, beast::flat_buffer& buffer,
                                    http::request_parser<http::buffer_body>& parser,
                                    const ProxyOptions& options, bool first);

// The value checks on a parsed header; an empty reason means the header is acceptable.
HeadOutcome check_request_header(const http::request_header<>& request,
                                 const ProxyOptions& options);

}  // namespace strangler
