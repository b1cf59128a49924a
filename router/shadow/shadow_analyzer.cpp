// ShadowAnalyzer; see shadow_analyzer.h.
#include "router/shadow/shadow_analyzer.h"

#include <algorithm>

#include <fmt/format.h>

#include "router/admin/log.h"
#include "router/shadow/background_thread.h"
#include "router/shadow/comparison_builder.h"
#include "rules/store/comparison_store.h"

namespace strangler {

namespace {

ShadowEvent event_of(ComparisonOutcome outcome) {
  switch (outcome) {
    case ComparisonOutcome::match:
      return ShadowEvent::matched;
    case ComparisonOutcome::mismatch:
      return ShadowEvent::mismatched;
    case ComparisonOutcome::shadow_error:
      return ShadowEvent::error;
  }
  return ShadowEvent::error;
}

// A batch that waits for a busy database must not hold the analyzer for long: it retries later.
constexpr std::chrono::milliseconds kBusyTimeout{200};
// The analyzer takes what queued every tick, or as soon as a quarter of the queue is used: waking
// it for every result cost a futex call per shadowed request.
constexpr std::chrono::milliseconds kTick{20};

std::size_t wake_at(std::size_t capacity) {
  return std::max<std::size_t>(1, capacity / 4);
}

}  // namespace

ShadowAnalyzer::ShadowAnalyzer(std::string db_path, AnalyzerSettings settings,
                               ThreadMetrics& metrics)
    : db_path_(std::move(db_path)),
      settings_(settings),
      metrics_(metrics),
      writer_(settings.writer, std::chrono::steady_clock::now()) {}

ShadowAnalyzer::~ShadowAnalyzer() {
  stop();
}

void ShadowAnalyzer::start() {
  thread_ = std::thread([this] {
    become_background_thread("shadow-compare", settings_.priority);
    loop();
  });
}

void ShadowAnalyzer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ShadowAnalyzer::submit(ShadowResult result) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < settings_.queue_capacity && !stopping_) {
      queue_.push_back(std::move(result));
      if (queue_.size() == wake_at(settings_.queue_capacity)) wake_.notify_one();
      return;
    }
  }
  count_dropped(*result.job.route, metrics_);
}

void ShadowAnalyzer::count_dropped(const Route& route, ThreadMetrics& metrics) {
  auto text = route.pattern.text();
  metrics.record_shadow_losses(text, 1, 0);
  std::lock_guard lock(mutex_);
  tallies_.add({route.id, std::move(text), 1, 0});
}

void ShadowAnalyzer::add_losses(const std::vector<ShadowTally>& sums) {
  std::lock_guard lock(mutex_);
  for (const auto& sum : sums) tallies_.add(sum);
}

std::vector<std::string> ShadowAnalyzer::stored_noise(std::int64_t route_id) {
  try {
    if (ensure_store()) return store_->noisy_paths(route_id);
  } catch (const std::exception&) {
    // No remembered noise is no worse than a fresh start: the noise check finds it again.
  }
  return {};
}

void ShadowAnalyzer::loop() {
  ComparisonBuilder builder([this](std::int64_t route_id) { return stored_noise(route_id); });
  for (bool last_round = false; !last_round;) {
    std::deque<ShadowResult> batch;
    std::vector<ShadowTally> tallies;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::min(kTick, settings_.writer.flush_interval), [&] {
        return stopping_ || queue_.size() >= wake_at(settings_.queue_capacity);
      });
      batch.swap(queue_);
      tallies = tallies_.take();
      last_round = stopping_;
    }
    for (auto& result : batch) {
      auto built = builder.build(result);
      metrics_.record_shadow(built.comparison.route, event_of(built.comparison.outcome));
      for (auto& path : built.new_noise) writer_.add_noise({built.comparison.route_id, path});
      writer_.add(std::move(built.comparison));
    }
    for (const auto& tally : tallies) writer_.add_tally(tally);
    metrics_.record_shadow_write_drops(writer_.dropped() - write_drops_reported_);
    write_drops_reported_ = writer_.dropped();
    auto now = std::chrono::steady_clock::now();
    if (writer_.due(now) || (last_round && !writer_.idle())) flush(now);
  }
}

// Opened only when there is something to write or to seed (a router without shadowed routes never
// opens it), and reopened after a failure, so a database that is briefly unavailable costs a few
// retries, not the comparisons of the whole run.
bool ShadowAnalyzer::ensure_store() {
  if (store_) return true;
  try {
    store_ = ComparisonStore::open(db_path_);
    store_->set_busy_timeout(kBusyTimeout);
    return true;
  } catch (const std::exception& e) {
    if (last_error_ != e.what()) log_line(fmt::format("shadow writer: {}", e.what()));
    last_error_ = e.what();
    return false;
  }
}

void ShadowAnalyzer::flush(std::chrono::steady_clock::time_point now) {
  if (!ensure_store()) return;
  auto sink = [this](const std::vector<Comparison>& comparisons,
                     const std::vector<ShadowTally>& tallies, const std::vector<NoisyPath>& noise,
                     const RetentionCaps& caps) {
    store_->record_batch(comparisons, tallies, noise, caps);
  };
  std::string error;
  if (writer_.flush(sink, now, error)) {
    last_error_.clear();
  } else if (error != last_error_) {
    log_line(fmt::format("shadow writer: batch not written, will retry: {}", error));
    last_error_ = error;
  }
}

}  // namespace strangler
