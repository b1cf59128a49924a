// ShadowJob: everything a shadow copy needs once the client has its answer — the request as the
// primary received it, the primary's captured answer, and the routing state it was routed by.
// Built on an I/O thread, moved to the shadow thread, then to the analyzer; never shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "router/routing/target_runtime.h"
#include "rules/comparison.h"

namespace strangler {

// The request as it was sent upstream (after the router's header rewrites), body included.
struct CopiedRequest {
  std::string method;
  std::string target;  // normalized path plus the query as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct ShadowJob {
  std::shared_ptr<const RoutingState> state;  // keeps the route and its targets alive
  const Route* route = nullptr;               // never null: only routed requests are shadowed
  std::size_t route_slot = 0;                 // the route's CompiledRoute::slot
  std::size_t primary_index = 0;
  std::size_t shadow_index = 0;
  CopiedRequest request;
  CapturedResponse primary;
  std::string at;  // RFC 3339 UTC, when the primary answered
};

// A shadow copy after its exchanges: what the shadow answered (or why it did not), and the
// primary's second answer when the route asks for a noise check.
struct ShadowResult {
  ShadowJob job;
  std::optional<CapturedResponse> shadow;  // nullopt: shadow error
  std::string error;
  std::optional<CapturedResponse> primary_again;
};

}  // namespace strangler
