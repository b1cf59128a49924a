// The short texts stranglerctl prints for targets, routes and changes: confirmation lines and the
// BEFORE/AFTER cells of `history`.
#pragma once

#include <string>

#include "rules/rule_json.h"

namespace strangler::ctl {

// "http://127.0.0.1:9002 (connect timeout 1000 ms, timeout 15000 ms)"
std::string describe_target(const Target& target);
// "orders: url http://a → http://b, timeout 15000 → 3000 ms"
std::string describe_target_change(const Target& before, const Target& after);
// "route /orders: legacy → orders (20%, sticky by X-User)" for a split starting,
// "route /orders: legacy, 20% to orders (sticky by X-User) → orders" otherwise.
std::string describe_route_change(const Route& before, const Route& after);
// A history cell: "-" for null; "target orders http://… (1000/15000 ms)";
// "route /orders → legacy, 20% to orders (sticky by X-User)".
std::string describe_entity(const std::string& entity, const Json& json);

// One line for what an undo did to one entity, from `before` to `after`: "removed route /orders →
// legacy", "restored target orders …", or the *_change texts above when both exist.
std::string describe_change(const std::string& entity, const Json& before, const Json& after);

}  // namespace strangler::ctl
