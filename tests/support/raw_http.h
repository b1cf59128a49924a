// A raw-socket HTTP/1.1 client for the integration tests: it sends exactly the bytes a test
// writes and returns the response exactly as it arrived, for checks a library client would
// normalize away (header bytes, framing, connection reuse, hop-by-hop headers).
//
// Only 127.0.0.1 is used, every call has a deadline, and failures throw std::runtime_error with a
// one-line reason so a test shows what went wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "tests/support/http_message.h"

namespace strangler::test {

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Connects to 127.0.0.1:port within `timeout`; throws on failure.
Fd connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout);

// A non-blocking listening socket on 127.0.0.1, port chosen by the kernel (stored in `port`);
// throws naming `owner` on failure.
Fd listen_loopback(std::string_view owner, std::uint16_t& port);

// A port on 127.0.0.1 that nothing listens on (bound, then released).
std::uint16_t unused_loopback_port();

struct RawResponse {
  int status = 0;
  HttpHead head;
  std::string body;  // decoded (chunked framing removed)

  std::optional<std::string> header(std::string_view name) const { return head.get(name); }
};

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

  void send(std::string_view bytes);
  // Reads one response; `head_request` for responses to HEAD (no body). Skips 1xx responses.
  RawResponse read_response(bool head_request = false);
  // Waits up to `wait` for the peer to close; true when it did (EOF or reset) with no more data.
  bool peer_closed(std::chrono::milliseconds wait);

 private:
  // Reads more bytes into buffer_; returns false on EOF. Throws on timeout.
  bool fill();

  Fd fd_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

// One request on a fresh connection.
RawResponse raw_request(std::uint16_t port, std::string_view request,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace strangler::test
