// RequestState: one request as the pipeline's phases see it (client_session.cpp): the read
// phase fills who and what, the route phase fills `routed`, the forwarder reads it and returns a
// ForwardOutcome, and finish() turns both into metrics and an access-log line. A value owned by
// the phase function, never a member of the connection.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "router/routing/routed_request.h"

namespace strangler {

struct RequestState {
  std::chrono::steady_clock::time_point started;  // the request's first byte
  std::string request_id;     // the client's X-Request-Id when sane, else a new one
  std::string peer;           // the address the connection came from
  bool trusted_peer = false;  // the peer is in a --trusted-proxy block
  // The client: the nearest untrusted X-Forwarded-For address when the peer is trusted, else the
  // peer. The split hashes it and the access log shows it.
  std::string client;
  std::string method;
  std::string path;       // normalized; the raw target when refused before normalization
  unsigned version = 11;  // the client's HTTP version, used for the answer
  std::optional<RoutedRequest> routed;  // empty when refused before routing
};

}  // namespace strangler
