// Backoff: how long to wait before retry number `attempt` against a target — exponential growth
// with AWS's "full jitter" (sleep = uniform(0, min(cap, base * 2^(attempt-1)))), which spreads
// the retries of many clients so that a recovering upstream is not hit by synchronized waves.
//
// Pure: the caller draws the random number (e.g. std::uniform_real_distribution over its
// thread's engine) and passes it in, so tests pin every bound exactly.
#pragma once

#include <chrono>

namespace strangler {

// attempt is 1-based (the first retry is attempt 1); values below 1 are treated as 1. uniform01
// is clamped to [0, 1]. Negative base or cap give zero. Never overflows: for large attempts the
// ceiling is simply `cap`. The result lies in [0, min(cap, base * 2^(attempt-1))].
std::chrono::milliseconds full_jitter_backoff(int attempt, std::chrono::milliseconds base,
                                              std::chrono::milliseconds cap, double uniform01);

// The ceiling above alone: min(cap, base * 2^(attempt-1)), overflow-safe.
std::chrono::milliseconds backoff_ceiling(int attempt, std::chrono::milliseconds base,
                                          std::chrono::milliseconds cap);

}  // namespace strangler
