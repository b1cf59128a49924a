// stranglerctl's command-line parsing state and the helpers shared by the files that wire
// subcommands to command functions: cli.cpp (targets, routes, history, status) and cli_diff.cpp
// (route shadow/unshadow and diff ...). Private to those files.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/status.h"

namespace strangler::ctl::cli_detail {

using StoreCommand = std::function<int(RuleStore&, const ChangeContext&, std::ostream&)>;

// Everything the parser fills in, and the command it chose.
struct Parsed {
  std::string db;
  bool json = false;
  bool init = false;
  InitArgs init_args;
  bool status = false;  // needs the admin API, not the database
  StatusArgs status_args;
  bool read_only = false;  // listings open the database read-only
  StoreCommand command;

  TargetAddArgs target_add;
  TargetPatch target_add_resilience;  // the resilience options of `target add`
  TargetSetArgs target_set;
  TargetRmArgs target_rm;
  RouteAddArgs route_add;
  RouteRmArgs route_rm;
  FlipArgs flip;
  ShadowArgs shadow;
  UnshadowArgs unshadow;
  IgnoreArgs ignore;
  IgnoresArgs ignores;
  DiffReportArgs report;
  DiffShowArgs show;
  DiffClearArgs clear;
  std::ostream* err = nullptr;  // warnings of commands that succeed (route shadow)
  HistoryArgs history;
  std::string url;
  int connect_timeout_ms = 0;
  int timeout_ms = 0;
  int percent = 0;
  std::string methods;
  bool exact = false;
  bool prefix = false;
};

CLI::App* subcommand(CLI::App& parent, const char* name, const char* description);
void add_json_flag(CLI::App* sub, Parsed& p);
// A read-only listing with --json that runs `list`.
void listing(CLI::App* sub, Parsed& p, std::function<int(RuleStore&, std::ostream&)> list);
// --methods, --exact and --prefix of commands that pick one route.
void add_selector(CLI::App* sub, Parsed& p);
// The RouteSelector those options give for `pattern`.
RouteSelector selector(const std::string& pattern, const CLI::App* sub, const Parsed& p);

// An option whose given value is stored in `field` (a std::optional), left empty when absent.
template <typename T>
void optional_option(CLI::App* sub, const char* name, std::optional<T>& field,
                     const char* description) {
  sub->add_option_function<T>(
      name, [&field](const T& value) { field = value; }, description);
}

// route shadow and route unshadow, under `route`; the diff command group (cli_diff.cpp).
void add_shadow_commands(CLI::App& route, Parsed& p);
void add_diff_commands(CLI::App& app, Parsed& p);

}  // namespace strangler::ctl::cli_detail
