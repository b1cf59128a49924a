// ComparisonStore: the shadow comparisons kept in the rules database, and the reports over them
// (issue 3).
//
// Two users: the router's background writer, which appends batches through its own connection
// (record_batch), and stranglerctl, which reads reports and clears. Nothing here bumps the rules
// version, so the router never reloads its rules because of its own diff writes. Every statement
// uses bound parameters.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/comparison.h"
#include "rules/store/store_error.h"

namespace strangler {

// How many comparison rows are kept; the oldest go first.
struct RetentionCaps {
  std::int64_t per_route = 10000;
  std::int64_t total = 100000;
};

struct ReportFilter {
  std::optional<std::string> route;           // a route's pattern text; nullopt: every route
  std::optional<std::chrono::seconds> since;  // only comparisons newer than now - since
};

struct DifferenceSummary {
  std::string path;
  DiffKind kind = DiffKind::changed;
  std::int64_t count = 0;
  std::int64_t example_id = 0;
};

// One route's line of `diff report`. Matches and mismatches are recomputed from the stored
// differences with the route's current ignores and noisy paths, so an ignore added today also
// cleans yesterday's comparisons.
struct RouteReport {
  std::string route;
  std::int64_t route_id = 0;
  std::int64_t comparisons = 0;  // matches + mismatches (shadow errors are not comparisons)
  std::int64_t matches = 0;
  std::int64_t mismatches = 0;
  double match_rate = 0;  // matches / comparisons; 0 when there are none
  std::int64_t status_mismatches = 0;
  std::int64_t shadow_errors = 0;
  std::int64_t dropped = 0;
  std::int64_t skipped = 0;
  double primary_p50_ms = 0, primary_p99_ms = 0, shadow_p50_ms = 0, shadow_p99_ms = 0;
  std::vector<std::string> noisy_paths;
  std::vector<DifferenceSummary> top_differences;  // most frequent first, at most 10
};

class ComparisonStore {
 public:
  // Opens the rules database at `path` read-write without migrating it. StoreError when the file
  // is missing, not a rule set, or older than the schema that holds comparisons.
  static ComparisonStore open(const std::string& path);

  ComparisonStore(ComparisonStore&&) noexcept;
  ComparisonStore& operator=(ComparisonStore&&) noexcept;
  ~ComparisonStore();

  void set_busy_timeout(std::chrono::milliseconds timeout);

  // One transaction: inserts the comparisons (assigning ids), adds the tallies, remembers the
  // noisy paths, then deletes the oldest rows beyond `caps`. Throws StoreError (and writes
  // nothing) when the database stays busy past the busy timeout; the writer retries the batch.
  void record_batch(const std::vector<Comparison>& comparisons,
                    const std::vector<ShadowTally>& tallies, const std::vector<NoisyPath>& noise,
                    const RetentionCaps& caps);

  // Noisy paths remembered for a route (the router seeds its noise memory with them).
  std::vector<std::string> noisy_paths(std::int64_t route_id);

  std::vector<RouteReport> report(const ReportFilter& filter);
  std::optional<Comparison> find(std::int64_t id);
  // Deletes comparisons, tallies and noise (of one route, or all); returns comparisons deleted.
  std::int64_t clear(const std::optional<std::string>& route);

 private:
  struct Impl;
  explicit ComparisonStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strangler
