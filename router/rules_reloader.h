// RulesReloader: keeps the published RouteTable in step with the rules database.
//
// A background thread polls the rules version (one indexed read) every interval; when it moved,
// it loads the whole rule set in one read transaction, compiles a new RouteTable off the request
// path and publishes it. A database file that was deleted or replaced is noticed by its inode and
// reopened. When the database cannot be read (locked, corrupt, gone), the router
// keeps serving the last good table; the problem is logged once per change of state and shown on
// /readyz.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "router/metrics.h"
#include "router/readiness.h"
#include "router/route_snapshot.h"
#include "rules/rule_store.h"

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
  void publish(RuleSet rules);
  void report_problem(const std::string& problem);

  std::string db_path_;
  RouteSnapshot& snapshot_;
  Readiness& readiness_;
  TargetRuntimes& runtimes_;
  MetricsRegistry& metrics_;
  std::chrono::milliseconds interval_;
  std::optional<RuleStore> store_;
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
