// relay_body: streams a message's head and body from one connection to another, a buffer at a
// time.
//
// Beast's "relay" pattern made asynchronous: the parser fills a fixed buffer_body and each piece
// is written out as it arrives (chunk-encoded when the outgoing message is chunked), so a body of
// any size passes with constant memory. The head goes out with the first piece, so a small message
// is one write. The caller has already read the header and rewritten it, framing included.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <string>

#include "router/http/message_head.h"
#include "router/net/asio.h"
#include "router/net/timed_stream.h"

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

// The outgoing side of a relayed message: the head bytes until they are written, then body pieces,
// framed as chunks when the message is chunked. Replaces Beast's serializer on the data path (see
// message_head.h for why).
class OutgoingMessage {
 public:
  // Writes the head of `message` (already rewritten, framing included) into `storage`, which the
  // caller keeps for the relay and reuses for the next message. A body-less message is never
  // chunked: Transfer-Encoding is hop-by-hop.
  template <bool isRequest, typename Body>
  OutgoingMessage(std::string& storage, const http::message<isRequest, Body>& message)
      : chunked_(message.chunked()) {
    storage.clear();
    append_head(storage, message);
    head_ = storage;
  }

  bool head_sent() const { return head_sent_; }

  // What to write next: the head if it is still unsent, then `piece` (may be empty); `last` ends
  // a chunked body. Empty entries are harmless in a gathered write.
  std::array<asio::const_buffer, 5> next(std::span<const char> piece, bool last) {
    std::array<asio::const_buffer, 5> buffers{};
    if (!head_sent_) buffers[0] = asio::buffer(head_);
    buffers[2] = asio::buffer(piece.data(), piece.size());
    if (chunked_ && !piece.empty()) {
      auto size = write_chunk_size(piece.size());
      buffers[1] = asio::buffer(size_line_.data(), size);
      buffers[3] = asio::buffer(kCrlf);
    }
    if (chunked_ && last) buffers[4] = asio::buffer(kLastChunk);
    return buffers;
  }

  void mark_head_sent() { head_sent_ = true; }

 private:
  static constexpr std::string_view kCrlf = "\r\n";
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";

  // Writes "<hex size>\r\n" into size_line_; returns its length.
  std::size_t write_chunk_size(std::size_t size) {
    static constexpr char kHex[] = "0123456789abcdef";
    char digits[16];
    std::size_t n = 0;
    do {
      digits[n++] = kHex[size % 16];
      size /= 16;
    } while (size > 0);
    for (std::size_t i = 0; i < n; ++i) size_line_[i] = digits[n - 1 - i];
    size_line_[n] = '\r';
    size_line_[n + 1] = '\n';
    return n + 2;
  }

  std::string_view head_;
  bool chunked_;
  bool head_sent_ = false;
  std::array<char, 18> size_line_{};
};

template <bool isRequest>
Task<RelayResult> relay_body(TimedStream& in, beast::flat_buffer& in_buffer,
                             http::parser<isRequest, http::buffer_body>& parser, TimedStream& out,
                             OutgoingMessage& message, std::span<char> scratch,
                             RelayTimeouts timeouts, BodyCapture* capture = nullptr) {
  boost::system::error_code ec;
  auto& body = parser.get().body();
  // Beast reads as much as the input buffer has room for (512 bytes at the least): grown only to
  // the size of a head, it would carry a large body in 512-byte reads, one write each.
  if (!parser.is_done() && in_buffer.capacity() < scratch.size()) in_buffer.reserve(scratch.size());
  bool first_piece = true;
  do {
    if (!parser.is_done()) {
      body.data = scratch.data();
      body.size = scratch.size();
      // Cancel, not close: a client whose request body stalls still gets its 408.
      in.expires_after(timeouts.read, TimedStream::Expiry::cancel);
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
      if (capture) capture->append(scratch.data(), body.size);
      // Only framing was read (a chunk header): nothing to pass on yet.
      if (body.size == 0 && !parser.is_done()) continue;
    } else {
      body.size = 0;  // no body at all: the head alone
    }
    out.expires_after(timeouts.write);
    auto piece = std::span<const char>(scratch.data(), body.size);
    co_await asio::async_write(out, message.next(piece, parser.is_done()), use_ec(ec));
    if (ec) co_return RelayResult{ec, false};
    message.mark_head_sent();
  } while (!parser.is_done());
  co_return RelayResult{};
}

}  // namespace strangler
