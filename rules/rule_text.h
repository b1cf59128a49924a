// Short human-readable descriptions of routes, shared by the store's messages and stranglerctl's
// output so that both name a route the same way.
//
//   route_label:       "/orders", "/orders (exact)", "/orders [GET,HEAD]"
//   route_destination: "legacy", "legacy, 20% to orders (sticky by X-User)"
#pragma once

#include <string>

#include "rules/rule_set.h"

namespace strangler {

std::string route_label(const Route& route);
std::string route_destination(const Route& route);
// "sticky by X-User" or "sticky by client address".
std::string stickiness(const Route& route);

}  // namespace strangler
