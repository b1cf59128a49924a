// ComparisonBuilder: turns a finished shadow copy (ShadowResult) into the Comparison that is
// stored, applying the route's ignores and the noise remembered for it, and learning new noise
// from the noise check. Pure apart from the seed callback (which the analyzer points at the
// store): no clock, no I/O of its own; lives on the analyzer thread, so it needs no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "router/shadow/compare/response_comparator.h"
#include "router/shadow/shadow_job.h"
#include "rules/comparison.h"

namespace strangler {

// How much of a mismatch's bodies and headers is kept for `diff show`.
inline constexpr std::size_t kStoredExcerptLimit = 16 * 1024;

class ComparisonBuilder {
 public:
  // `seed_noise(route_id)` returns the noise already stored for a route; called once per route.
  explicit ComparisonBuilder(std::function<std::vector<std::string>(std::int64_t)> seed_noise);

  struct Built {
    Comparison comparison;
    std::vector<std::string> new_noise;  // paths the noise check found for the first time
  };
  Built build(const ShadowResult& result);

 private:
  struct RouteRules {
    std::int64_t rules_version = -1;
    std::size_t noise_seen = 0;
    CompareRules rules;
  };
  std::set<std::string>& noise_for(std::int64_t route_id);
  const CompareRules& rules_for(const ShadowJob& job);

  std::function<std::vector<std::string>(std::int64_t)> seed_noise_;
  std::map<std::int64_t, std::set<std::string>> noise_;
  std::map<std::int64_t, RouteRules> rules_;
};

}  // namespace strangler
