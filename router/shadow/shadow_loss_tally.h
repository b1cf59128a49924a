// ShadowLossTally: shadow copies given up (dropped) or never made (skipped), summed per route.
//
// At saturation nearly every sampled request is such a loss, counted on the I/O thread that gave
// it up. Adding is a lookup in a map of the few routes that lost copies since the last take():
// no lock (each thread has its own tally) and no string built, except for a route's first loss.
// The sums are handed on in batches (I/O thread -> analyzer -> database writer), so what waits is
// bounded by the number of routes, not of requests.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "rules/comparison.h"
#include "rules/rule_set.h"

namespace strangler {

class ShadowLossTally {
 public:
  void add(const Route& route, std::int64_t dropped, std::int64_t skipped);
  void add(const ShadowTally& tally);

  bool empty() const { return by_route_.empty(); }
  std::vector<ShadowTally> sums() const;  // ordered by route id
  void clear() { by_route_.clear(); }
  std::vector<ShadowTally> take();  // sums(), then clear()

 private:
  // Adds to the sums of `route_id`; `route_text()` is asked only when the route is new here.
  template <typename RouteText>
  void sum_into(std::int64_t route_id, RouteText route_text, std::int64_t dropped,
                std::int64_t skipped) {
    auto [it, added] = by_route_.try_emplace(route_id);
    if (added) {
      it->second.route_id = route_id;
      it->second.route = route_text();
    }
    it->second.dropped += dropped;
    it->second.skipped += skipped;
  }

  std::map<std::int64_t, ShadowTally> by_route_;
};

}  // namespace strangler
