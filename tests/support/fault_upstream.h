// FaultUpstream: an in-process HTTP/1.1 upstream for the integration tests that misbehaves on
// purpose, one fault at a time, so the router's answer to each fault can be checked.
//
// It listens on 127.0.0.1 port 0; every connection gets its own thread that reads request heads
// (requests carry no body in these tests) and answers according to the current mode, which may
// be changed between requests. It counts connections and requests and records when the router
// closed a connection while the upstream was still working on it (to see that a client's
// disconnect is passed on). The destructor stops every thread within about 100 ms.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/raw_http.h"

namespace strangler::test {

enum class Fault {
  none,                        // 200, Content-Length body "ok", keep-alive, after `head_delay`
  reset_before_headers,        // RST as soon as the request head arrived
  reset_after_headers,         // a 200 head promising `body_size` bytes, half of them, then RST
  reset_mid_chunked,           // a chunked 200 head, one chunk of `body_size` bytes, then RST
  stall,                       // never answers; waits for the router to close
  drip,                        // a 200 head, then the body one byte every `drip_interval`
  garbage,                     // bytes that are not HTTP, connection left open
  content_length_and_chunked,  // both framings in one response
  bad_chunk_size,              // a chunked 200 whose first chunk size is not hex
  idle_close,                  // answers like `none`, then closes after `idle_close_after` idle
};

struct FaultOptions {
  std::size_t body_size = 64 * 1024;
  std::chrono::milliseconds drip_interval{50};
  std::chrono::milliseconds idle_close_after{100};
  std::chrono::milliseconds head_delay{0};
  // Close a connection right after its Nth answer, without saying so (0: never), as servers with
  // a keep-alive request limit (nginx's keepalive_requests) do.
  std::size_t close_after_requests = 0;
};

class FaultUpstream {
 public:
  explicit FaultUpstream(Fault fault, FaultOptions options = {});
  ~FaultUpstream();
  FaultUpstream(const FaultUpstream&) = delete;
  FaultUpstream& operator=(const FaultUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_fault(Fault fault) { fault_ = fault; }

  std::size_t connections() const { return connections_.load(); }
  std::size_t requests() const { return requests_.load(); }
  // Connections the upstream closed itself (idle_close, resets), and that the router closed
  // while the upstream was still answering or stalling.
  std::size_t closed_by_upstream() const { return closed_by_upstream_.load(); }
  std::size_t closed_by_router_mid_request() const { return closed_by_router_.load(); }
  // When the router last closed a connection while a request on it was unanswered.
  std::optional<std::chrono::steady_clock::time_point> last_router_close() const;

 private:
  void accept_loop();
  void serve(Fd fd);
  bool read_head(int fd, std::string& in);
  void answer(int fd, Fault fault, bool& keep_open);
  void wait_for_router_close(int fd);
  bool sleep_unless_stopped(std::chrono::milliseconds duration);

  std::atomic<Fault> fault_;
  FaultOptions options_;
  Fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> requests_{0};
  std::atomic<std::size_t> closed_by_upstream_{0};
  std::atomic<std::size_t> closed_by_router_{0};
  mutable std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> last_router_close_;
  std::vector<std::thread> threads_;  // guarded by mutex_
  std::thread acceptor_;
};

}  // namespace strangler::test
