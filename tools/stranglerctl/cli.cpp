// stranglerctl's command line; see cli.h. Each subcommand's callback only records which command
// function to run with which arguments; run_cli opens the database and runs it under
// run_guarded, so parsing problems (exit 2) and refusals (exit 1) stay apart.
#include "tools/stranglerctl/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>

#include "tools/stranglerctl/cli_parsed.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/status.h"

namespace strangler::ctl {

namespace cli_detail {

CLI::App* subcommand(CLI::App& parent, const char* name, const char* description) {
  auto* sub = parent.add_subcommand(name, description);
  sub->fallthrough();  // global options (--db, --json) may also follow the subcommand
  return sub;
}

void add_json_flag(CLI::App* sub, Parsed& p) {
  sub->add_flag("--json", p.json, "Print JSON instead of a table");
}

void listing(CLI::App* sub, Parsed& p, std::function<int(RuleStore&, std::ostream&)> list) {
  add_json_flag(sub, p);
  sub->callback([&p, list] {
    p.read_only = true;
    p.command = [list](RuleStore& store, const ChangeContext&, std::ostream& out) {
      return list(store, out);
    };
  });
}

// --methods, --exact and --prefix of `route rm` and `route flip`.
void add_selector(CLI::App* sub, Parsed& p) {
  sub->add_option("--methods", p.methods, "Pick the route limited to these methods (* for all)");
  auto* exact = sub->add_flag("--exact", p.exact, "Pick the exact-match route");
  auto* prefix = sub->add_flag("--prefix", p.prefix, "Pick the prefix route");
  exact->excludes(prefix);
}

}  // namespace cli_detail

namespace {

using namespace cli_detail;

// Active health checks and upstream connection limits, part of the resilience options.
void add_health_and_connection_options(CLI::App* sub, TargetPatch& patch) {
  sub->add_option_function<std::string>(
      "--health-path",
      [&patch](const std::string& path) { patch.health_path = path == "none" ? "" : path; },
      "Health check: GET this path (e.g. /health) every interval; none or \"\" switches it off "
      "(default: off)");
  optional_option(sub, "--health-interval-ms", patch.health_interval_ms,
                  "Health check: time between checks, 100..3600000 (default 5000)");
  optional_option(sub, "--health-timeout-ms", patch.health_timeout_ms,
                  "Health check: answer within, 1..interval (default 1000)");
  optional_option(sub, "--healthy-threshold", patch.healthy_threshold,
                  "Health check: successes in a row that mark it up, 1..100 (default 2)");
  optional_option(sub, "--unhealthy-threshold", patch.unhealthy_threshold,
                  "Health check: failures in a row that mark it down, 1..100 (default 3)");
  optional_option(sub, "--max-connections", patch.max_connections,
                  "Connections to it, idle and in use, 0..100000, 0 unlimited (default 0)");
  optional_option(sub, "--queue-timeout-ms", patch.queue_timeout_ms,
                  "Wait for a connection beyond --max-connections, then 503, 0..600000 (default "
                  "5000)");
}

// The resilience options of `target add` (defaults in the help) and `target set`; given values
// land in `patch`. Ranges are the store's to check, so that both report them alike.
void add_resilience_options(CLI::App* sub, TargetPatch& patch, bool set) {
  optional_option(sub, "--window", patch.breaker_window,
                  "Breaker: calls in its sliding window, 1..1000 (default 20)");
  optional_option(sub, "--min-calls", patch.breaker_min_calls,
                  "Breaker: calls seen before it may open, 1..window (default 5)");
  optional_option(sub, "--failure-threshold", patch.breaker_failure_threshold,
                  "Breaker: consecutive failures that open it, 1..1000 (default 5)");
  optional_option(sub, "--failure-rate", patch.breaker_failure_rate,
                  "Breaker: failure fraction of the window that opens it, (0,1] (default 0.5)");
  optional_option(sub, "--recovery-ms", patch.breaker_recovery_ms,
                  "Breaker: time open before half-open, 1..3600000 (default 30000)");
  optional_option(sub, "--half-open-probes", patch.breaker_half_open_probes,
                  "Breaker: requests admitted half-open, 1..100 (default 3)");
  auto* no_5xx = sub->add_flag_callback(
      "--no-5xx-failures", [&patch] { patch.count_5xx_as_failure = false; },
      "Breaker: count only transport errors and timeouts, not 5xx responses");
  if (set) {
    sub->add_flag_callback(
           "--5xx-failures", [&patch] { patch.count_5xx_as_failure = true; },
           "Breaker: count 5xx responses as failures (the default)")
        ->excludes(no_5xx);
  }
  optional_option(sub, "--max-concurrent", patch.max_concurrent,
                  "Bulkhead: concurrent requests, 0..100000, 0 unlimited (default 0)");
  optional_option(sub, "--retries", patch.retries,
                  "Retries of idempotent or unsent requests, 0..5 (default 1)");
  optional_option(sub, "--backoff-ms", patch.backoff_ms,
                  "Base of the exponential backoff with full jitter, 1..10000 (default 25)");
  add_health_and_connection_options(sub, patch);
}

}  // namespace

RouteSelector cli_detail::selector(const std::string& pattern, const CLI::App* sub,
                                   const Parsed& p) {
  RouteSelector selected{pattern, std::nullopt, std::nullopt};
  if (sub->count("--methods")) selected.methods = p.methods;
  if (p.exact) selected.exact = true;
  if (p.prefix) selected.exact = false;
  return selected;
}

namespace {

void add_target_commands(CLI::App& app, Parsed& p) {
  auto* target = subcommand(app, "target", "Add, list, change or remove targets (upstreams)");
  target->require_subcommand(1);

  auto* add = subcommand(*target, "add", "Add a target");
  add->add_option("name", p.target_add.name, "Target name, e.g. orders")->required();
  add->add_option("url", p.target_add.url, "Base URL, e.g. http://127.0.0.1:9002")->required();
  add->add_option("--connect-timeout-ms", p.connect_timeout_ms, "Connect timeout (default 1000)");
  add->add_option("--timeout-ms", p.timeout_ms, "Response timeout (default 15000)");
  add_resilience_options(add, p.target_add_resilience, false);
  add->callback([&p, add] {
    if (add->count("--connect-timeout-ms")) p.target_add.connect_timeout_ms = p.connect_timeout_ms;
    if (add->count("--timeout-ms")) p.target_add.timeout_ms = p.timeout_ms;
    p.target_add.resilience = apply_patch(Target{}, p.target_add_resilience).resilience;
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return target_add(p.target_add, s, c, o);
    };
  });

  listing(subcommand(*target, "list", "List targets"), p,
          [&p](RuleStore& s, std::ostream& o) { return target_list({p.json}, s, o); });

  auto* set = subcommand(*target, "set", "Change a target's URL, timeouts or resilience settings");
  set->add_option("name", p.target_set.name, "Target name")->required();
  set->add_option("--url", p.url, "New base URL");
  set->add_option("--connect-timeout-ms", p.connect_timeout_ms, "New connect timeout");
  set->add_option("--timeout-ms", p.timeout_ms, "New response timeout");
  add_resilience_options(set, p.target_set.patch, true);
  set->callback([&p, set] {
    if (set->count("--url")) p.target_set.patch.url = p.url;
    if (set->count("--connect-timeout-ms")) {
      p.target_set.patch.connect_timeout_ms = p.connect_timeout_ms;
    }
    if (set->count("--timeout-ms")) p.target_set.patch.timeout_ms = p.timeout_ms;
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return target_set(p.target_set, s, c, o);
    };
  });

  auto* rm = subcommand(*target, "rm", "Remove a target that no route uses");
  rm->add_option("name", p.target_rm.name, "Target name")->required();
  rm->callback([&p] {
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return target_rm(p.target_rm, s, c, o);
    };
  });
}

void add_route_commands(CLI::App& app, Parsed& p) {
  auto* route = subcommand(app, "route", "Add, list, remove or flip routes");
  route->require_subcommand(1);

  auto* add = subcommand(*route, "add", "Add a route");
  add->add_option("pattern", p.route_add.pattern, "Path pattern, e.g. /orders or /c/*/orders")
      ->required();
  add->add_option("--to", p.route_add.to, "Target that receives the route's requests")->required();
  add->add_option("--methods", p.route_add.methods, "Limit to these methods, e.g. GET,HEAD");
  add->add_flag("--exact", p.route_add.exact, "Match only the path itself, not below it");
  optional_option(add, "--fallback", p.route_add.fallback,
                  "Target when --to cannot serve: NAME, none, or default (legacy)");
  optional_option(add, "--fallback-methods", p.route_add.fallback_methods,
                  "Methods that may fall back, e.g. GET,HEAD,OPTIONS,POST or * (default "
                  "GET,HEAD,OPTIONS)");
  add->callback([&p] {
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return route_add(p.route_add, s, c, o);
    };
  });

  listing(subcommand(*route, "list", "List routes"), p,
          [&p](RuleStore& s, std::ostream& o) { return route_list({p.json}, s, o); });

  auto* rm = subcommand(*route, "rm", "Remove a route");
  rm->add_option("pattern", p.route_rm.route.pattern, "The route's pattern")->required();
  add_selector(rm, p);
  rm->callback([&p, rm] {
    p.route_rm.route = selector(p.route_rm.route.pattern, rm, p);
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return route_rm(p.route_rm, s, c, o);
    };
  });

  auto* flip = subcommand(*route, "flip", "Send a route (or a share of it) to another target");
  flip->add_option("pattern", p.flip.route.pattern, "The route's pattern")->required();
  flip->add_option("--to", p.flip.to, "Target to flip to")->required();
  flip->add_option("--percent", p.percent, "Send only this share (1..99) to --to, sticky");
  optional_option(flip, "--sticky-header", p.flip.sticky_header,
                  "Header whose value picks the side; \"\" for the client address; else kept");
  optional_option(flip, "--fallback", p.flip.fallback,
                  "Also set the fallback: NAME, none, or default (legacy); else it is kept");
  optional_option(flip, "--fallback-methods", p.flip.fallback_methods,
                  "Also set the methods that may fall back (GET,HEAD,OPTIONS,POST or *); else "
                  "kept");
  add_selector(flip, p);
  flip->add_option("--min-samples", p.flip.min_samples,
                   "Gate: comparisons needed in --window when shadowed to --to (default 100)");
  flip->add_option("--window", p.flip.window,
                   "Gate: how far back to count, e.g. 30m, 24h, 2d "
                   "(default 24h)");
  flip->add_option("--min-match", p.flip.min_match,
                   "Gate: match rate needed after ignores and noise, 0..1 (default 0.99)");
  flip->add_flag("--force", p.flip.force, "Flip even when the promotion gate refuses");
  flip->callback([&p, flip] {
    p.flip.route = selector(p.flip.route.pattern, flip, p);
    if (flip->count("--percent")) p.flip.percent = p.percent;
    p.command = [&p](RuleStore& s, const ChangeContext& c, std::ostream& o) {
      return route_flip(p.flip, s, c, o);
    };
  });
  add_shadow_commands(*route, p);
}

void add_init_command(CLI::App& app, Parsed& p) {
  auto* init_cmd = subcommand(app, "init", "Create a rule set whose every request goes to legacy");
  init_cmd->add_option("--legacy", p.init_args.legacy_url, "The monolith's base URL")->required();
  init_cmd->callback([&p] { p.init = true; });
}

void add_history_commands(CLI::App& app, Parsed& p) {
  auto* history_cmd = subcommand(app, "history", "List every change, newest first");
  add_json_flag(history_cmd, p);
  history_cmd->add_option("--limit", p.history.limit, "Show only the newest N changes")
      ->check(CLI::NonNegativeNumber);
  history_cmd->callback([&p] {
    p.read_only = true;
    p.command = [&p](RuleStore& s, const ChangeContext&, std::ostream& o) {
      p.history.json = p.json;
      return history(p.history, s, o);
    };
  });

  auto* check_cmd = subcommand(
      app, "check", "Check the database file and that its rules compile; exit 1 on problems");
  check_cmd->callback([&p] {
    p.read_only = true;
    p.command = [](RuleStore& s, const ChangeContext&, std::ostream& o) { return check(s, o); };
  });

  auto* undo_cmd = subcommand(app, "undo", "Revert the latest change that is not yet undone");
  undo_cmd->callback([&p] {
    p.command = [](RuleStore& s, const ChangeContext& c, std::ostream& o) { return undo(s, c, o); };
  });
}

void add_status_command(CLI::App& app, Parsed& p) {
  auto* status_cmd = subcommand(
      app, "status", "Show a running router's state: routes per target, traffic, breakers");
  status_cmd
      ->add_option("--admin", p.status_args.admin_url,
                   "The router's admin address, e.g. http://127.0.0.1:8081")
      ->required();
  status_cmd->add_option("--admin-token", p.status_args.admin_token,
                         "Token the router's admin API requires, if any");
  add_json_flag(status_cmd, p);
  status_cmd->callback([&p] { p.status = true; });
}

}  // namespace

CliEnvironment CliEnvironment::from_process() {
  CliEnvironment env;
  if (const char* db = std::getenv("STRANGLER_DB"); db && *db) env.strangler_db = db;
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) {
    env.user = pw->pw_name;
  } else if (const char* user = std::getenv("USER"); user && *user) {
    env.user = user;
  } else {
    env.user = "uid " + std::to_string(geteuid());
  }
  return env;
}

std::string shell_quote(std::string_view argument) {
  bool plain = !argument.empty() && argument.find_first_not_of(
                                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_@%+=:,./-") == std::string_view::npos;
  if (plain) return std::string(argument);
  std::string quoted = "'";
  for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string command_line(int argc, const char* const* argv) {
  std::string line = "stranglerctl";
  for (int i = 1; i < argc; ++i) line += " " + shell_quote(argv[i]);
  return line;
}

int run_cli(int argc, const char* const* argv, const CliEnvironment& env, std::ostream& out,
            std::ostream& err) {
  Parsed p;
  p.err = &err;
  CLI::App app("stranglerctl: change the rule set of a Strangler router", "stranglerctl");
  app.set_version_flag("--version", STRANGLER_VERSION);
  app.require_subcommand(1);
  app.add_option("--db", p.db, "Rules database (default: $STRANGLER_DB)");
  app.add_flag("--json", p.json, "Print listings as JSON");
  add_init_command(app, p);
  add_target_commands(app, p);
  add_route_commands(app, p);
  add_diff_commands(app, p);
  add_history_commands(app, p);
  add_status_command(app, p);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "stranglerctl: " << e.what() << " (see: stranglerctl --help)\n";
    return 2;
  }
  if (p.status) {
    p.status_args.json = p.json;
    return run_guarded([&] { return status(p.status_args, out); }, err);
  }
  if (p.db.empty() && env.strangler_db) p.db = *env.strangler_db;
  if (p.db.empty()) {
    err << "stranglerctl: no rules database: give --db PATH or set STRANGLER_DB\n";
    return 2;
  }
  ChangeContext ctx{env.user, command_line(argc, argv)};
  return run_guarded(
      [&] {
        if (p.init) return init(InitArgs{p.db, p.init_args.legacy_url}, ctx, out);
        auto store = RuleStore::open(p.db, p.read_only);
        return p.command(store, ctx, out);
      },
      err);
}

}  // namespace strangler::ctl
