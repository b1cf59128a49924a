// ShadowAnalyzer: the thread that compares and stores. Finished shadow copies arrive from the
// shadow thread through a bounded queue; here they are diffed (ComparisonBuilder: JSON parsing is
// the costly part, so it stays off every I/O thread), counted in the metrics, and written in
// batches (ComparisonWriter) through the analyzer's own SQLite connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "router/admin/metrics.h"
#include "router/shadow/background_thread.h"
#include "router/shadow/comparison_writer.h"
#include "router/shadow/shadow_job.h"
#include "router/shadow/shadow_loss_tally.h"
#include "rules/store/comparison_store.h"

namespace strangler {

struct AnalyzerSettings {
  std::size_t queue_capacity = 1000;  // finished copies waiting to be compared
  WriterSettings writer{};
  BackgroundPriority priority = BackgroundPriority::idle;
};

class ShadowAnalyzer {
 public:
  // `db_path`: the rules database; its comparison tables are written with a connection of the
  // analyzer's own. `metrics`: a shard for this thread alone.
  ShadowAnalyzer(std::string db_path, AnalyzerSettings settings, ThreadMetrics& metrics);
  ~ShadowAnalyzer();

  void start();
  // Compares what is queued, makes a last attempt to write it (bounded by the busy timeout), and
  // joins the thread.
  void stop();

  // Any thread; never blocks for long. A full queue drops the result (counted as dropped).
  void submit(ShadowResult result);
  // The shadow thread: a copy it could not send, counted in `metrics` (its shard) and in the
  // route's stored tally.
  void count_dropped(const Route& route, ThreadMetrics& metrics);
  // Any thread: losses (dropped and skipped copies) that the caller summed and counted in its
  // own metrics shard already, for the routes' stored tallies.
  void add_losses(const std::vector<ShadowTally>& sums);

 private:
  void loop();
  bool ensure_store();
  void flush(std::chrono::steady_clock::time_point now);
  std::vector<std::string> stored_noise(std::int64_t route_id);

  const std::string db_path_;
  const AnalyzerSettings settings_;
  ThreadMetrics& metrics_;

  std::mutex mutex_;  // guards the four members below
  std::condition_variable wake_;
  std::deque<ShadowResult> queue_;
  ShadowLossTally tallies_;  // bounded by the number of routes, however many copies are lost
  bool stopping_ = false;

  ComparisonWriter writer_;  // analyzer thread only, like everything below
  std::optional<ComparisonStore> store_;
  std::string last_error_;  // logged once until it changes
  std::uint64_t write_drops_reported_ = 0;
  std::thread thread_;
};

}  // namespace strangler
