// stranglerctl route add|list|rm|flip; see commands.h.
#include <fmt/format.h>

#include <cmath>

#include "rules/store/comparison_store.h"
#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/describe.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

int route_add(const RouteAddArgs& args, RuleStore& store, const ChangeContext& ctx,
              std::ostream& out) {
  Route route = store.add_route(
      RouteSpec{args.pattern, args.exact, args.methods, args.to, args.fallback}, ctx);
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
    table.add_row({std::to_string(route.id), route.pattern.text(),
                   route.pattern.exact ? "exact" : "prefix",
                   route.methods.all() ? "*" : route.methods.text(), route.target, split,
                   describe_fallback(route), describe_shadow(route)});
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

std::string percent_text(double fraction) {
  return fmt::format("{:g}%", std::floor(fraction * 1000 + 0.5) / 10);
}

// Why the promotion gate refuses to flip `route` to `to`, or nullopt when the evidence is enough.
std::optional<std::string> gate_refusal(const GateEvidence& evidence, const Route& route,
                                        const FlipArgs& args) {
  if (evidence.comparisons < args.min_samples) {
    return fmt::format(
        "route {} has {} comparison{} with {} in the last {}, fewer than --min-samples {}; keep "
        "shadowing (see: stranglerctl diff report) or give --force",
        route_label(route), evidence.comparisons, evidence.comparisons == 1 ? "" : "s", args.to,
        args.window, args.min_samples);
  }
  if (evidence.match_rate < args.min_match) {
    return fmt::format(
        "route {} matched {} in {} of {} comparisons in the last {}, below --min-match {}; see: "
        "stranglerctl diff report --route {}, or give --force",
        route_label(route), args.to, percent_text(evidence.match_rate), evidence.comparisons,
        args.window, percent_text(args.min_match), route.pattern.text());
  }
  return std::nullopt;
}

}  // namespace

int route_flip(const FlipArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out) {
  auto window = parse_duration(args.window, "--window");
  if (args.min_samples < 0) throw RuleError("--min-samples must be 0 or more");
  if (!(args.min_match >= 0 && args.min_match <= 1)) {
    throw RuleError(
        fmt::format("--min-match {} is out of range: give a fraction 0..1 (0.99)", args.min_match));
  }
  FlipSpec spec{args.route, args.to, args.percent, args.sticky_header, args.fallback};
  Route route = store.route(args.route);
  std::string forced_note;
  if (args.to != route.target) {  // the gate guards moving traffic onto a shadowed target
    auto evidence = ComparisonStore::open(store.path()).gate_evidence(route.id, args.to, window);
    if (evidence.shadowed) {
      if (auto refusal = gate_refusal(evidence, route, args)) {
        if (!args.force) throw RuleError(*refusal);
        spec.forced = true;
        forced_note = fmt::format(" (forced past the gate: {} comparisons, {} matched)",
                                  evidence.comparisons, percent_text(evidence.match_rate));
      }
    }
  }
  auto change = store.flip_route(spec, ctx);
  out << describe_route_change(change.before, change.after) << forced_note << '\n';
  return 0;
}

}  // namespace strangler::ctl
