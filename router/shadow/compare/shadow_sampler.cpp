// ShadowSampler: see shadow_sampler.h. FNV-1a over "method \x1f path \x1f query" (a separator
// that cannot appear in any of the three, so ("GET", "/a?", "") and ("GET", "/a", "?") differ),
// then a splitmix64 finalizer so that requests differing in one character spread evenly.
#include "router/shadow/compare/shadow_sampler.h"

#include <cstdint>

#include "rules/split_chooser.h"

namespace strangler {

int shadow_bucket(std::string_view method, std::string_view path, std::string_view query) {
  constexpr std::string_view kSeparator = "\x1f";
  std::uint64_t h = fnv1a64(method);
  h = fnv1a64(kSeparator, h);
  h = fnv1a64(path, h);
  h = fnv1a64(kSeparator, h);
  h = fnv1a64(query, h);
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return static_cast<int>(h % 10000);
}

}  // namespace strangler
