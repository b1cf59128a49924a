// HTTP/1.1 wire helpers for the integration harness: parse a message head exactly as it arrived
// and decode chunked bodies incrementally.
//
// Used by RecordingUpstream (to record what the router sent, byte for byte) and by RawConnection
// (to read what the router answered without a library normalizing it). Header values are kept as
// they were on the wire, only the optional whitespace around them removed (RFC 9110 5.5), and the
// raw head text is kept too for checks that need the exact bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strangler::test {

struct HttpHead {
  std::string start_line;  // "GET /x HTTP/1.1" or "HTTP/1.1 200 OK"
  std::vector<std::pair<std::string, std::string>> headers;  // in wire order
  std::string raw;                                           // including the final CRLF CRLF

  // The first value of a header (name compared case-insensitively).
  std::optional<std::string> get(std::string_view name) const;
  // Every value of a header, in wire order.
  std::vector<std::string> get_all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Whether the header's comma-separated value list contains `token` (case-insensitive).
  bool has_token(std::string_view name, std::string_view token) const;
};

bool iequals(std::string_view a, std::string_view b);

// Parses a complete head at the start of `buffer`. Returns nullopt when the head is not complete
// yet; throws std::runtime_error when it is malformed. On success `*consumed` is the head length.
std::optional<HttpHead> parse_head(std::string_view buffer, std::size_t* consumed);

// Decodes a chunked body as bytes arrive; tolerates any split of the input.
class ChunkedDecoder {
 public:
  // Consumes bytes from `in` and returns how many; stops right after the final CRLF of the
  // message. Throws std::runtime_error on malformed framing.
  std::size_t feed(std::string_view in);
  bool done() const { return state_ == State::kDone; }
  const std::string& body() const { return body_; }
  std::string take_body() { return std::move(body_); }

 private:
  enum class State { kSizeLine, kData, kDataCrlf, kTrailers, kDone };
  State state_ = State::kSizeLine;
  std::string line_;
  std::size_t remaining_ = 0;
  std::string body_;
};

// Frames a body as chunked, cut into pieces of at most `chunk_size` bytes.
std::string chunk_encode(std::string_view body, std::size_t chunk_size);

}  // namespace strangler::test
