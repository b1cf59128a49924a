// relay_body over real TCP connections on 127.0.0.1: a sender writes a message, the relay reads its
// head with Beast and passes head and body on through an OutgoingMessage, a receiver reads what
// came out until EOF. Covered: Content-Length and chunked bodies byte for byte, bodies larger than
// the relay buffer, a body-less message (the head alone), a close-delimited answer re-framed as
// chunked, a body that ends early (before or after the head went out), a body that stalls past
// the read timeout (the input stays usable for the 408), and the capture cap for shadowing.
#include "router/http/message_relay.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tests/support/socket_pair.h"

using namespace strangler;
using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// One relay: sender -> [in] relay_body [out] -> receiver.
template <bool isRequest>
struct Relay {
  struct Outcome {
    RelayResult result;
    bool head_sent = false;
  };

  explicit Relay(std::size_t scratch_size = 4096) : scratch(scratch_size) {}

  asio::io_context io;
  SocketPair from = connected_pair(io);
  SocketPair to = connected_pair(io);
  Socket& sender = from.first;
  TimedStream in{std::move(from.second)};
  TimedStream out{std::move(to.first)};
  TimedStream receiver{std::move(to.second)};
  beast::flat_buffer in_buffer;
  http::parser<isRequest, http::buffer_body> parser;
  std::string head_storage;
  std::vector<char> scratch;
  RelayTimeouts timeouts{2000ms, 2000ms};
  // Called with the parsed head before the relay starts, as the router rewrites it.
  std::function<void(http::message<isRequest, http::buffer_body>&)> rewrite;

  // Reads the head, relays the body, then closes the output so that the receiver sees EOF.
  Task<Outcome> relay(BodyCapture* capture) {
    boost::system::error_code ec;
    co_await http::async_read_header(in, in_buffer, parser, use_ec(ec));
    if (ec) throw boost::system::system_error(ec);
    if (rewrite) rewrite(parser.get());
    OutgoingMessage message(head_storage, parser.get());
    auto result = co_await relay_body(in, in_buffer, parser, out, message, std::span<char>(scratch),
                                      timeouts, capture);
    out.close();
    co_return Outcome{result, message.head_sent()};
  }

  // Sends `bytes` (then ends the sending direction when `then_close`), relays, and returns the
  // relay's outcome; `received` gets every byte that came out.
  Outcome run(const std::string& bytes, bool then_close, std::string& received,
              BodyCapture* capture = nullptr) {
    receiver.expires_after(5s);
    auto sent = spawn(io, send(bytes, then_close));
    auto relayed = spawn(io, relay(capture));
    auto read = spawn(io, read_to_eof(receiver));
    REQUIRE(run_until(io, [&] { return sent->done && relayed->done && read->done; }));
    CHECK(sent->get() == boost::system::error_code());
    CHECK(read->get().second == boost::system::error_code());
    received = read->get().first;
    return relayed->get();
  }

  Task<boost::system::error_code> send(std::string bytes, bool then_close) {
    auto ec = co_await write_all(sender, std::move(bytes));
    if (then_close) sender.shutdown(tcp::socket::shutdown_send, ec);
    co_return ec;
  }
};

// The chunks of a chunked body (no extensions, no trailers), or nullopt unless `text` is exactly
// such a body, last chunk included.
std::optional<std::vector<std::string>> split_chunks(std::string_view text) {
  std::vector<std::string> chunks;
  for (;;) {
    auto line_end = text.find("\r\n");
    if (line_end == std::string_view::npos || line_end == 0) return std::nullopt;
    std::size_t size = 0;
    for (char c : text.substr(0, line_end)) {
      auto digit = std::string_view("0123456789abcdef").find(c);
      if (digit == std::string_view::npos) return std::nullopt;
      size = size * 16 + digit;
    }
    text.remove_prefix(line_end + 2);
    if (size == 0) return text == "\r\n" ? std::optional(chunks) : std::nullopt;
    if (text.size() < size + 2 || text.substr(size, 2) != "\r\n") return std::nullopt;
    chunks.emplace_back(text.substr(0, size));
    text.remove_prefix(size + 2);
  }
}

std::string body_of(int size) {
  std::string body;
  for (int i = 0; i < size; ++i) body += static_cast<char>('a' + i % 26);
  return body;
}

}  // namespace

TEST_CASE("message relay: a Content-Length request passes byte for byte, head and body at once") {
  Relay<true> r;
  const std::string request =
      "POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 11\r\n\r\nhello world";
  std::string received;
  auto outcome = r.run(request, false, received);
  CHECK(outcome.result);
  CHECK(outcome.head_sent);
  CHECK(received == request);
}

TEST_CASE("message relay: a body-less request is its head alone") {
  Relay<true> r;
  const std::string request = "GET /orders/7 HTTP/1.1\r\nHost: shop\r\nX-Trace: t-1\r\n\r\n";
  std::string received;
  BodyCapture capture{.limit = 100};
  auto outcome = r.run(request, false, received, &capture);
  CHECK(outcome.result);
  CHECK(outcome.head_sent);
  CHECK(received == request);
  CHECK(capture.data.empty());
  CHECK_FALSE(capture.overflow);
}

TEST_CASE("message relay: a chunked request is re-chunked as it was read") {
  Relay<true> r;
  const std::string head =
      "POST /orders HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string received;
  auto outcome = r.run(head + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", false, received);
  CHECK(outcome.result);
  // A request's first piece fills the buffer (or ends the body) before anything is sent, so a
  // small body goes out as one chunk with the head.
  CHECK(received == head + "b\r\nhello world\r\n0\r\n\r\n");
}

TEST_CASE("message relay: a Content-Length answer larger than the buffer passes byte for byte") {
  Relay<false> r(4096);
  const std::string response =
      "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + body_of(100000);
  std::string received;
  auto outcome = r.run(response, false, received);
  CHECK(outcome.result);
  CHECK(received.size() == response.size());
  CHECK(received == response);
}

TEST_CASE(
    "message relay: a chunked answer larger than the buffer goes out in buffer-sized chunks") {
  Relay<false> r(16);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const auto body = body_of(100);
  std::string received;
  auto outcome =
      r.run(head + "40\r\n" + body.substr(0, 64) + "\r\n24\r\n" + body.substr(64) + "\r\n0\r\n\r\n",
            false, received);
  CHECK(outcome.result);
  REQUIRE(received.rfind(head, 0) == 0);
  auto chunks = split_chunks(std::string_view(received).substr(head.size()));
  REQUIRE_MESSAGE(chunks.has_value(), "not a chunked body: " << received.substr(head.size()));
  std::string joined;
  for (const auto& chunk : *chunks) {
    CHECK(chunk.size() <= 16);  // one chunk per piece read, never more than the buffer
    joined += chunk;
  }
  CHECK(chunks->size() >= 7);  // 100 bytes through 16
  CHECK(joined == body);
}

TEST_CASE("message relay: an answer delimited by the connection's end is re-framed as chunked") {
  Relay<false> r;
  // What the router does for an HTTP/1.1 client: the end of the body becomes a last chunk.
  r.rewrite = [](http::response<http::buffer_body>& message) { message.chunked(true); };
  std::string received;
  auto outcome = r.run("HTTP/1.1 200 OK\r\n\r\nhello, until the end", true, received);
  CHECK(outcome.result);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  REQUIRE(received.rfind(head, 0) == 0);
  auto chunks = split_chunks(std::string_view(received).substr(head.size()));
  REQUIRE_MESSAGE(chunks.has_value(), "not a chunked body: " << received.substr(head.size()));
  std::string joined;
  for (const auto& chunk : *chunks) joined += chunk;
  CHECK(joined == "hello, until the end");
}

// Each piece read becomes one chunk of a chunked output, so the chunk sizes show the read sizes:
// Beast reads only as much as its input buffer has room for, and a buffer grown just to the size
// of a head made every read of a large body 512 bytes, one write each.
TEST_CASE("message relay: a large body is read in pieces as large as the relay buffer") {
  Relay<false> r(16 * 1024);
  r.rewrite = [](http::response<http::buffer_body>& message) { message.chunked(true); };
  const std::string body = body_of(1024 * 1024);
  std::string received;
  auto outcome =
      r.run("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
            false, received);
  CHECK(outcome.result);
  auto head_end = received.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  auto chunks = split_chunks(std::string_view(received).substr(head_end + 4));
  REQUIRE(chunks.has_value());
  std::size_t largest = 0;
  std::string joined;
  for (const auto& chunk : *chunks) {
    largest = std::max(largest, chunk.size());
    joined += chunk;
  }
  CHECK(joined == body);
  CHECK(largest > 4096);
  CHECK(largest <= 16 * 1024);
}

TEST_CASE("message relay: a request body that ends early is refused before its head goes out") {
  Relay<true> r;
  std::string received;
  auto outcome =
      r.run("POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 100\r\n\r\n0123456789", true,
            received);
  CHECK_FALSE(outcome.result);
  CHECK(outcome.result.read_side);
  CHECK(outcome.result.ec == http::error::partial_message);
  CHECK(is_disconnect(outcome.result.ec));
  CHECK_FALSE(outcome.head_sent);
  CHECK(received.empty());  // the upstream saw nothing of it
}

TEST_CASE("message relay: an answer that ends early fails after passing on what arrived") {
  Relay<false> r;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
  std::string received;
  auto outcome = r.run(head + "0123456789", true, received);
  CHECK_FALSE(outcome.result);
  CHECK(outcome.result.read_side);
  CHECK(outcome.result.ec == http::error::partial_message);
  CHECK(outcome.head_sent);
  CHECK(received == head + "0123456789");  // the caller must not fake a clean end of it
}

TEST_CASE("message relay: a body that stalls past the read timeout fails, the input stays open") {
  Relay<true> r;
  r.timeouts.read = 20ms;
  auto t0 = Clock::now();
  std::string received;
  // Half the body, and the sender keeps the connection open.
  auto outcome = r.run("POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 10\r\n\r\nabcde",
                       false, received);
  CHECK(Clock::now() - t0 >= 20ms);
  CHECK_FALSE(outcome.result);
  CHECK(outcome.result.read_side);
  CHECK(outcome.result.ec == beast::error::timeout);
  CHECK_FALSE(outcome.head_sent);
  CHECK(received.empty());
  // Cancelled, not closed: the client can still be told (a 408 in the router).
  REQUIRE(r.in.socket().is_open());
  r.in.expires_after(2s);
  auto told = spawn(r.io, write_all(r.in, "HTTP/1.1 408 Request Timeout\r\n\r\n"));
  REQUIRE(run_until(r.io, [&] { return told->done; }));
  CHECK(told->get() == boost::system::error_code());
  r.in.close();
  auto seen = spawn(r.io, read_to_eof(r.sender));
  REQUIRE(run_until(r.io, [&] { return seen->done; }));
  CHECK(seen->get().first == "HTTP/1.1 408 Request Timeout\r\n\r\n");
}

TEST_CASE("message relay: the capture keeps the first bytes up to its limit and says so") {
  const std::string head = "POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 17\r\n\r\n";
  SUBCASE("over the limit: cut, marked, and the whole body still relayed") {
    Relay<true> r;
    std::string received;
    BodyCapture capture{.limit = 8};
    auto outcome = r.run(head + "hello world, more", false, received, &capture);
    CHECK(outcome.result);
    CHECK(received == head + "hello world, more");
    CHECK(capture.data == "hello wo");
    CHECK(capture.overflow);
  }
  SUBCASE("exactly the limit: whole, not marked") {
    Relay<true> r;
    std::string received;
    BodyCapture capture{.limit = 17};
    auto outcome = r.run(head + "hello world, more", false, received, &capture);
    CHECK(outcome.result);
    CHECK(capture.data == "hello world, more");
    CHECK_FALSE(capture.overflow);
  }
  SUBCASE("across many pieces: the first bytes, in order") {
    Relay<false> r(4096);
    const auto body = body_of(100000);
    std::string received;
    BodyCapture capture{.limit = 10000};
    auto outcome = r.run("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + body, false,
                         received, &capture);
    CHECK(outcome.result);
    CHECK(capture.data == body.substr(0, 10000));
    CHECK(capture.overflow);
  }
}
