// TargetUrl: the parsed base URL of an upstream target ("http://127.0.0.1:9002").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strangler {

struct TargetUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6 literals
  std::uint16_t port = 0;
  // The text to send as the Host header if one must be made up ("127.0.0.1:9002").
  std::string authority;
};

// Parses an absolute http(s) URL with no path beyond "/", no query, fragment or user info.
// Throws RuleError with a one-line reason otherwise.
TargetUrl parse_target_url(std::string_view url);

}  // namespace strangler
