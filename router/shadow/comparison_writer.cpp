// ComparisonWriter; see comparison_writer.h.
#include "router/shadow/comparison_writer.h"

#include <exception>

namespace strangler {

ComparisonWriter::ComparisonWriter(WriterSettings settings, TimePoint now)
    : settings_(settings), last_flush_(now) {}

void ComparisonWriter::add(Comparison comparison) {
  if (comparisons_.size() >= settings_.max_pending) {
    ++dropped_;
    return;
  }
  comparisons_.push_back(std::move(comparison));
}

void ComparisonWriter::add_tally(const ShadowTally& tally) {
  tallies_.add(tally);
}

void ComparisonWriter::add_noise(NoisyPath noise) {
  noise_.push_back(std::move(noise));
}

bool ComparisonWriter::due(TimePoint now) const {
  return !idle() && (comparisons_.size() >= settings_.batch_rows ||
                     now - last_flush_ >= settings_.flush_interval);
}

bool ComparisonWriter::flush(const BatchSink& sink, TimePoint now, std::string& error) {
  last_flush_ = now;
  auto tallies = tallies_.sums();
  try {
    sink(comparisons_, tallies, noise_, settings_.retention);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  written_ += comparisons_.size();
  comparisons_.clear();
  tallies_.clear();
  noise_.clear();
  return true;
}

}  // namespace strangler
