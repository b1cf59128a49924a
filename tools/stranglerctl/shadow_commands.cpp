// stranglerctl route shadow|unshadow and diff ignore|unignore|ignores; see commands.h.
#include <fmt/format.h>

#include "rules/method_set.h"
#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/describe.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    auto first = item.find_first_not_of(' ');
    auto last = item.find_last_not_of(' ');
    if (first != std::string::npos) items.push_back(item.substr(first, last - first + 1));
    start = comma + 1;
  }
  return items;
}

DiffIgnore ignore_from(const IgnoreArgs& args) {
  if (args.json_path.has_value() == args.header.has_value()) {
    throw RuleError("give a JSON path ('$.meta.generated_at') or --header NAME, not both");
  }
  if (args.header) return DiffIgnore{DiffIgnore::Kind::header, *args.header};
  return DiffIgnore{DiffIgnore::Kind::json_path, *args.json_path};
}

std::string shown(const DiffIgnore& ignore) {
  return ignore.kind == DiffIgnore::Kind::header ? "header " + ignore.expr : ignore.expr;
}

}  // namespace

int route_shadow(const ShadowArgs& args, RuleStore& store, const ChangeContext& ctx,
                 std::ostream& out, std::ostream& err) {
  ShadowConfig config;
  config.target = args.to;
  config.percent = args.percent;
  if (args.methods) config.methods = MethodSet::parse(*args.methods);
  config.noise_check = args.noise_check;
  if (args.compare_headers) config.compare_headers = split_list(*args.compare_headers);
  auto change = store.shadow_route(ShadowSpec{args.route, config}, ctx);
  bool writes = false;  // every method but the safe ones (an empty set admits them all)
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT"}) {
    writes = writes || config.methods.admits(method);
  }
  if (writes) {
    err << fmt::format(
        "stranglerctl: warning: route {} now mirrors {} to {}: those requests (writes) will run "
        "twice, once on each target\n",
        route_label(change.after), config.methods.all() ? "every method" : config.methods.text(),
        config.target);
  }
  out << describe_route_change(change.before, change.after) << '\n';
  return 0;
}

int route_unshadow(const UnshadowArgs& args, RuleStore& store, const ChangeContext& ctx,
                   std::ostream& out) {
  auto change = store.unshadow_route(args.route, ctx);
  out << describe_route_change(change.before, change.after) << '\n';
  return 0;
}

int diff_ignore(const IgnoreArgs& args, RuleStore& store, const ChangeContext& ctx,
                std::ostream& out) {
  DiffIgnore ignore = ignore_from(args);
  auto change = store.add_ignore(args.route, ignore, ctx);
  out << fmt::format("route {} now ignores {}\n", route_label(change.after), shown(ignore));
  return 0;
}

int diff_unignore(const IgnoreArgs& args, RuleStore& store, const ChangeContext& ctx,
                  std::ostream& out) {
  DiffIgnore ignore = ignore_from(args);
  auto change = store.remove_ignore(args.route, ignore, ctx);
  out << fmt::format("route {} no longer ignores {}\n", route_label(change.after), shown(ignore));
  return 0;
}

int diff_ignores(const IgnoresArgs& args, RuleStore& store, std::ostream& out) {
  Route route = store.route(args.route);
  if (args.json) {
    out << route_to_json(route).at("ignores").dump(2) << '\n';
    return 0;
  }
  if (route.ignores.empty()) {
    out << fmt::format("route {} ignores nothing\n", route_label(route));
    return 0;
  }
  TablePrinter table({"KIND", "IGNORED"});
  for (const auto& ignore : route.ignores) {
    table.add_row({ignore.kind == DiffIgnore::Kind::header ? "header" : "json path", ignore.expr});
  }
  table.print(out);
  return 0;
}

}  // namespace strangler::ctl
