// AccessLog: the optional JSON access log (`--access-log PATH` or `-` for stdout), one object per
// line per client request, written off the request path.
//
// I/O threads call log() when a response is finished: it moves the record into a bounded queue
// under a mutex held for the push only, and never waits; when the queue is full the record is
// dropped and counted (dropped()), because a slow disk must not slow the proxy. One writer thread
// takes the whole queue at once, formats it (nlohmann-json, so every string is escaped and
// invalid UTF-8 is replaced rather than thrown on) and hands the batch to the sink in one write.
// stop() (or the destructor) writes what is queued and joins the writer. The sink is injectable
// so tests can block it or capture lines; open() builds the file or stdout one.
//
//   {"time":"2026-11-26T23:51:02.123Z","request_id":"…","method":"GET","path":"/orders/7",
//    "route":"orders","target":"orders-svc","status":200,"latency_ms":3.125,
//    "fallback":null,"refusal":null,"breaker":"closed"}
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace strangler {

struct AccessRecord {
  std::chrono::system_clock::time_point time;  // left default: log() stamps the current time
  std::string request_id;
  std::string method;
  std::string path;
  std::string route;   // empty: no route matched (written as null)
  std::string target;  // the target that answered; empty: none (written as null)
  int status = 0;
  std::chrono::nanoseconds latency{0};  // written as latency_ms, microsecond precision
  std::optional<std::string> fallback;  // the fallback reason, or null when none was used
  std::optional<std::string> refusal;   // why the router refused the request, or null
  std::string breaker;                  // the target's breaker state; empty: written as null
  std::string client;  // the client address (behind a trusted proxy: from X-Forwarded-For)
  std::string peer;    // the address the connection came from
};

// One record as its JSON line, newline included. Public for tests and for other writers.
std::string format_access_record(const AccessRecord& record);

struct AccessLogSettings {
  std::size_t capacity = 65536;  // records queued at most; more are dropped
};

class AccessLog {
 public:
  // Receives one batch of complete lines; called on the writer thread only. An exception from
  // it loses that batch (counted in write_failures()) but keeps the writer alive.
  using Sink = std::function<void(std::string_view lines)>;
  // Reopens what the sink writes to (after logrotate moved the file); called on the writer
  // thread only, between batches. An exception from it keeps the old destination.
  using Reopen = std::function<void()>;

  // Appends to the file at `path`, or writes to stdout for "-"; flushes after every batch.
  // Throws std::runtime_error with a one-line message when the file cannot be opened.
  // reopen() opens `path` anew (stdout: nothing to do).
  static std::unique_ptr<AccessLog> open(const std::string& path, AccessLogSettings settings = {});

  // Starts the writer thread. A capacity of 0 is taken as 1.
  explicit AccessLog(Sink sink, AccessLogSettings settings = {}, Reopen reopen = {});
  ~AccessLog();  // stop()

  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Queues the record, or drops and counts it when the queue is full or the log is stopped.
  void log(AccessRecord&& record);

  // Asks the writer to reopen the destination before its next batch (SIGHUP); returns at once.
  void reopen();

  // Writes everything queued, then joins the writer. Idempotent; log() afterwards only drops.
  void stop();

  std::uint64_t dropped() const;
  std::uint64_t written() const;         // records handed to the sink successfully
  std::uint64_t write_failures() const;  // batches whose sink call threw

 private:
  void run();
  void write_batch(std::vector<AccessRecord>& batch);
  void reopen_destination();

  const Sink sink_;
  const Reopen reopen_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<AccessRecord> pending_;  // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  bool reopen_requested_ = false;      // guarded by mutex_
  std::uint64_t dropped_ = 0;          // guarded by mutex_
  std::uint64_t written_ = 0;          // guarded by mutex_
  std::uint64_t write_failures_ = 0;   // guarded by mutex_
  std::thread writer_;                 // last: starts after everything above exists
};

}  // namespace strangler
