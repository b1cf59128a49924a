// SplitChooser; see split_chooser.h.
#include "rules/split_chooser.h"

namespace strangler {

std::uint64_t fnv1a64(std::string_view data, std::uint64_t seed) {
  std::uint64_t h = seed;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

int split_bucket(std::string_view key, std::int64_t route_id) {
  std::uint64_t h = fnv1a64(key);
  // Mix in the route id, then finalize (splitmix64) so that nearby keys spread evenly.
  h ^= static_cast<std::uint64_t>(route_id) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return static_cast<int>(h % 100);
}

}  // namespace strangler
