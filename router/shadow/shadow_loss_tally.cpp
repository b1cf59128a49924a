// ShadowLossTally; see shadow_loss_tally.h.
#include "router/shadow/shadow_loss_tally.h"

namespace strangler {

void ShadowLossTally::add(const Route& route, std::int64_t dropped, std::int64_t skipped) {
  sum_into(
      route.id, [&] { return route.pattern.text(); }, dropped, skipped);
}

void ShadowLossTally::add(const ShadowTally& tally) {
  sum_into(
      tally.route_id, [&] { return tally.route; }, tally.dropped, tally.skipped);
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
