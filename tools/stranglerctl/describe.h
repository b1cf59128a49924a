// The short texts stranglerctl prints for targets, routes and changes: confirmation lines and the
// BEFORE/AFTER cells of `history`.
#pragma once

#include <string>

#include "rules/rule_json.h"

namespace strangler::ctl {

// "http://127.0.0.1:9002 (connect timeout 1000 ms, timeout 15000 ms)", followed by
// "; breaker 5/20 50% 30s, max 100, retries 1" when the resilience settings are not the defaults.
std::string describe_target(const Target& target);
// The compact resilience column of `target list`: "breaker 5/20 50% 30s, max 100, retries 1" —
// opens at 5 consecutive failures or 50% of the last 20 calls, half-open after 30 s; at most 100
// concurrent requests ("no max" when unlimited); 1 retry. " (5xx not counted)" follows the breaker
// part when only transport errors count. Then ", health /health every 5s (3/2)" (down after 3
// failed checks, up after 2) and ", max conns 8 (queue 5s)" when those are set.
std::string describe_resilience(const TargetResilience& resilience);
// "orders: url http://a → http://b, timeout 15000 → 3000 ms, window 20 → 50, retries 1 → 0"
std::string describe_target_change(const Target& before, const Target& after);
// The FALLBACK cell of `route list`: "legacy (default)", "none (default)" (a legacy route's
// default), "none" or a target name.
std::string describe_fallback(const Route& route);
// " for GET,HEAD,OPTIONS,POST" (the methods that may fall back, * for every method) when the
// route has a fallback and lets other methods than the default GET, HEAD and OPTIONS use it.
std::string describe_fallback_methods(const Route& route);
// The SHADOW cell of `route list`: "-" or "orders 100% [GET,HEAD,OPTIONS]", followed by
// ", noise check" and ", headers Content-Type,ETag" when those are not the defaults.
std::string describe_shadow(const Route& route);
// "route /orders: legacy → orders (20%, sticky by X-User)" for a split starting,
// "route /orders: legacy, 20% to orders (sticky by X-User) → orders" otherwise; followed by
// ", fallback legacy (default) → none" when the fallback setting changed, ", shadow - → orders
// 100% [GET,HEAD,OPTIONS]" when the shadow changed and ", ignores +$.meta.at -header Date" when
// the ignores did. When only those changed, the destination is left out.
std::string describe_route_change(const Route& before, const Route& after);
// A history cell: "-" for null; "target orders http://… (1000/15000 ms)" (with
// "; <describe_resilience>" when those settings are not the defaults);
// "route /orders → legacy, 20% to orders (sticky by X-User)", with ", fallback none" when the
// route's fallback is not the default, ", shadow orders 100% [GET]" when shadowed and
// ", 2 ignores" when it has ignores.
std::string describe_entity(const std::string& entity, const Json& json);

// One line for what an undo did to one entity, from `before` to `after`: "removed route /orders →
// legacy", "restored target orders …", or the *_change texts above when both exist.
std::string describe_change(const std::string& entity, const Json& before, const Json& after);

}  // namespace strangler::ctl
