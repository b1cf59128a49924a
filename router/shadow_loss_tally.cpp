// ShadowLossTally; see shadow_loss_tally.h.
#include "router/shadow_loss_tally.h"

namespace strangler {

void ShadowLossTally::add(const Route& route, std::int64_t dropped, std::int64_t skipped) {
  auto [it, added] = by_route_.try_emplace(route.id);
  if (added) {
    it->second.route_id = route.id;
    it->second.route = route.pattern.text();
  }
  it->second.dropped += dropped;
  it->second.skipped += skipped;
}

void ShadowLossTally::add(const ShadowTally& tally) {
  auto [it, added] = by_route_.try_emplace(tally.route_id);
  if (added) {
    it->second.route_id = tally.route_id;
    it->second.route = tally.route;
  }
  it->second.dropped += tally.dropped;
  it->second.skipped += tally.skipped;
}

std::vector<ShadowTally> ShadowLossTally::sums() const {
  std::vector<ShadowTally> out;
  out.reserve(by_route_.size());
  for (const auto& [id, tally] : by_route_) out.push_back(tally);
  return out;
}

std::vector<ShadowTally> ShadowLossTally::take() {
  auto out = sums();
  clear();
  return out;
}

}  // namespace strangler
