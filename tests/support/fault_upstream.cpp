// FaultUpstream: the misbehaving upstream of the integration tests (see fault_upstream.h).
#include "tests/support/fault_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace strangler::test {

namespace {

using namespace std::chrono_literals;

constexpr auto kPollStep = 20ms;

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Makes the coming close() send RST instead of FIN.
void arm_reset(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

std::string hex(std::size_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "%zx", n);
  return text;
}

}  // namespace

FaultUpstream::FaultUpstream(Fault fault, FaultOptions options) : fault_(fault), options_(options) {
  listener_ = listen_loopback("FaultUpstream", port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FaultUpstream::~FaultUpstream() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lock(mutex_);
  for (auto& thread : threads_) thread.join();
}

std::optional<std::chrono::steady_clock::time_point> FaultUpstream::last_router_close() const {
  std::lock_guard lock(mutex_);
  return last_router_close_;
}

void FaultUpstream::accept_loop() {
  while (!stop_) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kPollStep.count())) <= 0) continue;
    int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval send_timeout{2, 0};  // a router that stops reading must not hang the destructor
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    ++connections_;
    std::lock_guard lock(mutex_);
    threads_.emplace_back([this, fd] { serve(Fd(fd)); });
  }
}

void FaultUpstream::serve(Fd fd) {
  std::string in;
  bool keep_open = true;
  for (std::size_t answered = 1; keep_open && read_head(fd.get(), in); ++answered) {
    ++requests_;
    answer(fd.get(), fault_.load(), keep_open);
    if (keep_open && answered == options_.close_after_requests) {
      ++closed_by_upstream_;
      return;
    }
  }
}

// Reads up to the end of the next request head and drops it from `in`; false on EOF, error or
// stop.
bool FaultUpstream::read_head(int fd, std::string& in) {
  for (;;) {
    auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      in.erase(0, end + 4);
      return true;
    }
    if (stop_) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kPollStep.count())) <= 0) continue;
    char chunk[4096];
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    in.append(chunk, static_cast<std::size_t>(n));
  }
}

// Waits (until stop) for the router to close the connection, discarding anything it sends, and
// records when it did.
void FaultUpstream::wait_for_router_close(int fd) {
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(kPollStep.count())) <= 0) continue;
    char chunk[4096];
    if (::recv(fd, chunk, sizeof chunk, 0) > 0) continue;
    ++closed_by_router_;
    std::lock_guard lock(mutex_);
    last_router_close_ = std::chrono::steady_clock::now();
    return;
  }
}

bool FaultUpstream::sleep_unless_stopped(std::chrono::milliseconds duration) {
  auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (stop_) return false;
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(5ms, duration));
  }
  return true;
}

void FaultUpstream::answer(int fd, Fault fault, bool& keep_open) {
  static const std::string kOk =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
      "Content-Length: 2\r\n\r\nok";
  auto size = options_.body_size;
  keep_open = false;
  switch (fault) {
    case Fault::none:
      keep_open = sleep_unless_stopped(options_.head_delay) && send_all(fd, kOk);
      return;
    case Fault::idle_close: {
      if (!send_all(fd, kOk)) return;
      pollfd p{fd, POLLIN, 0};
      keep_open = ::poll(&p, 1, static_cast<int>(options_.idle_close_after.count())) > 0;
      if (!keep_open) ++closed_by_upstream_;
      return;
    }
    case Fault::reset_before_headers:
      arm_reset(fd);
      ++closed_by_upstream_;
      return;
    case Fault::reset_after_headers:
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
                       std::string(size / 2, 'x'));
      sleep_unless_stopped(300ms);  // time for the router to pass the head on
      arm_reset(fd);
      ++closed_by_upstream_;
      return;
    case Fault::reset_mid_chunked:
      send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + hex(size) + "\r\n" +
                       std::string(size, 'x') + "\r\n");
      sleep_unless_stopped(300ms);  // time for the router to pass the head on
      arm_reset(fd);
      ++closed_by_upstream_;
      return;
    case Fault::stall:
      wait_for_router_close(fd);
      return;
    case Fault::drip:
      if (!send_all(fd,
                    "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n")) {
        return;
      }
      for (std::size_t i = 0; i < size; ++i) {
        if (!sleep_unless_stopped(options_.drip_interval) || !send_all(fd, "x")) return;
      }
      keep_open = true;
      return;
    case Fault::garbage:
      send_all(fd, "SSH-2.0-OpenSSH_9.2\r\nthis is not HTTP at all\r\n\r\n");
      wait_for_router_close(fd);
      return;
    case Fault::content_length_and_chunked:
      send_all(fd,
               "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
               "2\r\nok\r\n0\r\n\r\n");
      wait_for_router_close(fd);
      return;
    case Fault::bad_chunk_size:
      send_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n");
      wait_for_router_close(fd);
      return;
  }
}

}  // namespace strangler::test
