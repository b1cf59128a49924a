// Backoff; see backoff.h.
#include "router/resilience/backoff.h"

#include <algorithm>
#include <cmath>

namespace strangler {

std::chrono::milliseconds backoff_ceiling(int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds cap) {
  using std::chrono::milliseconds;
  if (base.count() <= 0 || cap.count() <= 0) return milliseconds{0};
  const int shift = std::max(attempt, 1) - 1;
  // base * 2^shift > cap  <=>  base > cap >> shift; checking it this way never overflows.
  if (shift >= 62 || base.count() > (cap.count() >> shift)) return cap;
  return milliseconds{base.count() << shift};
}

std::chrono::milliseconds full_jitter_backoff(int attempt, std::chrono::milliseconds base,
                                              std::chrono::milliseconds cap, double uniform01) {
  const auto ceiling = backoff_ceiling(attempt, base, cap);
  // NaN fails both comparisons of clamp's contract; treat it as 0 rather than propagate it.
  const double u = std::isnan(uniform01) ? 0.0 : std::clamp(uniform01, 0.0, 1.0);
  const double ceiling_ms = static_cast<double>(ceiling.count());
  const double scaled = std::floor(ceiling_ms * u);
  // Near the top of the range the double may round up past the ceiling (or past what the rep
  // can hold, for huge caps): the ceiling itself is then the answer, never a wrapped value.
  if (scaled >= ceiling_ms) return ceiling;
  return std::chrono::milliseconds{static_cast<std::chrono::milliseconds::rep>(scaled)};
}

}  // namespace strangler
