// UpstreamPool: keep-alive connections to the targets, one pool per I/O thread (so no locks).
//
// acquire() hands out an idle connection to the same address when one is left and still open,
// otherwise connects with the target's connect timeout. release() takes back only a connection
// whose last exchange ended cleanly. Upstreams may close idle or used-up connections at any time
// (nginx's keepalive_requests, cpp-httplib's 5 s keep-alive): a connection the peer already closed
// is detected on acquire and thrown away, and the caller retries a body-less request once on a
// fresh connection when a reused one fails before the first response byte. That retry makes the
// detection (one recv syscall, a seventh of a proxied request's) unnecessary for a replayable
// request on a connection idle for less than `check_after`, which under load is every request.
//
// While connections sit idle a timer sweeps the pool every `sweep_every`: it closes those idle
// past `max_idle_time_replayable` (the longest any request would take) and those the upstream
// closed, as nginx does with its upstream keepalive_timeout. Without it, connections stayed open
// (in CLOSE_WAIT once the upstream gave up on them) until a request happened to pop them.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/admin/metrics.h"
#include "router/net/asio.h"
#include "router/net/timed_stream.h"
#include "router/upstream/connection_limiter.h"
#include "rules/route_table.h"

namespace strangler {

struct UpstreamConnection {
  explicit UpstreamConnection(Executor ex) : stream(std::move(ex)) {}

  // Under --max-connections: given back when the connection is destroyed. First, so that it is
  // destroyed last: the socket is closed before another request may open one in its place.
  ConnectionLimiter::Slot slot;
  TimedStream stream;
  beast::flat_buffer buffer;  // bytes read past the end of the previous response, if any
  std::string key;            // pool key: "host:port", plus the limiter's identity if limited
  bool reused = false;
};

// queue_timeout: no connection slot came free within the target's --queue-timeout-ms.
enum class ConnectFailure { none, refused, timeout, resolve, other, queue_timeout };

const char* describe(ConnectFailure failure);

struct PoolLimits {
  std::size_t max_idle_per_target = 256;
  // Below the 5 s keep-alive of Node.js and cpp-httplib servers, so that the upstream rarely closes
  // a connection just as the router reuses it for a request with a body (which is never resent).
  std::chrono::milliseconds max_idle_time{4000};
  // A replayable request may take an older one (nginx's upstream keepalive_timeout default): it is
  // checked first, and if the upstream closed it anyway the request goes again on a fresh one. So
  // a lull of a few seconds no longer costs the next burst a reconnect per connection, which made
  // the longest tails under load (docs/decisions.md).
  std::chrono::milliseconds max_idle_time_replayable{60000};
  // A replayable request takes a connection idle for less than this without checking it.
  std::chrono::milliseconds check_after{250};
  std::chrono::milliseconds sweep_every{1000};
};

// The limits for an idle timeout of `idle_timeout` (--upstream-idle-timeout-ms): the replayable
// limit itself, the others no longer than it.
PoolLimits pool_limits(std::chrono::milliseconds idle_timeout);

class UpstreamPool {
 public:
  // `metrics`: the owning thread's shard, for the idle gauge and the connect counter.
  UpstreamPool(Executor executor, PoolLimits limits, ThreadMetrics& metrics);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // An open connection to `target`, or nullptr with `failure` set. `allow_reuse` false forces a
  // fresh connection. `replayable`: the caller can send the request again on a fresh connection
  // if a reused one fails before any response byte (so a recently used one is not checked).
  // `limiter`: the target's connection limit, if it has one; a new connection then waits for a
  // slot first.
  Task<std::unique_ptr<UpstreamConnection>> acquire(const CompiledTarget& target, bool allow_reuse,
                                                    ConnectFailure& failure,
                                                    bool replayable = false,
                                                    ConnectionLimiter* limiter = nullptr);
  void release(std::unique_ptr<UpstreamConnection> connection);

 private:
  struct Idle {
    std::unique_ptr<UpstreamConnection> connection;
    std::chrono::steady_clock::time_point since;
  };

  std::unique_ptr<UpstreamConnection> take_idle(const std::string& key, bool replayable);
  // Limited connections: the limiter is told how many this pool keeps idle, and may ask it to
  // close one for a request waiting on another thread.
  void count_idle(UpstreamConnection& connection, int delta);
  void close_one_idle(const std::string& key);
  Task<std::unique_ptr<UpstreamConnection>> connect(const CompiledTarget& target,
                                                    ConnectFailure& failure);
  void arm_sweep();
  void sweep();
  void forget_idle(std::size_t count);
  void forget_idle_list(std::vector<Idle>& list, std::size_t kept);

  Executor executor_;
  PoolLimits limits_;
  ThreadMetrics& metrics_;
  std::unordered_map<std::string, std::vector<Idle>> idle_;  // each list oldest first
  std::size_t idle_count_ = 0;
  Timer sweep_timer_;
  bool sweep_armed_ = false;
  // Ends with the pool, so that a close-one request posted by a limiter finds nothing to do.
  std::shared_ptr<UpstreamPool*> alive_ = std::make_shared<UpstreamPool*>(this);
};

}  // namespace strangler
