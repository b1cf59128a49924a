// parse_target_url: the base URL of an upstream, taken apart once when the rules are compiled so
// that the proxy only ever reads host, port and scheme. Everything a base URL should not carry
// (user info, a path, a query, a fragment) is refused rather than ignored: a target written as
// "http://svc/api" would otherwise quietly lose its "/api".
#include "rules/target_url.h"
#include "rules/ascii_case.h"

#include <arpa/inet.h>

#include <cctype>

#include <fmt/format.h>

#include "rules/rule_error.h"

namespace strangler {
namespace {

[[noreturn]] void fail(std::string_view url, std::string_view reason) {
  throw RuleError(fmt::format("invalid target URL {:?}: {}", url, reason));
}

bool is_hostname_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

bool all_digits_and_dots(std::string_view s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return true;
}

bool valid_address(int family, std::string_view text) {
  unsigned char buffer[16];
  return inet_pton(family, std::string(text).c_str(), buffer) == 1;
}

// Checks a host (brackets already removed for IPv6) and returns it lower-cased.
std::string parse_host(std::string_view url, std::string_view host, bool bracketed) {
  if (host.empty()) fail(url, "missing host");
  if (bracketed) {
    if (!valid_address(AF_INET6, host)) fail(url, "invalid IPv6 address");
    return ascii_lowercase(host);
  }
  for (char c : host) {
    if (!is_hostname_char(c)) fail(url, fmt::format("invalid character {:?} in host", c));
  }
  if (all_digits_and_dots(host) && !valid_address(AF_INET, host)) {
    fail(url, "invalid IPv4 address");
  }
  if (host.front() == '.' || host.front() == '-' || host.find("..") != std::string_view::npos) {
    fail(url, "invalid host name");
  }
  return ascii_lowercase(host);
}

std::uint16_t parse_port(std::string_view url, std::string_view text) {
  if (text.empty() || text.size() > 5) fail(url, "port must be a number from 1 to 65535");
  unsigned value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      fail(url, "port must be a number from 1 to 65535");
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) fail(url, "port must be a number from 1 to 65535");
  return static_cast<std::uint16_t>(value);
}

// Splits "host[:port]" or "[v6][:port]" and fills host, port and authority.
void parse_authority(std::string_view url, std::string_view authority, TargetUrl& out) {
  if (authority.find('@') != std::string_view::npos) fail(url, "user info is not allowed");
  std::string_view host = authority;
  std::string_view port;
  bool bracketed = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) fail(url, "missing ']' after IPv6 address");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') fail(url, "unexpected text after ']'");
    if (!after.empty()) port = after.substr(1);
    bracketed = true;
    if (!after.empty() && port.empty()) fail(url, "port must be a number from 1 to 65535");
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) fail(url, "port must be a number from 1 to 65535");
  }
  out.host = parse_host(url, host, bracketed);
  const std::uint16_t default_port = out.scheme == "https" ? 443 : 80;
  out.port = port.empty() ? default_port : parse_port(url, port);
  const std::string shown = bracketed ? "[" + out.host + "]" : out.host;
  out.authority = out.port == default_port ? shown : fmt::format("{}:{}", shown, out.port);
}

}  // namespace

TargetUrl parse_target_url(std::string_view url) {
  TargetUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    fail(url, "expected http://host[:port] or https://host[:port]");
  }
  out.scheme = ascii_lowercase(url.substr(0, scheme_end));
  if (out.scheme != "http" && out.scheme != "https") fail(url, "scheme must be http or https");
  std::string_view rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority_end != std::string_view::npos) {
    const std::string_view tail = rest.substr(authority_end);
    if (tail.front() == '?') fail(url, "a query is not allowed");
    if (tail.front() == '#') fail(url, "a fragment is not allowed");
    if (tail != "/") {
      if (tail.find_first_of("?#") == 1) {
        fail(url, tail[1] == '?' ? "a query is not allowed" : "a fragment is not allowed");
      }
      fail(url, "a path is not allowed (only a trailing '/')");
    }
  }
  parse_authority(url, authority, out);
  return out;
}

}  // namespace strangler
