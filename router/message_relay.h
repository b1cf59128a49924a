// relay_body: streams the rest of a message from one connection to another, a buffer at a time.
//
// This is Beast's "relay" pattern made asynchronous: the parser fills a fixed buffer_body, the
// serializer writes it out (chunk-encoding it when the outgoing message is chunked), so a body of
// any size passes with constant memory. The caller has already read the header and rewritten it,
// framing included.
#pragma once

#include <algorithm>
#include <chrono>
#include <span>
#include <string>

#include "router/asio.h"

namespace strangler {

// The peer went away (closed, reset, or ended mid-message), as opposed to sending something wrong.
inline bool is_disconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

struct RelayResult {
  boost::system::error_code ec;
  bool read_side = false;  // the error came from the input connection (else from the output)
  explicit operator bool() const { return !ec; }
};

struct RelayTimeouts {
  std::chrono::milliseconds read;
  std::chrono::milliseconds write;
};

// A copy of the first `limit` bytes of a relayed body, for shadow comparison. Bytes past the limit
// are passed on but not kept; `overflow` then says the copy is incomplete.
struct BodyCapture {
  std::size_t limit = 0;
  std::string data;
  bool overflow = false;

  void append(const char* bytes, std::size_t size) {
    std::size_t room = limit - std::min(limit, data.size());
    if (size > room) overflow = true;
    data.append(bytes, std::min(size, room));
  }
};

template <bool isRequest>
asio::awaitable<RelayResult> relay_body(beast::tcp_stream& in, beast::flat_buffer& in_buffer,
                                        http::parser<isRequest, http::buffer_body>& parser,
                                        beast::tcp_stream& out,
                                        http::serializer<isRequest, http::buffer_body>& serializer,
                                        std::span<char> scratch, RelayTimeouts timeouts,
                                        BodyCapture* capture = nullptr) {
  boost::system::error_code ec;
  auto& body = parser.get().body();
  bool first_piece = true;
  do {
    if (!parser.is_done()) {
      body.data = scratch.data();
      body.size = scratch.size();
      in.expires_after(timeouts.read);
      // read_some, not read: read would wait until the buffer is full, holding back a slowly
      // streamed body and timing out on its total time instead of on the gap between bytes.
      // Except a request's first piece: filling the buffer before anything is sent means that a
      // small body with broken framing (a bad chunk) is refused before its header reaches the
      // upstream, not after.
      if (isRequest && first_piece) {
        co_await http::async_read(in, in_buffer, parser, use_ec(ec));
      } else {
        co_await http::async_read_some(in, in_buffer, parser, use_ec(ec));
      }
      first_piece = false;
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return RelayResult{ec, true};
      body.size = scratch.size() - body.size;
      // No bytes must be a null buffer: an empty non-null one at the end of a chunked body makes
      // the serializer write the last chunk twice ("0\r\n\r\n0\r\n\r\n"), and the extra
      // one is read by the peer as the start of the next message on the connection.
      body.data = body.size > 0 ? scratch.data() : nullptr;
      if (capture) capture->append(scratch.data(), body.size);
      body.more = !parser.is_done();
      // Only framing was read (a chunk header): nothing to pass on yet. An empty piece must not
      // reach a chunked serializer, which would write it as the last chunk — a fake clean end.
      if (body.size == 0 && body.more) continue;
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    out.expires_after(timeouts.write);
    co_await http::async_write(out, serializer, use_ec(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return RelayResult{ec, false};
  } while (!parser.is_done() || !serializer.is_done());
  co_return RelayResult{};
}

}  // namespace strangler
