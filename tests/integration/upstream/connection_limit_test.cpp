// Integration: --max-connections and --queue-timeout-ms against a fixed-thread-pool upstream, the
// kind of monolith that serves K connections at a time (one thread each) and leaves the rest in
// its accept backlog. With the limit at K, 3K concurrent clients all get their answer (the excess
// waits in the router's queue) and the upstream never has more than K connections open; with a
// short queue timeout some get "503 queue-timeout" (never the fallback), counted in /metrics.
#include <doctest/doctest.h>
#include <httplib.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/prometheus.h"
#include "tests/support/raw_http.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// K worker threads, each serving one connection at a time until the peer closes it; every
// request takes `work` and is answered keep-alive. Connections beyond K wait unserved. It counts
// the connections open at once: accepted and not yet closed by the peer. Closed ones are noticed
// before each accept (a peek at every open connection), so that a connection the router closed
// just before opening another is never counted with it.
class ThreadPoolUpstream {
 public:
  ThreadPoolUpstream(int threads, std::chrono::milliseconds work) : work_(work) {
    listener_ = listen_loopback("thread-pool upstream", port_);
    acceptor_ = std::thread([this] { accept_loop(); });
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { work_loop(); });
  }
  ~ThreadPoolUpstream() {
    stop_ = true;
    ready_.notify_all();
    acceptor_.join();
    for (auto& worker : workers_) worker.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int max_open() const { return max_open_.load(); }
  int requests() const { return requests_.load(); }

 private:
  struct Conn {
    explicit Conn(int fd) : fd(fd) {}
    Fd fd;
    std::atomic<bool> open{true};
  };

  void closed(Conn& conn) {
    if (conn.open.exchange(false)) --open_;
  }

  void reap() {
    std::lock_guard lock(mutex_);
    std::erase_if(all_, [&](const std::shared_ptr<Conn>& conn) {
      char byte;
      if (conn->open && ::recv(conn->fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
        closed(*conn);
      }
      return !conn->open;
    });
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      reap();
      auto conn = std::make_shared<Conn>(fd);
      int now_open = ++open_;
      int seen = max_open_.load();
      while (now_open > seen && !max_open_.compare_exchange_weak(seen, now_open)) {
      }
      std::lock_guard lock(mutex_);
      all_.push_back(conn);
      queue_.push_back(conn);
      ready_.notify_one();
    }
  }

  void work_loop() {
    while (!stop_) {
      std::shared_ptr<Conn> conn;
      {
        std::unique_lock lock(mutex_);
        ready_.wait_for(lock, 20ms, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) continue;
        conn = queue_.front();
        queue_.pop_front();
      }
      serve(*conn);
      closed(*conn);
    }
  }

  // Requests until the peer closes (or the upstream stops).
  void serve(Conn& conn) {
    std::string in;
    while (!stop_) {
      pollfd p{conn.fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      char buffer[4096];
      auto n = ::recv(conn.fd.get(), buffer, sizeof buffer, 0);
      if (n <= 0) return;
      in.append(buffer, static_cast<std::size_t>(n));
      auto end = in.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      in.erase(0, end + 4);
      ++requests_;
      std::this_thread::sleep_for(work_);
      static constexpr std::string_view kAnswer =
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
      if (::send(conn.fd.get(), kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  std::chrono::milliseconds work_;
  Fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::atomic<int> max_open_{0};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::shared_ptr<Conn>> all_;
  std::deque<std::shared_ptr<Conn>> queue_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

struct Answer {
  int status = 0;  // 0: no answer
  std::string body;
  std::string served_by;
};

// `count` concurrent GETs of `path`, each on its own connection.
std::vector<Answer> concurrent_gets(const Cluster& c, const std::string& path, int count) {
  std::vector<Answer> answers(static_cast<std::size_t>(count));
  std::vector<std::thread> clients;
  for (int i = 0; i < count; ++i) {
    clients.emplace_back([&, i] {
      auto client = c.client();
      auto res = client.Get(path + "/" + std::to_string(i));
      if (!res) return;
      answers[static_cast<std::size_t>(i)] = {res->status, res->body, served_by(res)};
    });
  }
  for (auto& client : clients) client.join();
  return answers;
}

double queue_timeouts(Cluster& c, const std::string& target) {
  auto res = c.admin_client().Get("/metrics");
  REQUIRE(res);
  return parse_prometheus(res->body, c.dir())
      .sum("strangler_upstream_queue_timeouts_total", {{"target", target}});
}

}  // namespace

TEST_CASE(
    "connection limit: 3K clients of a K-thread upstream all answered, K connections at most") {
  constexpr int K = 3;
  Cluster c;
  c.init_with_monolith();
  ThreadPoolUpstream upstream(K, 200ms);
  c.ctl_ok({"target", "add", "pool", upstream.url(), "--max-connections", std::to_string(K),
            "--queue-timeout-ms", "5000"});
  c.ctl_ok({"route", "add", "/work", "--to", "pool"});
  c.start_router();

  auto answers = concurrent_gets(c, "/work", 3 * K);
  for (const auto& answer : answers) {
    INFO(answer.status << " " << answer.body);
    CHECK(answer.status == 200);
    CHECK(answer.body == "ok");
  }
  CHECK(upstream.requests() == 3 * K);
  CHECK(upstream.max_open() <= K);
  CHECK(upstream.max_open() >= 1);
  CHECK(queue_timeouts(c, "pool") == 0);
}

TEST_CASE("connection limit: a short queue timeout answers 503 queue-timeout, not the fallback") {
  constexpr int K = 2;
  Cluster c;
  c.init_with_monolith();
  ThreadPoolUpstream upstream(K, 400ms);
  c.ctl_ok({"target", "add", "tight", upstream.url(), "--max-connections", std::to_string(K),
            "--queue-timeout-ms", "50"});
  c.ctl_ok({"route", "add", "/work", "--to", "tight"});  // default fallback: legacy
  c.start_router();

  auto answers = concurrent_gets(c, "/work", 4 * K);
  int ok = 0;
  int refused = 0;
  for (const auto& answer : answers) {
    INFO(answer.status << " " << answer.body);
    CHECK(answer.served_by != "monolith");  // a queue timeout never falls back
    if (answer.status == 200) ++ok;
    if (answer.status == 503) {
      ++refused;
      CHECK(answer.body.find("\"queue-timeout\"") != std::string::npos);
    }
  }
  CHECK(ok + refused == 4 * K);
  CHECK(ok >= K);
  CHECK(refused >= 1);
  CHECK(upstream.max_open() <= K);
  CHECK(queue_timeouts(c, "tight") == refused);
  // Not a failure of the target: its breaker stays closed.
  auto breakers = c.admin_client().Get("/admin/breakers");
  REQUIRE(breakers);
  CHECK(breakers->body.find("\"open\"") == std::string::npos);
}
