// The router's own answers (400, 413, 431, 502, 504, ...): a small JSON body that says what went
// wrong and, for upstream failures, which target and why.
#pragma once

#include <string_view>

#include "router/net/asio.h"

namespace strangler {

struct ErrorDetails {
  http::status status;
  std::string_view error;   // "bad request", "upstream unavailable", ...
  std::string_view reason;  // "connect-refused", "timeout", a parser message, ...
  std::string_view target;  // empty when no target is involved
  std::string_view request_id;
  std::string_view fallback_reason = {};  // when the failure came from the fallback target
  int retry_after_seconds = 0;            // > 0: a Retry-After header (503s)
};

http::response<http::string_body> make_error_response(const ErrorDetails& details, bool keep_alive);

}  // namespace strangler
