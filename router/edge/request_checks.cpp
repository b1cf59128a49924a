// The strict client edge's byte-level checks; see request_checks.h.
#include "router/edge/request_checks.h"

#include <cstring>

#include "router/http/hop_by_hop.h"

namespace strangler {

namespace {

constexpr int kBadRequest = 400;
constexpr int kUriTooLong = 414;
constexpr int kFieldsTooLarge = 431;

HeadScan refused(int status, std::string_view reason) {
  HeadScan scan;
  scan.state = HeadScan::State::refused;
  scan.refusal = {status, reason};
  return scan;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// Letters, digits and "-._~%": a reg-name without sub-delims, or an IPv4 address.
bool host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '%';
}

bool port_ok(std::string_view port) {
  return port.size() <= 5 && all_digits(port);  // may be empty: "host:" is allowed
}

}  // namespace

HeadScan RequestHeadScanner::scan(std::string_view received) {
  while (scanned_ < received.size()) {
    const void* found = std::memchr(received.data() + scanned_, '\n', received.size() - scanned_);
    if (found == nullptr) {
      scanned_ = received.size();
      break;
    }
    const std::size_t end = static_cast<const char*>(found) - received.data();
    scanned_ = end + 1;
    if (end == line_start_ || received[end - 1] != '\r') {
      return refused(kBadRequest, "header line not ended by CRLF");
    }
    auto line = received.substr(line_start_, end - 1 - line_start_);
    auto checked = check_line(line, end + 1);
    if (checked.state != HeadScan::State::incomplete) return checked;
    line_start_ = end + 1;
  }
  return check_partial_line(received.size() - line_start_);
}

// One complete line (without its CRLF); `end` is the offset just past it.
HeadScan RequestHeadScanner::check_line(std::string_view line, std::size_t end) {
  if (line.find('\r') != std::string_view::npos) {
    return refused(kBadRequest, "CR inside a header line");
  }
  if (end > limits_.max_header_bytes) {
    return refused(kFieldsTooLarge, "request header block over the limit");
  }
  if (!seen_request_line_) {
    if (line.empty()) return {};  // RFC 9112 section 2.2: ignore empty lines before it
    if (line.size() > limits_.max_uri + HeadLimits::kRequestLineSlack) {
      return refused(kUriTooLong, "request line over the limit");
    }
    seen_request_line_ = true;
    return {};
  }
  if (line.empty()) {
    HeadScan scan;
    scan.state = HeadScan::State::complete;
    scan.head_size = end;
    return scan;
  }
  if (line.front() == ' ' || line.front() == '\t') {
    return refused(kBadRequest, "obs-fold continuation line in the header");
  }
  if (line.size() > limits_.max_field_bytes) {
    return refused(kFieldsTooLarge, "a request header field over the limit");
  }
  if (++header_count_ > limits_.max_header_count) {
    return refused(kFieldsTooLarge, "too many request header fields");
  }
  return {};
}

// The line still being received is already too long to ever be accepted.
HeadScan RequestHeadScanner::check_partial_line(std::size_t length) const {
  if (!seen_request_line_ && length > limits_.max_uri + HeadLimits::kRequestLineSlack) {
    return refused(kUriTooLong, "request line over the limit");
  }
  if (seen_request_line_ && length > limits_.max_field_bytes + 1) {  // + 1: a CR may follow
    return refused(kFieldsTooLarge, "a request header field over the limit");
  }
  if (line_start_ + length > limits_.max_header_bytes) {
    return refused(kFieldsTooLarge, "request header block over the limit");
  }
  return {};
}

bool content_length_value_ok(std::string_view value) {
  value = trim(value);
  return !value.empty() && value.size() <= 19 && all_digits(value);
}

bool transfer_encoding_value_ok(std::string_view value) {
  return iequals(trim(value), "chunked");
}

bool host_value_ok(std::string_view value) {
  value = trim(value);
  if (!value.empty() && value.front() == '[') {
    auto close = value.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : value.substr(1, close - 1)) {
      if (!host_name_char(c) && c != ':') return false;
    }
    auto rest = value.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && port_ok(rest.substr(1)));
  }
  auto colon = value.find(':');
  auto name = value.substr(0, colon);
  for (char c : name) {
    if (!host_name_char(c)) return false;
  }
  return colon == std::string_view::npos || port_ok(value.substr(colon + 1));
}

}  // namespace strangler
