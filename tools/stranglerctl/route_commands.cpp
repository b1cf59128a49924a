// stranglerctl route add|list|rm|flip; see commands.h.
#include <fmt/format.h>

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
  TablePrinter table({"ID", "PATTERN", "MATCH", "METHODS", "TARGET", "SPLIT", "FALLBACK"});
  for (const auto& route : routes) {
    std::string split = "-";
    if (!route.split_target.empty()) {
      split =
          fmt::format("{}% → {} ({})", route.split_percent, route.split_target, stickiness(route));
    }
    table.add_row({std::to_string(route.id), route.pattern.text(),
                   route.pattern.exact ? "exact" : "prefix",
                   route.methods.all() ? "*" : route.methods.text(), route.target, split,
                   describe_fallback(route)});
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

int route_flip(const FlipArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out) {
  auto change = store.flip_route(
      FlipSpec{args.route, args.to, args.percent, args.sticky_header, args.fallback}, ctx);
  out << describe_route_change(change.before, change.after) << '\n';
  return 0;
}

}  // namespace strangler::ctl
