// RecordingUpstream: an in-process HTTP/1.1 upstream for the integration tests that records the
// exact bytes of every request it receives and answers with a configurable response.
//
// It listens on 127.0.0.1 port 0 and serves any number of keep-alive connections from one
// poll()-based thread, so a proxy's pooled connections never block each other. Tests point a
// target at url(), send requests through the router, then inspect requests(): the head as it
// arrived (header order, values, framing) and the decoded body. The responder runs on the
// upstream's thread; it returns the complete raw response bytes (response() builds them). A
// response with "Connection: close", or a request carrying it, closes the connection after the
// response is written; an empty response closes the connection without answering. Answers to
// HEAD are cut to their head.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/http_message.h"
#include "tests/support/raw_http.h"

namespace strangler::test {

struct RecordedRequest {
  HttpHead head;
  std::string method;
  std::string target;          // request-target as sent: path and query
  std::string body;            // decoded
  std::string raw;             // every byte of the request as received, framing included
  std::size_t connection = 0;  // 1-based number of the connection it came on
};

class RecordingUpstream {
 public:
  using Responder = std::function<std::string(const RecordedRequest&)>;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Default responder: 200 with body "ok".
  explicit RecordingUpstream(Responder responder = {});
  ~RecordingUpstream();
  RecordingUpstream(const RecordingUpstream&) = delete;
  RecordingUpstream& operator=(const RecordingUpstream&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<RecordedRequest> requests() const;
  // Waits until at least `count` requests were recorded and returns all of them; throws
  // std::runtime_error on timeout.
  std::vector<RecordedRequest> wait_for_requests(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  std::size_t connections_accepted() const { return connections_accepted_.load(); }
  // Connections this upstream has closed its end of (whichever side ended them first), counted
  // once close() has returned: by then the FIN is queued to the peer, so a test that waits for
  // this count knows that the router can see the close.
  std::size_t connections_closed() const { return connections_closed_.load(); }
  // Every byte received on any connection, complete requests or not.
  std::size_t bytes_received() const { return bytes_received_.load(); }
  // Close every connection right after its response without saying so (no "Connection: close"),
  // as servers with a short keep-alive timeout do.
  void set_silent_close(bool on) { silent_close_ = on; }
  // Write each response's first `after_bytes` bytes, then pause for `pause` before the rest: a
  // slow upstream, to see whether the router streams or buffers.
  void set_stall(std::size_t after_bytes, std::chrono::milliseconds pause) {
    stall_after_ = after_bytes;
    stall_ms_ = pause.count();
  }

  // Builds a response with a Content-Length (or chunked framing when `chunked`).
  static std::string response(int status, const Headers& headers, std::string_view body,
                              bool chunked = false);

 private:
  struct Connection;
  void run();
  void on_readable(Connection& c);
  void parse_requests(Connection& c);
  bool flush(Connection& c);

  Responder responder_;
  Fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> silent_close_{false};
  std::atomic<std::size_t> stall_after_{0};
  std::atomic<long> stall_ms_{0};
  std::atomic<std::size_t> connections_accepted_{0};
  std::atomic<std::size_t> connections_closed_{0};
  std::atomic<std::size_t> bytes_received_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable recorded_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

}  // namespace strangler::test
