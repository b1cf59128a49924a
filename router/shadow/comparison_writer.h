// ComparisonWriter: batches finished comparisons, tallies and new noise, and writes them through
// a sink (the ComparisonStore in the router, a fake in tests) in one transaction per batch.
//
// Why batches: one SQLite commit per comparison would cost an fsync each; a batch every quarter
// second or every few hundred rows keeps the writer cheap under 100% shadowing. When the sink is
// busy or failing (another writer holds the database, the disk is full), the batch is kept and
// retried at the next flush; past `max_pending` waiting rows new ones are dropped and counted, so a
// stuck database costs bounded memory and never blocks anything upstream. Time is an argument.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "router/shadow/shadow_loss_tally.h"
#include "rules/comparison.h"
#include "rules/store/comparison_store.h"

namespace strangler {

struct WriterSettings {
  std::size_t batch_rows = 256;                   // flush at once when this many are waiting
  std::chrono::milliseconds flush_interval{250};  // otherwise flush this often
  std::size_t max_pending = 20000;                // beyond: new comparisons are dropped
  RetentionCaps retention{};
};

// Writes one batch; throws (StoreError or anything else) to say nothing was written.
using BatchSink =
    std::function<void(const std::vector<Comparison>&, const std::vector<ShadowTally>&,
                       const std::vector<NoisyPath>&, const RetentionCaps&)>;

class ComparisonWriter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  ComparisonWriter(WriterSettings settings, TimePoint now);

  void add(Comparison comparison);
  void add_tally(const ShadowTally& tally);
  void add_noise(NoisyPath noise);

  // True when a batch is waiting and either it is full or the interval has passed.
  bool due(TimePoint now) const;
  // Writes everything waiting. Returns false (keeping it for the next try) when the sink threw;
  // `error` then holds its message.
  bool flush(const BatchSink& sink, TimePoint now, std::string& error);

  std::size_t pending() const { return comparisons_.size(); }
  // True when nothing at all waits to be written (no comparison, tally or noise).
  bool idle() const { return comparisons_.empty() && tallies_.empty() && noise_.empty(); }
  std::uint64_t dropped() const { return dropped_; }  // comparisons lost to max_pending
  std::uint64_t written() const { return written_; }

 private:
  WriterSettings settings_;
  TimePoint last_flush_;
  std::vector<Comparison> comparisons_;
  ShadowLossTally tallies_;
  std::vector<NoisyPath> noise_;
  std::uint64_t dropped_ = 0;
  std::uint64_t written_ = 0;
};

}  // namespace strangler
