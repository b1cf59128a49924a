// stranglerctl's shadow and diff commands on the command line: `route shadow`, `route unshadow`
// and the `diff` group. Like cli.cpp, each callback only records which command function to run.
#include <CLI/CLI.hpp>

#include "tools/stranglerctl/cli_parsed.h"

namespace strangler::ctl::cli_detail {

namespace {

// `diff ignore` and `diff unignore` take the same arguments.
void add_ignore_command(CLI::App& diff, Parsed& p, const char* name, const char* description,
                        bool add) {
  auto* sub = subcommand(diff, name, description);
  sub->add_option("pattern", p.ignore.route.pattern, "The route's pattern")->required();
  optional_option(sub, "json_path", p.ignore.json_path,
                  "JSON path, e.g. '$.meta.generated_at', '$.items[*].price'");
  optional_option(sub, "--header", p.ignore.header, "A response header name, e.g. Date");
  add_selector(sub, p);
  sub->callback([&p, sub, add] {
    p.ignore.route = selector(p.ignore.route.pattern, sub, p);
    p.command = [&p, add](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return add ? diff_ignore(p.ignore, s, c, o) : diff_unignore(p.ignore, s, c, o);
    };
  });
}

}  // namespace

void add_shadow_commands(CLI::App& route, Parsed& p) {
  auto* shadow = subcommand(route, "shadow",
                            "Mirror a route's sampled requests to a target and "
                            "compare the answers");
  shadow->add_option("pattern", p.shadow.route.pattern, "The route's pattern")->required();
  shadow->add_option("--to", p.shadow.to, "Target that receives the copies")->required();
  shadow->add_option("--percent", p.shadow.percent,
                     "Share of requests mirrored, 1..100 "
                     "(default 100)");
  optional_option(shadow, "--methods", p.shadow.methods,
                  "Methods mirrored (default GET,HEAD,OPTIONS; others run writes twice)");
  shadow->add_flag("--noise-check", p.shadow.noise_check,
                   "Also send safe requests twice to the primary to find noisy fields");
  optional_option(shadow, "--compare-headers", p.shadow.compare_headers,
                  "Response headers compared (default Content-Type)");
  shadow->add_option("--route-methods", p.methods, "Pick the route limited to these methods");
  auto* exact = shadow->add_flag("--exact", p.exact, "Pick the exact-match route");
  shadow->add_flag("--prefix", p.prefix, "Pick the prefix route")->excludes(exact);
  shadow->callback([&p, shadow] {
    // Not selector(): here --methods names the mirrored methods, --route-methods picks the route.
    p.shadow.route.methods.reset();
    if (shadow->count("--route-methods")) p.shadow.route.methods = p.methods;
    if (p.exact) p.shadow.route.exact = true;
    if (p.prefix) p.shadow.route.exact = false;
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return route_shadow(p.shadow, s, c, o, *p.err);
    };
  });

  auto* unshadow = subcommand(route, "unshadow", "Stop mirroring a route");
  unshadow->add_option("pattern", p.unshadow.route.pattern, "The route's pattern")->required();
  add_selector(unshadow, p);
  unshadow->callback([&p, unshadow] {
    p.unshadow.route = selector(p.unshadow.route.pattern, unshadow, p);
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return route_unshadow(p.unshadow, s, c, o);
    };
  });
}

void add_diff_commands(CLI::App& app, Parsed& p) {
  auto* diff = subcommand(app, "diff", "Shadow comparisons: ignores, reports, single diffs");
  diff->require_subcommand(1);
  add_ignore_command(*diff, p, "ignore", "Leave a JSON path or header out of comparisons", true);
  add_ignore_command(*diff, p, "unignore", "Compare a JSON path or header again", false);

  auto* ignores = subcommand(*diff, "ignores", "List a route's ignores");
  ignores->add_option("pattern", p.ignores.route.pattern, "The route's pattern")->required();
  add_selector(ignores, p);
  add_json_flag(ignores, p);
  ignores->callback([&p, ignores] {
    p.read_only = true;
    p.ignores.route = selector(p.ignores.route.pattern, ignores, p);
    p.command = [&p](RuleStore& s, const ChangeContext&, std::ostream& o) {
      p.ignores.json = p.json;
      return diff_ignores(p.ignores, s, o);
    };
  });

  auto* report = subcommand(*diff, "report", "Match rates, latencies and top differences");
  optional_option(report, "--route", p.report.route, "Only this route (its pattern)");
  optional_option(report, "--since", p.report.since, "Only comparisons this recent: 30m, 1h, 2d");
  add_json_flag(report, p);
  report->callback([&p] {
    p.read_only = true;
    p.command = [&p](RuleStore& s, const ChangeContext&, std::ostream& o) {
      p.report.json = p.json;
      return diff_report(p.report, s, o);
    };
  });

  auto* show = subcommand(*diff, "show", "One comparison: request, statuses, body diff");
  show->add_option("id", p.show.id, "The comparison's id (see: diff report)")->required();
  show->callback([&p] {
    p.read_only = true;
    p.command = [&p](RuleStore& s, const ChangeContext&, std::ostream& o) {
      return diff_show(p.show, s, o);
    };
  });

  auto* clear = subcommand(*diff, "clear", "Delete stored comparisons, tallies and noise");
  optional_option(clear, "--route", p.clear.route, "Only this route's (its pattern)");
  clear->callback([&p] {
    p.command = [&p](RuleStore& s, const ChangeContext&, std::ostream& o) {
      return diff_clear(p.clear, s, o);
    };
  });
}

}  // namespace strangler::ctl::cli_detail
