// LatencyHistogram: request latencies counted into fixed buckets, the shape Prometheus histograms
// expose (`_bucket{le=...}`, `_sum`, `_count`).
//
// The bucket bounds are one fixed table for every target, so histograms from different I/O
// threads merge by adding arrays, and the request path does one small linear scan and two
// additions: no allocation, no floating point. Counts are stored per bucket (not cumulative);
// the renderer accumulates them. Not synchronized: each instance belongs to one metrics shard,
// whose lock guards it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strangler {

struct LatencyBucketBound {
  std::chrono::microseconds upper;  // inclusive: a latency equal to the bound falls into it
  std::string_view le;              // the bound as the `le` label value, in seconds
};

// Upper bounds from 1 ms to 10 s; everything slower lands in the implicit +Inf bucket. The `le`
// texts are spelled out so the exposition never depends on float formatting.
inline constexpr std::array<LatencyBucketBound, 13> kLatencyBuckets{{
    {std::chrono::microseconds{1'000}, "0.001"},
    {std::chrono::microseconds{2'500}, "0.0025"},
    {std::chrono::microseconds{5'000}, "0.005"},
    {std::chrono::microseconds{10'000}, "0.01"},
    {std::chrono::microseconds{25'000}, "0.025"},
    {std::chrono::microseconds{50'000}, "0.05"},
    {std::chrono::microseconds{100'000}, "0.1"},
    {std::chrono::microseconds{250'000}, "0.25"},
    {std::chrono::microseconds{500'000}, "0.5"},
    {std::chrono::microseconds{1'000'000}, "1"},
    {std::chrono::microseconds{2'500'000}, "2.5"},
    {std::chrono::microseconds{5'000'000}, "5"},
    {std::chrono::microseconds{10'000'000}, "10"},
}};

struct LatencyHistogram {
  // One count per bound plus the last one for +Inf.
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> buckets{};
  std::uint64_t count = 0;
  std::chrono::nanoseconds sum{0};  // integer, so merged sums are exact whatever the order

  // Negative latencies (a clock oddity) count as zero rather than corrupting the sum.
  void observe(std::chrono::nanoseconds latency) {
    if (latency.count() < 0) latency = std::chrono::nanoseconds{0};
    std::size_t i = 0;
    while (i < kLatencyBuckets.size() && latency > kLatencyBuckets[i].upper) ++i;
    ++buckets[i];
    ++count;
    sum += latency;
  }

  void merge(const LatencyHistogram& other) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
    count += other.count;
    sum += other.sum;
  }

  double sum_seconds() const { return std::chrono::duration<double>(sum).count(); }
};

}  // namespace strangler
