// Splitting an HTTP request target (RFC 9112 section 3.2) into the path to route on and the
// query to pass on. Origin form ("/a/b?x=1") and absolute form ("http://host/a/b?x=1") are
// accepted; the absolute form's authority is ignored, never used to pick an upstream. The
// asterisk form ("*", OPTIONS only) routes as "/" and is forwarded as "*".
#pragma once

#include <string_view>

namespace strangler {

struct RequestTarget {
  bool ok = false;
  bool asterisk = false;
  std::string_view path;   // raw, not yet normalized
  std::string_view query;  // without '?'; empty when absent
  bool has_query = false;
  std::string_view error;  // one-line reason when !ok
};

RequestTarget split_request_target(std::string_view target, std::string_view method);

}  // namespace strangler
