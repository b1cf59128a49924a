// ProxyOptions: the limits and timeouts of the client-facing side, set from the command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "router/net/cidr.h"
#include "rules/path_normalizer.h"

namespace strangler {

struct ProxyOptions {
  bool add_target_header = true;                    // X-Strangler-Target on every response
  std::chrono::milliseconds header_timeout{30000};  // receive one request's headers
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive connection with no request
  std::chrono::milliseconds body_timeout{30000};    // between two reads of a request body
  std::chrono::milliseconds send_timeout{60000};    // between two writes to the client
  std::uint64_t max_body = 10 * 1024 * 1024;        // request body, bytes
  std::uint32_t max_header_bytes = 64 * 1024;       // whole request header block
  std::size_t max_field_bytes = 8 * 1024;           // one request header line
  std::size_t max_header_count = 100;               // request header lines
  std::size_t max_uri = 8 * 1024;                   // request target, bytes
  int max_connections = 10000;                      // open client connections, all threads
  std::size_t relay_buffer = 16 * 1024;             // per connection, for streaming bodies
  // An unused pooled upstream connection (and the shadow pool's).
  std::chrono::milliseconds upstream_idle_timeout{60000};
  // Peers whose X-Forwarded-* and Forwarded headers are believed (--trusted-proxy).
  TrustedProxies trusted_proxies;
  // %2F, %5C, %3B in a path: kept inside their segment, or refused (--encoded-slash).
  EncodedSeparators encoded_slash = EncodedSeparators::keep;
};

}  // namespace strangler
