// ShadowSampler: which requests of a shadowed route are mirrored (issue 3). Deterministic: a hash
// of method, path and query decides, so at a given percent the same requests are shadowed on
// every run and every router; raising the percent only adds requests. Pure.
#pragma once

#include <string_view>

namespace strangler {

// A stable bucket in [0, 10000) for the request.
int shadow_bucket(std::string_view method, std::string_view path, std::string_view query);

// True when the request is sampled at `percent` (0..100; 100 takes every request).
inline bool shadow_sampled(std::string_view method, std::string_view path, std::string_view query,
                           int percent) {
  return shadow_bucket(method, path, query) < percent * 100;
}

}  // namespace strangler
