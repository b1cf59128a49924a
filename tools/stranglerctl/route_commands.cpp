// stranglerctl route add|list|rm|flip; see commands.h.
#include <fmt/format.h>

#include "rules/promotion_gate.h"
#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "rules/store/rule_store.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/describe.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

int route_add(const RouteAddArgs& args, RuleStore& store, const ChangeContext& ctx,
              std::ostream& out) {
  Route route = store.add_route(RouteSpec{args.pattern, args.exact, args.methods, args.to,
                                          args.fallback, args.fallback_methods},
                                ctx);
  std::string fallback;
  if (route.fallback) fallback = fmt::format(" (fallback {})", *route.fallback);
  out << fmt::format("route {} added → {}{}\n", route_label(route), route.target, fallback);
  return 0;
}

int route_list(const ListArgs& args, RuleStore& store, std::ostream& out) {
  auto routes = store.routes();
  if (args.json) {
    auto list = Json::array();
    for (const auto& route : routes) list.push_back(route_to_json(route));
    out << list.dump(2) << '\n';
    return 0;
  }
  if (routes.empty()) {
    out << fmt::format("no routes: every request goes to {}\n", kDefaultTarget);
    return 0;
  }
  TablePrinter table(
      {"ID", "PATTERN", "MATCH", "METHODS", "TARGET", "SPLIT", "FALLBACK", "SHADOW"});
  for (const auto& route : routes) {
    std::string split = "-";
    if (!route.split_target.empty()) {
      split =
          fmt::format("{}% → {} ({})", route.split_percent, route.split_target, stickiness(route));
    }
    table.add_row(
        {std::to_string(route.id), route.pattern.text(), route.pattern.exact ? "exact" : "prefix",
         route.methods.all() ? "*" : route.methods.text(), route.target, split,
         describe_fallback(route) + describe_fallback_methods(route), describe_shadow(route)});
  }
  table.print(out);
  return 0;
}

int route_rm(const RouteRmArgs& args, RuleStore& store, const ChangeContext& ctx,
             std::ostream& out) {
  Route route = store.remove_route(args.route, ctx);
  out << fmt::format("route {} removed (it went to {})\n", route_label(route),
                     route_destination(route));
  return 0;
}

namespace {

// The gate's refusal in the command's own terms: the flags that set the failing criterion, and
// what to do next.
std::string refusal_text(const GateRefusal& refusal, const FlipArgs& args) {
  const GateEvidence& evidence = refusal.verdict().evidence;
  const Route& route = refusal.route();
  if (refusal.verdict().result == GateResult::too_few_samples) {
    return fmt::format(
        "route {} has {} comparison{} with {} in the last {}, fewer than --min-samples {}; keep "
        "shadowing (see: stranglerctl diff report) or give --force",
        route_label(route), evidence.comparisons, evidence.comparisons == 1 ? "" : "s",
        refusal.to(), args.window, args.min_samples);
  }
  return fmt::format(
      "route {} matched {} in {} of {} comparisons in the last {}, below --min-match {}; see: "
      "stranglerctl diff report --route {}, or give --force",
      route_label(route), refusal.to(), gate_percent_text(evidence.match_rate),
      evidence.comparisons, args.window, gate_percent_text(args.min_match), route.pattern.text());
}

// The policy --min-samples, --min-match and --window ask for; RuleError naming a bad flag.
GatePolicy gate_policy(const FlipArgs& args) {
  GatePolicy policy{args.min_samples, args.min_match, parse_duration(args.window, "--window")};
  if (args.min_samples < 0) throw RuleError("--min-samples must be 0 or more");
  if (!(args.min_match >= 0 && args.min_match <= 1)) {
    throw RuleError(
        fmt::format("--min-match {} is out of range: give a fraction 0..1 (0.99)", args.min_match));
  }
  return policy;
}

}  // namespace

int route_flip(const FlipArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out) {
  FlipSpec spec{args.route,    args.to,           args.percent, args.sticky_header,
                args.fallback, gate_policy(args), args.force};
  spec.fallback_methods = args.fallback_methods;
  FlipChange change;
  try {
    change = store.flip_route(spec, ctx);
  } catch (const GateRefusal& refusal) {
    throw RuleError(refusal_text(refusal, args));
  }
  std::string forced_note;
  if (change.gate.refused()) {
    forced_note = fmt::format(" (forced past the gate: {} comparisons, {} matched)",
                              change.gate.evidence.comparisons,
                              gate_percent_text(change.gate.evidence.match_rate));
  }
  out << describe_route_change(change.before, change.after) << forced_note << '\n';
  return 0;
}

}  // namespace strangler::ctl
