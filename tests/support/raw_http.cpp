// Raw-socket HTTP/1.1 client for the integration tests (see raw_http.h).
#include "tests/support/raw_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace strangler::test {
namespace {

using Clock = std::chrono::steady_clock;

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) reset(std::exchange(other.fd_, -1));
  return *this;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Fd connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw sys_error("socket");
  int one = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto addr = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) throw sys_error("connect to 127.0.0.1:" + std::to_string(port));
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      errno = err;
      throw sys_error("connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  return fd;
}

Fd listen_loopback(std::string_view owner, std::uint16_t& port) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener) throw std::runtime_error(std::string(owner) + ": socket failed");
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener.get(), 128) != 0) {
    throw std::runtime_error(std::string(owner) + ": bind/listen: " + std::strerror(errno));
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return listener;
}

std::uint16_t unused_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  auto addr = loopback(0);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw sys_error("bind");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);  // released when fd closes; never listened on
}

RawConnection::RawConnection(std::uint16_t port, std::chrono::milliseconds timeout)
    : fd_(connect_loopback(port, timeout)), timeout_(timeout) {}

void RawConnection::send(std::string_view bytes) {
  auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    auto n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      throw sys_error("send");
    }
    pollfd p{fd_.get(), POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) throw std::runtime_error("send timed out");
  }
}

bool RawConnection::fill() {
  auto deadline = Clock::now() + timeout_;
  char chunk[64 * 1024];
  for (;;) {
    auto n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == ECONNRESET) return false;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) throw sys_error("recv");
    pollfd p{fd_.get(), POLLIN, 0};
    int left = remaining_ms(deadline);
    if (left == 0 || ::poll(&p, 1, left) != 1) {
      throw std::runtime_error("no response within " + std::to_string(timeout_.count()) +
                               " ms (have " + std::to_string(buffer_.size()) + " bytes)");
    }
  }
}

RawResponse RawConnection::read_response(bool head_request) {
  for (;;) {
    RawResponse response;
    std::size_t head_len = 0;
    for (;;) {
      auto head = parse_head(buffer_, &head_len);
      if (head) {
        response.head = std::move(*head);
        break;
      }
      if (!fill()) throw std::runtime_error("connection closed before a complete response head");
    }
    buffer_.erase(0, head_len);
    const auto& line = response.head.start_line;
    if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0) {
      throw std::runtime_error("bad status line: " + line);
    }
    response.status = std::stoi(line.substr(9, 3));
    if (response.status >= 100 && response.status < 200) continue;  // interim response
    bool no_body = head_request || response.status == 204 || response.status == 304;
    if (no_body) return response;
    if (response.head.has_token("Transfer-Encoding", "chunked")) {
      ChunkedDecoder decoder;
      for (;;) {
        auto used = decoder.feed(buffer_);
        buffer_.erase(0, used);
        if (decoder.done()) break;
        if (!fill()) throw std::runtime_error("connection closed inside a chunked body");
      }
      response.body = decoder.take_body();
    } else if (auto length = response.head.get("Content-Length")) {
      auto n = std::stoull(*length);
      while (buffer_.size() < n) {
        if (!fill()) {
          throw std::runtime_error("connection closed after " + std::to_string(buffer_.size()) +
                                   " of " + std::to_string(n) + " body bytes");
        }
      }
      response.body = buffer_.substr(0, n);
      buffer_.erase(0, n);
    } else {
      while (fill()) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
    }
    return response;
  }
}

bool RawConnection::peer_closed(std::chrono::milliseconds wait) {
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) != 1) return false;
  char c;
  auto n = ::recv(fd_.get(), &c, 1, MSG_PEEK);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

RawResponse raw_request(std::uint16_t port, std::string_view request,
                        std::chrono::milliseconds timeout) {
  RawConnection connection(port, timeout);
  connection.send(request);
  return connection.read_response(request.substr(0, 5) == "HEAD ");
}

}  // namespace strangler::test
