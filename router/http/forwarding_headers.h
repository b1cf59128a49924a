// The header rewrites a reverse proxy owes both sides, applied in place to Beast headers.
//
// Towards the upstream: hop-by-hop headers out (and Content-Length/Expect, since the router
// re-frames the body itself), then the forwarding headers, Via, and X-Request-Id (kept when sane,
// generated otherwise). X-Forwarded-For is always appended with the peer's address. From a
// trusted proxy (--trusted-proxy) X-Forwarded-Proto and X-Forwarded-Host are kept as received (set
// when absent) and the router's RFC 7239 element is appended to Forwarded; from any other peer
// X-Forwarded-Proto is set to "http", X-Forwarded-Host to the Host header, and Forwarded replaced
// by the router's element, since the peer's claims are not to be believed. Towards the client:
// hop-by-hop headers out, X-Strangler-Target and X-Request-Id in. Every other header,
// traceparent included, passes byte for byte.
#pragma once

#include <string>
#include <string_view>

#include "router/net/asio.h"

namespace strangler {

inline std::string_view to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

// Removes Connection, the headers Connection names, and every other hop-by-hop header.
void strip_hop_by_hop(http::fields& fields);

struct ForwardedFor {
  std::string_view peer;             // the address the connection came from
  std::string_view request_id = {};  // empty: request_id_of(request)
  bool trusted_peer = false;         // the peer is in a --trusted-proxy block
};

// The request's id: the client's X-Request-Id when there is exactly one and it is sane
// (acceptable_request_id), else a new one.
std::string request_id_of(const http::request_header<>& request);

// Prepares a client request header for the upstream. Returns the request id it carries.
std::string prepare_upstream_request(http::request_header<>& request, const ForwardedFor& from);

struct ResponseTags {
  std::string_view target_name;  // empty: no X-Strangler-Target
  std::string_view request_id;
  std::string_view fallback_reason;  // non-empty: X-Strangler-Fallback
};

// Prepares an upstream response header for the client (framing is set by the caller).
void prepare_client_response(http::response_header<>& response, const ResponseTags& tags);

}  // namespace strangler
