// RulesReloader: keeps the published RouteTable in step with the rules database.
//
// A background thread polls the rules version (one indexed read) every interval; when it moved,
// it reads in one transaction the targets and the routes written since the published table
// (the store's change log; everything when the log does not reach back), merges them, compiles a
// new RouteTable off the request path (sharing the trie when no route's pattern or methods
// changed) and publishes it. A flip with 100,000 routes thus reads one row and builds no trie. A
// database file that was deleted or replaced is noticed by its inode and reopened. When the
// database cannot be read (locked, corrupt, gone), the router keeps serving the last good table;
// the problem is logged once per change of state and shown on /readyz. The targets' active health
// checks run beside it and follow each table it publishes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "router/admin/metrics.h"
#include "router/routing/readiness.h"
#include "router/routing/route_snapshot.h"
#include "router/upstream/health_checker.h"
#include "rules/store/rule_store.h"

namespace strangler {

// Which file is at the path, and its last change: a file renamed over the path has another inode;
// one overwritten in place keeps it but changes size or mtime (SQLite's cache cannot see that).
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

class RulesReloader {
 public:
  RulesReloader(std::string db_path, RouteSnapshot& snapshot, Readiness& readiness,
                TargetRuntimes& runtimes, MetricsRegistry& metrics,
                std::chrono::milliseconds interval);
  ~RulesReloader();

  // The first load, before the router serves; throws StoreError or RuleError with the one-line
  // reason the router refuses to start.
  void load_initial();
  void start();
  void stop();

  // One poll, as the background thread does it (tests call it directly).
  void poll_once();

 private:
  void run();
  void open_store();
  struct Read {
    RuleSet rules;
    std::optional<std::size_t> touched;  // routes read; nullopt: all of them
  };
  Read read_rules();
  void publish(Read read, std::chrono::steady_clock::time_point started);
  void report_problem(const std::string& problem);

  std::string db_path_;
  RouteSnapshot& snapshot_;
  Readiness& readiness_;
  TargetRuntimes& runtimes_;
  MetricsRegistry& metrics_;
  std::chrono::milliseconds interval_;
  // The active health checks follow every table published (health_checker.h).
  HealthChecker health_;
  std::optional<RuleStore> store_;
  std::shared_ptr<const RouteTable> table_;  // the last one published
  FileIdentity identity_;
  std::int64_t version_ = -1;
  // Versions only compare within one file: after a failure or on another file (a replacement
  // whose counter may well match), the next successful read reloads whatever the version says.
  bool force_reload_ = false;
  std::string problem_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace strangler
