// Texts for targets, routes and changes; see describe.h.
#include "tools/stranglerctl/describe.h"

#include <fmt/format.h>

#include <vector>

#include "rules/rule_json.h"
#include "rules/rule_text.h"

namespace strangler::ctl {

std::string describe_target(const Target& target) {
  return fmt::format("{} (connect timeout {} ms, timeout {} ms)", target.url,
                     target.connect_timeout_ms, target.timeout_ms);
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
  return fmt::format("{}: {}", after.name, fmt::join(parts, ", "));
}

std::string describe_route_change(const Route& before, const Route& after) {
  std::string label = route_label(after);
  if (before.split_target.empty() && !after.split_target.empty() && before.target == after.target) {
    return fmt::format("route {}: {} → {} ({}%, {})", label, after.target, after.split_target,
                       after.split_percent, stickiness(after));
  }
  return fmt::format("route {}: {} → {}", label, route_destination(before),
                     route_destination(after));
}

std::string describe_entity(const std::string& entity, const Json& json) {
  if (json.is_null()) return "-";
  try {
    if (entity == "target") {
      Target target = target_from_json(json);
      return fmt::format("target {} {} ({}/{} ms)", target.name, target.url,
                         target.connect_timeout_ms, target.timeout_ms);
    }
    if (entity == "route") {
      Route route = route_from_json(json);
      return fmt::format("route {} → {}", route_label(route), route_destination(route));
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
