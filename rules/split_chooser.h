// SplitChooser: which side of a gradual flip a request belongs to.
//
// The choice is a pure function of a sticky key (a header's value, or the client address) and
// the route, so one client sees one side for the whole ramp-up; and because a key is in the split
// when its bucket is below the percent, raising the percent only ever moves clients to the new
// target, never back.
#pragma once

#include <cstdint>
#include <string_view>

namespace strangler {

// A stable bucket in [0, 100) for the key; the route id salts it so that different routes split
// different clients.
int split_bucket(std::string_view key, std::int64_t route_id);

inline bool in_split(std::string_view key, std::int64_t route_id, int percent) {
  return split_bucket(key, route_id) < percent;
}

// FNV-1a, 64 bit: tiny, stable across builds and platforms (std::hash is neither).
std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed = 14695981039346656037ULL);

}  // namespace strangler
