// stranglerctl's commands as plain functions: cli.cpp parses the command line into these
// argument structs and calls them; tests call them directly.
//
// Each command writes its normal output (one confirming line for a change, a table or JSON for a
// listing) to `out` and returns the exit status (0). Invalid requests and database failures are
// thrown as RuleError / StoreError with a one-line message; run_guarded() turns them into
// "stranglerctl: <message>" and exit status 1.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "rules/store/rule_store.h"

namespace strangler::ctl {

struct InitArgs {
  std::string db;
  std::string legacy_url;
};

struct ListArgs {
  bool json = false;
};

struct TargetAddArgs {
  std::string name;
  std::string url;
  std::optional<int> connect_timeout_ms;
  std::optional<int> timeout_ms;
  TargetResilience resilience{};
};

struct TargetSetArgs {
  std::string name;
  TargetPatch patch;
};

struct TargetRmArgs {
  std::string name;
};

struct RouteAddArgs {
  std::string pattern;
  std::string to;
  std::string methods;  // "" for every method
  bool exact = false;
  std::optional<std::string> fallback{};          // NAME, "none" or "default"; nullopt: the default
  std::optional<std::string> fallback_methods{};  // "GET,HEAD,POST", "*"; nullopt: GET,HEAD,OPTIONS
};

struct RouteRmArgs {
  RouteSelector route;
};

struct FlipArgs {
  RouteSelector route;
  std::string to;
  std::optional<int> percent;
  std::optional<std::string> sticky_header{};  // nullopt keeps the route's; "" the client address
  std::optional<std::string> fallback{};       // nullopt keeps the route's fallback setting
  std::optional<std::string> fallback_methods{};  // nullopt keeps the route's fallback methods
  // The promotion gate, for a route that has been shadowed to `to`: at least min_samples
  // comparisons in the last `window` ("30m", "24h", "2d") and a match rate of min_match after
  // ignores and noise, unless `force`.
  std::int64_t min_samples = 100;
  std::string window = "24h";
  double min_match = 0.99;
  bool force = false;
};

struct ShadowArgs {
  RouteSelector route;
  std::string to;
  int percent = 100;
  std::optional<std::string> methods{};  // nullopt: GET,HEAD,OPTIONS
  bool noise_check = false;
  std::optional<std::string> compare_headers{};  // "Content-Type,ETag"; nullopt: Content-Type
};

struct UnshadowArgs {
  RouteSelector route;
};

// `diff ignore` / `diff unignore`: exactly one of json_path and header.
struct IgnoreArgs {
  RouteSelector route;
  std::optional<std::string> json_path{};
  std::optional<std::string> header{};
};

struct IgnoresArgs {
  RouteSelector route;
  bool json = false;
};

struct DiffReportArgs {
  std::optional<std::string> route{};
  std::optional<std::string> since{};  // "30m", "1h", "2d"
  bool json = false;
};

struct DiffShowArgs {
  std::int64_t id = 0;
};

struct DiffClearArgs {
  std::optional<std::string> route{};
};

struct HistoryArgs {
  bool json = false;
  std::size_t limit = 0;  // 0: every change
};

int init(const InitArgs& args, const ChangeContext& ctx, std::ostream& out);

int target_add(const TargetAddArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out);
int target_list(const ListArgs& args, RuleStore& store, std::ostream& out);
int target_set(const TargetSetArgs& args, RuleStore& store, const ChangeContext& ctx,
               std::ostream& out);
int target_rm(const TargetRmArgs& args, RuleStore& store, const ChangeContext& ctx,
              std::ostream& out);

int route_add(const RouteAddArgs& args, RuleStore& store, const ChangeContext& ctx,
              std::ostream& out);
int route_list(const ListArgs& args, RuleStore& store, std::ostream& out);
int route_rm(const RouteRmArgs& args, RuleStore& store, const ChangeContext& ctx,
             std::ostream& out);
int route_flip(const FlipArgs& args, RuleStore& store, const ChangeContext& ctx, std::ostream& out);

// Prints a warning on `err` when methods other than GET, HEAD and OPTIONS are mirrored.
int route_shadow(const ShadowArgs& args, RuleStore& store, const ChangeContext& ctx,
                 std::ostream& out, std::ostream& err);
int route_unshadow(const UnshadowArgs& args, RuleStore& store, const ChangeContext& ctx,
                   std::ostream& out);
int diff_ignore(const IgnoreArgs& args, RuleStore& store, const ChangeContext& ctx,
                std::ostream& out);
int diff_unignore(const IgnoreArgs& args, RuleStore& store, const ChangeContext& ctx,
                  std::ostream& out);
int diff_ignores(const IgnoresArgs& args, RuleStore& store, std::ostream& out);
int diff_report(const DiffReportArgs& args, RuleStore& store, std::ostream& out);
int diff_show(const DiffShowArgs& args, RuleStore& store, std::ostream& out);
int diff_clear(const DiffClearArgs& args, RuleStore& store, std::ostream& out);

// "45s", "30m", "1h", "2d" → seconds; RuleError naming `option` for anything else.
std::chrono::seconds parse_duration(std::string_view text, std::string_view option);

int history(const HistoryArgs& args, RuleStore& store, std::ostream& out);
int undo(RuleStore& store, const ChangeContext& ctx, std::ostream& out);

// Checks the database file (PRAGMA quick_check) and the rules (compiled as the router would):
// one line per problem on `out`, or "ok"; returns 1 when there are problems.
int check(RuleStore& store, std::ostream& out);

// Runs `command`; RuleError, StoreError, AdminError (and any other exception) become one line
// "stranglerctl: <message>" on `err` and exit status 1.
int run_guarded(const std::function<int()>& command, std::ostream& err);

}  // namespace strangler::ctl
