// The strict client edge, as plain functions over bytes and strings (no Beast, no sockets).
//
// RequestHeadScanner looks at a request's raw header bytes as they arrive, before Beast parses
// them, for what Beast either accepts or only notices late: obs-fold continuation lines (Beast
// unfolds them silently), bare LF line ends, and the per-line and per-block limits, which it
// tells apart from each other so that a long request line is a 414 and a long header a 431. It
// resumes where it stopped, so a client that drips its header a byte at a time costs one pass.
//
// The value checks (Content-Length, Transfer-Encoding, Host) run on the parsed header; the Beast
// glue that applies them is request_head_reader.cpp. Every refusal closes the connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strangler {

struct HeadLimits {
  std::size_t max_uri = 8 * 1024;            // request target, bytes (414)
  std::size_t max_field_bytes = 8 * 1024;    // one header line, name included (431)
  std::size_t max_header_bytes = 64 * 1024;  // the whole head, request line included (431)
  std::size_t max_header_count = 100;        // header lines (431)
  // The request line may exceed the target's limit by this much (method, spaces, version).
  static constexpr std::size_t kRequestLineSlack = 64;
};

// Why a request is refused: the status to answer and a one-line reason for the JSON body.
struct Refusal {
  int status = 400;
  std::string_view reason;
};

struct HeadScan {
  enum class State : std::uint8_t { incomplete, complete, refused } state = State::incomplete;
  std::size_t head_size = 0;  // when complete: bytes up to and including the empty line
  Refusal refusal;            // when refused
};

class RequestHeadScanner {
 public:
  explicit RequestHeadScanner(const HeadLimits& limits) : limits_(limits) {}

  // `received` is every byte received so far for this request, starting at its first byte; it
  // only ever grows between calls. Bytes after the head (a body, a pipelined request) are left
  // alone. Once complete or refused, the scanner gives that same verdict to every later call.
  HeadScan scan(std::string_view received);

 private:
  HeadScan scan_more(std::string_view received);
  HeadScan check_line(std::string_view line, std::size_t end);
  HeadScan check_partial_line(std::size_t length) const;
  HeadScan check_request_start(std::string_view received) const;

  HeadLimits limits_;
  HeadScan verdict_;            // incomplete until the head is complete or refused
  std::size_t scanned_ = 0;     // bytes already looked at
  std::size_t line_start_ = 0;  // where the current line begins
  bool seen_request_line_ = false;
  std::size_t header_count_ = 0;
};

// A Content-Length value must be plain digits, one value ("5", not "+5", "5, 5" or "0x5"), with
// no more than 19 of them (so it fits in 64 bits).
bool content_length_value_ok(std::string_view value);

// Transfer-Encoding is accepted only as exactly one "chunked" (any case, optional spaces around):
// the router forwards no other coding and Beast would treat any other as "no body".
bool transfer_encoding_value_ok(std::string_view value);

// A Host value is uri-host [":" port]: a reg-name, an IPv4 address or a bracketed IP literal,
// with no spaces, commas, '@', '/', '\' or other bytes that could make two back ends see two
// different hosts. Empty is allowed (RFC 9110 section 7.2).
bool host_value_ok(std::string_view value);

}  // namespace strangler
