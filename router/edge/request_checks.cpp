// The strict client edge's byte-level checks; see request_checks.h.
#include "router/edge/request_checks.h"

#include <algorithm>
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

// RFC 9110 section 5.6.2: the bytes of a token, such as a method.
bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool port_ok(std::string_view port) {
  return port.size() <= 5 && all_digits(port);  // may be empty: "host:" is allowed
}

}  // namespace

HeadScan RequestHeadScanner::scan(std::string_view received) {
  // Without this, a call after the verdict would go on scanning from where it stopped: the body
  // or the next request after a complete head, the rest of a line after a refused one.
  if (verdict_.state != HeadScan::State::incomplete) return verdict_;
  verdict_ = scan_more(received);
  return verdict_;
}

HeadScan RequestHeadScanner::scan_more(std::string_view received) {
  while (scanned_ < received.size()) {
    auto start = check_request_start(received);
    if (start.state != HeadScan::State::incomplete) return start;
    const void* found = std::memchr(received.data() + scanned_, '\n', received.size() - scanned_);
    if (found == nullptr) {
      scanned_ = received.size();
      break;
    }
    const std::size_t end = static_cast<const char*>(found) - received.data();
    scanned_ = end + 1;
    // The line as it was before its LF arrived, checked as a read ending there would have: a
    // client that sent it in pieces got that verdict, so one that sent it at once gets it too.
    auto before_end = check_partial_line(end - line_start_);
    if (before_end.state != HeadScan::State::incomplete) return before_end;
    if (end == line_start_ || received[end - 1] != '\r') {
      return refused(kBadRequest, "header line not ended by CRLF");
    }
    auto line = received.substr(line_start_, end - 1 - line_start_);
    auto checked = check_line(line, end + 1);
    if (checked.state != HeadScan::State::incomplete) return checked;
    line_start_ = end + 1;
  }
  auto start = check_request_start(received);
  if (start.state != HeadScan::State::incomplete) return start;
  return check_partial_line(received.size() - line_start_);
}

// A request line starts with a method token. Anything else (a NUL, a TLS ClientHello, binary
// garbage after a request) can never become a request: refused at once, not at the header
// deadline. Empty lines before the request line are allowed, so CR and LF pass here.
HeadScan RequestHeadScanner::check_request_start(std::string_view received) const {
  if (seen_request_line_ || line_start_ >= received.size()) return {};
  char first = received[line_start_];
  if (first == '\r' || first == '\n' || (first != '\0' && is_tchar(first))) return {};
  return refused(kBadRequest, "request line does not start with a method");
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

// The line still being received (`length` bytes, its LF not here yet) is already too long to ever
// be accepted. Of its own limit and the block's, the one it passed first decides the refusal, so
// that the verdict does not depend on how many bytes the read that noticed it brought.
HeadScan RequestHeadScanner::check_partial_line(std::size_t length) const {
  const std::size_t content_limit = seen_request_line_
                                        ? limits_.max_field_bytes
                                        : limits_.max_uri + HeadLimits::kRequestLineSlack;
  const std::size_t line_limit = content_limit + 1;  // its CR may be here already, its LF not yet
  // check_line refused any line that ended past the block limit, so this does not wrap.
  const std::size_t block_room = limits_.max_header_bytes - line_start_;
  if (length <= std::min(line_limit, block_room)) return {};
  if (line_limit <= block_room) {
    return seen_request_line_ ? refused(kFieldsTooLarge, "a request header field over the limit")
                              : refused(kUriTooLong, "request line over the limit");
  }
  return refused(kFieldsTooLarge, "request header block over the limit");
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
