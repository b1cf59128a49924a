// RoutedRequest: what the route phase decided for one request — the table snapshot it was
// routed by, the route that matched, the side of a split it goes to, and the target string sent
// upstream. A plain value: the forwarder, the shadow tap and the finish phase read it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "router/routing/target_runtime.h"

namespace strangler {

struct RoutedRequest {
  std::shared_ptr<const RoutingState> state;  // keeps table and runtimes alive for the request
  const CompiledRoute* match = nullptr;       // never null once routed
  std::size_t target_index = 0;               // the side of a split that was chosen
  std::string upstream_target;                // normalized path plus the query as sent

  const CompiledTarget& target() const { return state->table->target(target_index); }
  TargetRuntime& runtime(std::size_t index) const { return *state->runtimes[index]; }
  // The matched route's breaker for a target its client traffic goes to (the chosen side or its
  // fallback), made on first use; every such target has one.
  RouteBreaker& breaker(std::size_t index) const {
    return *state->breakers->get(match->slot, index);
  }
};

}  // namespace strangler
