// Human-readable route descriptions; see rule_text.h.
#include "rules/rule_text.h"

#include <fmt/format.h>

namespace strangler {

std::string route_label(const Route& route) {
  std::string label = route.pattern.text();
  if (route.pattern.exact) label += " (exact)";
  if (!route.methods.all()) label += fmt::format(" [{}]", route.methods.text());
  return label;
}

std::string stickiness(const Route& route) {
  return route.sticky_header.empty() ? "sticky by client address"
                                     : fmt::format("sticky by {}", route.sticky_header);
}

std::string route_destination(const Route& route) {
  if (route.split_target.empty()) return route.target;
  return fmt::format("{}, {}% to {} ({})", route.target, route.split_percent, route.split_target,
                     stickiness(route));
}

}  // namespace strangler
