// Texts for targets, routes and changes; see describe.h.
#include "tools/stranglerctl/describe.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "rules/rule_json.h"
#include "rules/rule_text.h"

namespace strangler::ctl {

namespace {

// 0.5 → "50%", 0.125 → "12.5%".
std::string percent(double fraction) {
  return fmt::format("{:g}%", fraction * 100);
}

// 30000 → "30s", 1500 → "1.5s", 250 → "250ms".
std::string seconds(int ms) {
  if (ms < 1000) return fmt::format("{}ms", ms);
  return fmt::format("{:g}s", ms / 1000.0);
}

std::string max_concurrent(int max) {
  return max == 0 ? std::string("unlimited") : std::to_string(max);
}

std::string health_path(const std::string& path) {
  return path.empty() ? std::string("none") : path;
}

// The parts of describe_target_change for the resilience settings, named like their options.
void resilience_changes(const TargetResilience& a, const TargetResilience& b,
                        std::vector<std::string>& parts) {
  auto number = [&](int x, int y, const char* what, const char* unit = "") {
    if (x != y) parts.push_back(fmt::format("{} {} → {}{}", what, x, y, unit));
  };
  number(a.breaker_window, b.breaker_window, "window");
  number(a.breaker_min_calls, b.breaker_min_calls, "min calls");
  number(a.breaker_failure_threshold, b.breaker_failure_threshold, "failure threshold");
  if (a.breaker_failure_rate != b.breaker_failure_rate) {
    parts.push_back(fmt::format("failure rate {} → {}", percent(a.breaker_failure_rate),
                                percent(b.breaker_failure_rate)));
  }
  number(a.breaker_recovery_ms, b.breaker_recovery_ms, "recovery", " ms");
  number(a.breaker_half_open_probes, b.breaker_half_open_probes, "half-open probes");
  if (a.count_5xx_as_failure != b.count_5xx_as_failure) {
    parts.push_back(b.count_5xx_as_failure ? "5xx now counted as failures"
                                           : "5xx no longer counted as failures");
  }
  if (a.max_concurrent != b.max_concurrent) {
    parts.push_back(fmt::format("max concurrent {} → {}", max_concurrent(a.max_concurrent),
                                max_concurrent(b.max_concurrent)));
  }
  number(a.retries, b.retries, "retries");
  number(a.backoff_ms, b.backoff_ms, "backoff", " ms");
  if (a.health_path != b.health_path) {
    parts.push_back(
        fmt::format("health path {} → {}", health_path(a.health_path), health_path(b.health_path)));
  }
  number(a.health_interval_ms, b.health_interval_ms, "health interval", " ms");
  number(a.health_timeout_ms, b.health_timeout_ms, "health timeout", " ms");
  number(a.healthy_threshold, b.healthy_threshold, "healthy threshold");
  number(a.unhealthy_threshold, b.unhealthy_threshold, "unhealthy threshold");
  if (a.max_connections != b.max_connections) {
    parts.push_back(fmt::format("max connections {} → {}", max_concurrent(a.max_connections),
                                max_concurrent(b.max_connections)));
  }
  number(a.queue_timeout_ms, b.queue_timeout_ms, "queue timeout", " ms");
}

bool same_destination(const Route& a, const Route& b) {
  return a.target == b.target && a.split_target == b.split_target &&
         a.split_percent == b.split_percent && a.sticky_header == b.sticky_header;
}

std::string shown_ignore(const DiffIgnore& ignore) {
  return ignore.kind == DiffIgnore::Kind::header ? "header " + ignore.expr : ignore.expr;
}

// ", shadow A → B" and ", ignores +x -y" for what changed of those; "" when nothing did.
std::string shadow_and_ignore_changes(const Route& before, const Route& after) {
  std::string text;
  if (before.shadow != after.shadow) {
    text += fmt::format(", shadow {} → {}", describe_shadow(before), describe_shadow(after));
  }
  std::vector<std::string> changes;
  for (const auto& ignore : after.ignores) {
    if (std::find(before.ignores.begin(), before.ignores.end(), ignore) == before.ignores.end()) {
      changes.push_back("+" + shown_ignore(ignore));
    }
  }
  for (const auto& ignore : before.ignores) {
    if (std::find(after.ignores.begin(), after.ignores.end(), ignore) == after.ignores.end()) {
      changes.push_back("-" + shown_ignore(ignore));
    }
  }
  if (!changes.empty()) text += fmt::format(", ignores {}", fmt::join(changes, " "));
  return text;
}

}  // namespace

std::string describe_shadow(const Route& route) {
  if (!route.shadow) return "-";
  const ShadowConfig& shadow = *route.shadow;
  std::string text = fmt::format("{} {}% [{}]", shadow.target, shadow.percent,
                                 shadow.methods.all() ? "*" : shadow.methods.text());
  if (shadow.noise_check) text += ", noise check";
  if (shadow.compare_headers != ShadowConfig{}.compare_headers) {
    text += fmt::format(", headers {}",
                        shadow.compare_headers.empty()
                            ? std::string("none")
                            : fmt::format("{}", fmt::join(shadow.compare_headers, ",")));
  }
  return text;
}

std::string describe_resilience(const TargetResilience& r) {
  std::string text =
      fmt::format("breaker {}/{} {} {}", r.breaker_failure_threshold, r.breaker_window,
                  percent(r.breaker_failure_rate), seconds(r.breaker_recovery_ms));
  if (!r.count_5xx_as_failure) text += " (5xx not counted)";
  text += r.max_concurrent == 0 ? ", no max" : fmt::format(", max {}", r.max_concurrent);
  text += fmt::format(", retries {}", r.retries);
  if (!r.health_path.empty()) {
    text += fmt::format(", health {} every {} ({}/{})", r.health_path,
                        seconds(r.health_interval_ms), r.unhealthy_threshold, r.healthy_threshold);
  }
  if (r.max_connections > 0) {
    text +=
        fmt::format(", max conns {} (queue {})", r.max_connections, seconds(r.queue_timeout_ms));
  }
  return text;
}

std::string describe_target(const Target& target) {
  std::string resilience;
  if (target.resilience != TargetResilience{}) {
    resilience = "; " + describe_resilience(target.resilience);
  }
  return fmt::format("{} (connect timeout {} ms, timeout {} ms{})", target.url,
                     target.connect_timeout_ms, target.timeout_ms, resilience);
}

std::string describe_fallback(const Route& route) {
  if (route.fallback) return *route.fallback;
  bool uses_fallback = route.target != kDefaultTarget || !route.split_target.empty();
  return fmt::format("{} (default)", uses_fallback ? kDefaultTarget : kNoFallback);
}

std::string describe_fallback_methods(const Route& route) {
  bool uses_fallback =
      effective_fallback(route, route.target) ||
      (!route.split_target.empty() && effective_fallback(route, route.split_target));
  bool default_methods = route.fallback_methods == Route{}.fallback_methods;
  return uses_fallback && !default_methods ? " for " + route.fallback_methods.explicit_text() : "";
}

std::string describe_target_change(const Target& before, const Target& after) {
  std::vector<std::string> parts;
  if (before.url != after.url) parts.push_back(fmt::format("url {} → {}", before.url, after.url));
  if (before.connect_timeout_ms != after.connect_timeout_ms) {
    parts.push_back(fmt::format("connect timeout {} → {} ms", before.connect_timeout_ms,
                                after.connect_timeout_ms));
  }
  if (before.timeout_ms != after.timeout_ms) {
    parts.push_back(fmt::format("timeout {} → {} ms", before.timeout_ms, after.timeout_ms));
  }
  resilience_changes(before.resilience, after.resilience, parts);
  return fmt::format("{}: {}", after.name, fmt::join(parts, ", "));
}

std::string describe_route_change(const Route& before, const Route& after) {
  std::string label = route_label(after);
  std::string extras = shadow_and_ignore_changes(before, after);
  if (before.fallback_methods != after.fallback_methods) {
    extras = fmt::format(", fallback methods {} → {}", before.fallback_methods.explicit_text(),
                         after.fallback_methods.explicit_text()) +
             extras;
  }
  if (!extras.empty() && same_destination(before, after) && before.fallback == after.fallback) {
    return fmt::format("route {}: {}", label, extras.substr(2));
  }
  std::string fallback;
  if (before.fallback != after.fallback) {
    fallback =
        fmt::format(", fallback {} → {}", describe_fallback(before), describe_fallback(after));
  }
  if (before.split_target.empty() && !after.split_target.empty() && before.target == after.target) {
    return fmt::format("route {}: {} → {} ({}%, {}){}{}", label, after.target, after.split_target,
                       after.split_percent, stickiness(after), fallback, extras);
  }
  if (same_destination(before, after)) {  // only the fallback changed (and maybe the extras)
    return fmt::format("route {}: fallback {} → {}{}", label, describe_fallback(before),
                       describe_fallback(after), extras);
  }
  return fmt::format("route {}: {} → {}{}{}", label, route_destination(before),
                     route_destination(after), fallback, extras);
}

std::string describe_entity(const std::string& entity, const Json& json) {
  if (json.is_null()) return "-";
  try {
    if (entity == "target") {
      Target target = target_from_json(json);
      std::string resilience;
      if (target.resilience != TargetResilience{}) {
        resilience = "; " + describe_resilience(target.resilience);
      }
      return fmt::format("target {} {} ({}/{} ms{})", target.name, target.url,
                         target.connect_timeout_ms, target.timeout_ms, resilience);
    }
    if (entity == "route") {
      Route route = route_from_json(json);
      std::string fallback;
      if (route.fallback) fallback = fmt::format(", fallback {}", *route.fallback);
      std::string extras;
      if (route.shadow) extras += ", shadow " + describe_shadow(route);
      if (!route.ignores.empty()) {
        extras += fmt::format(", {} ignore{}", route.ignores.size(),
                              route.ignores.size() == 1 ? "" : "s");
      }
      return fmt::format("route {} → {}{}{}", route_label(route), route_destination(route),
                         fallback, extras);
    }
  } catch (const std::exception&) {
    // A row this build cannot read: show it raw rather than hide it.
  }
  return json.dump();
}

std::string describe_change(const std::string& entity, const Json& before, const Json& after) {
  if (before.is_null()) return "restored " + describe_entity(entity, after);
  if (after.is_null()) return "removed " + describe_entity(entity, before);
  try {
    if (entity == "target") {
      return "target " + describe_target_change(target_from_json(before), target_from_json(after));
    }
    if (entity == "route") {
      return describe_route_change(route_from_json(before), route_from_json(after));
    }
  } catch (const std::exception&) {
    // Fall through to the generic form.
  }
  return fmt::format("{} → {}", describe_entity(entity, before), describe_entity(entity, after));
}

}  // namespace strangler::ctl
