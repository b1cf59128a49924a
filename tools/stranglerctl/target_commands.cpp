// stranglerctl target add|list|set|rm; see commands.h.
#include <fmt/format.h>

#include <map>

#include "rules/rule_json.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/describe.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

int target_add(const TargetAddArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out) {
  Target target;
  target.name = args.name;
  target.url = args.url;
  if (args.connect_timeout_ms) target.connect_timeout_ms = *args.connect_timeout_ms;
  if (args.timeout_ms) target.timeout_ms = *args.timeout_ms;
  target.resilience = args.resilience;
  store.add_target(target, ctx);
  out << fmt::format("target {} added: {}\n", target.name, describe_target(target));
  return 0;
}

int target_list(const ListArgs& args, RuleStore& store, std::ostream& out) {
  auto targets = store.targets();
  if (args.json) {
    auto list = Json::array();
    for (const auto& target : targets) list.push_back(target_to_json(target));
    out << list.dump(2) << '\n';
    return 0;
  }
  std::map<std::string, int> uses;
  std::map<std::string, int> fallbacks;
  for (const auto& route : store.routes()) {
    ++uses[route.target];
    if (!route.split_target.empty()) ++uses[route.split_target];
    if (route.fallback && route.fallback != kNoFallback) ++fallbacks[*route.fallback];
  }
  TablePrinter table({"NAME", "URL", "CONNECT TIMEOUT", "TIMEOUT", "ROUTES", "RESILIENCE"});
  for (const auto& target : targets) {
    std::string routes = std::to_string(uses[target.name]);
    if (target.name == kDefaultTarget) routes += " + unmatched requests";
    if (int n = fallbacks[target.name]; n > 0) routes += fmt::format(" + {} as fallback", n);
    table.add_row({target.name, target.url, fmt::format("{} ms", target.connect_timeout_ms),
                   fmt::format("{} ms", target.timeout_ms), routes,
                   describe_resilience(target.resilience)});
  }
  table.print(out);
  return 0;
}

int target_set(const TargetSetArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out) {
  auto change = store.set_target(args.name, args.patch, ctx);
  out << "target " << describe_target_change(change.before, change.after) << '\n';
  return 0;
}

int target_rm(const TargetRmArgs& args, RuleStore& store, const ChangeContext& ctx,
              std::ostream& out) {
  store.remove_target(args.name, ctx);
  out << fmt::format("target {} removed\n", args.name);
  return 0;
}

}  // namespace strangler::ctl
