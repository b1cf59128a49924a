// RuleStore's target and route commands. Each validates what it can before touching the
// database, then validates against the current rules and writes inside one write transaction
// (Impl::write), recording the change with the entity's JSON before and after. A flip also
// judges the promotion gate in that transaction, so no writer can flip past it.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "rules/ascii_case.h"
#include "rules/route_precedence.h"
#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "rules/rule_validation.h"
#include "rules/store/gate_evidence.h"
#include "rules/store/rule_store.h"
#include "rules/store/rule_store_impl.h"

namespace strangler {

namespace {

// The canonical methods text a selector asks for; "*" and "ALL" mean every method ("").
std::optional<std::string> selector_methods(const RouteSelector& selector) {
  if (!selector.methods) return std::nullopt;
  if (*selector.methods == "*" || iequals(*selector.methods, "all")) return std::string();
  return MethodSet::parse(*selector.methods).text();
}

// The stored form of a --fallback value: nullopt for the default.
std::optional<std::string> stored_fallback(const std::optional<std::string>& given) {
  if (!given || *given == kDefaultFallback) return std::nullopt;
  return given;
}

// A --fallback-methods value; a bad one is refused before anything is written.
MethodSet parsed_fallback_methods(const std::string& given) {
  try {
    return MethodSet::parse_explicit(given);
  } catch (const RuleError& e) {
    throw RuleError(fmt::format("--fallback-methods: {}", e.what()));
  }
}

std::string joined_labels(const std::vector<Route>& routes) {
  std::string text;
  for (const auto& route : routes) {
    if (!text.empty()) text += ", ";
    text += route_label(route);
  }
  return text;
}

}  // namespace

bool TargetPatch::empty() const {
  return !url && !connect_timeout_ms && !timeout_ms && !breaker_window && !breaker_min_calls &&
         !breaker_failure_threshold && !breaker_failure_rate && !breaker_recovery_ms &&
         !breaker_half_open_probes && !count_5xx_as_failure && !max_concurrent && !retries &&
         !backoff_ms && !health_path && !health_interval_ms && !health_timeout_ms &&
         !healthy_threshold && !unhealthy_threshold && !max_connections && !queue_timeout_ms;
}

Target apply_patch(Target target, const TargetPatch& patch) {
  auto set = [](auto& field, const auto& value) {
    if (value) field = *value;
  };
  auto& r = target.resilience;
  set(target.url, patch.url);
  set(target.connect_timeout_ms, patch.connect_timeout_ms);
  set(target.timeout_ms, patch.timeout_ms);
  set(r.breaker_window, patch.breaker_window);
  set(r.breaker_min_calls, patch.breaker_min_calls);
  set(r.breaker_failure_threshold, patch.breaker_failure_threshold);
  set(r.breaker_failure_rate, patch.breaker_failure_rate);
  set(r.breaker_recovery_ms, patch.breaker_recovery_ms);
  set(r.breaker_half_open_probes, patch.breaker_half_open_probes);
  set(r.count_5xx_as_failure, patch.count_5xx_as_failure);
  set(r.max_concurrent, patch.max_concurrent);
  set(r.retries, patch.retries);
  set(r.backoff_ms, patch.backoff_ms);
  set(r.health_path, patch.health_path);
  set(r.health_interval_ms, patch.health_interval_ms);
  set(r.health_timeout_ms, patch.health_timeout_ms);
  set(r.healthy_threshold, patch.healthy_threshold);
  set(r.unhealthy_threshold, patch.unhealthy_threshold);
  set(r.max_connections, patch.max_connections);
  set(r.queue_timeout_ms, patch.queue_timeout_ms);
  return target;
}

void RuleStore::Impl::check_fallback(const Route& route, std::string_view prefix) {
  if (!route.fallback || *route.fallback == kNoFallback) return;
  if (*route.fallback == route.target) {
    throw RuleError(fmt::format(
        "{}route {} cannot fall back to its own target \"{}\" (give --fallback none, default or "
        "another target)",
        prefix, route_label(route), route.target));
  }
  if (!find_target(*route.fallback)) {
    throw RuleError(fmt::format(
        "{}unknown fallback target \"{}\" (add it with: stranglerctl target add {} URL, or give "
        "--fallback none or default)",
        prefix, *route.fallback, *route.fallback));
  }
}

Route RuleStore::Impl::select_route(const RouteSelector& selector) {
  std::string pattern = parse_pattern(selector.pattern, selector.exact.value_or(false)).text();
  auto methods = selector_methods(selector);
  std::vector<Route> same_pattern = read_routes_with_pattern(pattern);
  std::vector<Route> chosen;
  for (const auto& route : same_pattern) {
    if (selector.exact && route.pattern.exact != *selector.exact) continue;
    if (methods && route.methods.text() != *methods) continue;
    chosen.push_back(route);
  }
  if (chosen.size() == 1) return chosen[0];
  if (same_pattern.empty()) {
    throw RuleError(fmt::format("no route {} (see: stranglerctl route list)", pattern));
  }
  if (chosen.empty()) {
    throw RuleError(
        fmt::format("no route {} matches the given --methods/--exact/--prefix (there "
                    "is: {})",
                    pattern, joined_labels(same_pattern)));
  }
  throw RuleError(
      fmt::format("several routes have the pattern {} ({}); pick one with --methods, "
                  "--exact or --prefix",
                  pattern, joined_labels(chosen)));
}

void RuleStore::add_target(const Target& target, const ChangeContext& ctx) {
  validate_target(target);
  if (target.name == kNoFallback || target.name == kDefaultFallback) {
    throw RuleError(fmt::format(
        "target name \"{}\" is reserved: --fallback {} has its own meaning; pick another name",
        target.name, target.name));
  }
  impl_->write([&] {
    if (impl_->find_target(target.name)) {
      throw RuleError(fmt::format(
          "target \"{}\" already exists (change it with: stranglerctl target set {} ...)",
          target.name, target.name));
    }
    impl_->insert_target(target);
    impl_->record(ctx, "target add", "target", nullptr, target_to_json(target));
  });
}

TargetChange RuleStore::set_target(const std::string& name, const TargetPatch& patch,
                                   const ChangeContext& ctx) {
  if (patch.empty()) {
    throw RuleError(
        "nothing to change: give --url, --connect-timeout-ms, --timeout-ms or a resilience option "
        "(see: stranglerctl target set --help)");
  }
  return impl_->write([&] {
    TargetChange change{impl_->require_target(name, false), {}};
    change.after = apply_patch(change.before, patch);
    validate_target(change.after);
    if (same_target(change.before, change.after)) {
      throw RuleError(
          fmt::format("target \"{}\" already has these settings; nothing changed", name));
    }
    impl_->update_target(change.after);
    impl_->record(ctx, "target set", "target", target_to_json(change.before),
                  target_to_json(change.after));
    return change;
  });
}

void RuleStore::remove_target(const std::string& name, const ChangeContext& ctx) {
  if (name == kDefaultTarget) {
    throw RuleError(fmt::format(
        "target \"{}\" cannot be removed: it receives every request that no route matches (change "
        "its URL with: stranglerctl target set {} --url URL)",
        name, name));
  }
  impl_->write([&] {
    Target target = impl_->require_target(name, false);
    impl_->require_unused(name, "");
    impl_->delete_target(name);
    impl_->record(ctx, "target rm", "target", target_to_json(target), nullptr);
  });
}

Route RuleStore::add_route(const RouteSpec& spec, const ChangeContext& ctx) {
  Route route;
  route.pattern = parse_pattern(spec.pattern, spec.exact);
  route.methods = MethodSet::parse(spec.methods);
  route.target = spec.target;
  route.fallback = stored_fallback(spec.fallback);
  if (spec.fallback_methods)
    route.fallback_methods = parsed_fallback_methods(*spec.fallback_methods);
  return impl_->write([&] {
    impl_->require_target(route.target, true);
    impl_->check_fallback(route, "");
    if (auto conflict = find_conflict(impl_->read_routes(), route)) throw RuleError(*conflict);
    impl_->insert_route(route);
    impl_->record(ctx, "route add", "route", nullptr, route_to_json(route));
    return route;
  });
}

Route RuleStore::remove_route(const RouteSelector& selector, const ChangeContext& ctx) {
  return impl_->write([&] {
    Route route = impl_->select_route(selector);
    impl_->delete_route(route.id);
    impl_->record(ctx, "route rm", "route", route_to_json(route), nullptr);
    return route;
  });
}

namespace {

// The route after the flip, or RuleError when the flip makes no sense or changes nothing.
Route flipped(const Route& before, const FlipSpec& spec) {
  std::string label = route_label(before);
  Route after = before;
  if (spec.fallback) after.fallback = stored_fallback(spec.fallback);
  if (spec.fallback_methods)
    after.fallback_methods = parsed_fallback_methods(*spec.fallback_methods);
  if (!spec.percent) {
    if (spec.to == before.target && before.split_target.empty() &&
        after.fallback == before.fallback && after.fallback_methods == before.fallback_methods) {
      throw RuleError(fmt::format("route {} already goes to {}; nothing changed", label, spec.to));
    }
    after.target = spec.to;  // completes the flip, or cancels the split when `to` is the target
    after.split_target.clear();
    after.split_percent = 0;
    after.sticky_header.clear();
    // The shadow has become the primary: mirroring it to itself would compare nothing.
    if (after.shadow && after.shadow->target == after.target) after.shadow.reset();
    return after;
  }
  if (spec.to == before.target) {
    throw RuleError(
        fmt::format("route {} already goes to {}; a gradual flip sends a share to another target",
                    label, spec.to));
  }
  after.split_target = spec.to;
  after.split_percent = *spec.percent;
  after.sticky_header = spec.sticky_header.value_or(before.sticky_header);
  if (same_route(before, after)) {
    throw RuleError(fmt::format("route {} already sends {}% to {} ({}); nothing changed", label,
                                after.split_percent, after.split_target, stickiness(after)));
  }
  return after;
}

}  // namespace

GateRefusal::GateRefusal(Route route, std::string to, GateVerdict verdict)
    : RuleError(gate_refusal_text(verdict, route_label(route), to)),
      route_(std::move(route)),
      to_(std::move(to)),
      verdict_(verdict) {}

GateVerdict RuleStore::Impl::judge_flip(const Route& before, const FlipSpec& spec) {
  // Only moving traffic onto another target is gated; a flip back or a cancelled split is not.
  if (spec.to == before.target) return {};
  GateEvidence evidence = read_gate_evidence(db, before.id, spec.to, spec.gate.window);
  GateVerdict verdict = evaluate_gate(spec.gate, evidence);
  if (verdict.refused() && !spec.force) throw GateRefusal(before, spec.to, verdict);
  return verdict;
}

FlipChange RuleStore::flip_route(const FlipSpec& spec, const ChangeContext& ctx) {
  if (spec.percent) validate_percent(*spec.percent);
  if (spec.sticky_header) {
    if (!spec.percent) {
      throw RuleError(
          "--sticky-header needs --percent: a completed flip sends every request to one target");
    }
    if (!spec.sticky_header->empty()) validate_header_name(*spec.sticky_header);
  }
  validate_gate_policy(spec.gate);
  return impl_->write([&] {
    FlipChange change;
    change.before = impl_->select_route(spec.route);
    impl_->require_target(spec.to, true);
    change.after = flipped(change.before, spec);
    impl_->check_fallback(change.after, "");
    impl_->check_shadow(change.after, "");
    change.gate = impl_->judge_flip(change.before, spec);
    impl_->update_route(change.after);
    impl_->record(ctx, change.gate.refused() ? "route flip (forced)" : "route flip", "route",
                  route_to_json(change.before), route_to_json(change.after));
    return change;
  });
}

}  // namespace strangler
