// stranglerctl's commands as plain functions: cli.cpp parses the command line into these
// argument structs and calls them; tests call them directly.
//
// Each command writes its normal output (one confirming line for a change, a table or JSON for a
// listing) to `out` and returns the exit status (0). Invalid requests and database failures are
// thrown as RuleError / StoreError with a one-line message; run_guarded() turns them into
// "stranglerctl: <message>" and exit status 1.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "rules/rule_store.h"

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
  std::optional<std::string> fallback{};  // NAME, "none" or "default"; nullopt: the default
};

struct RouteRmArgs {
  RouteSelector route;
};

struct FlipArgs {
  RouteSelector route;
  std::string to;
  std::optional<int> percent;
  std::string sticky_header;
  std::optional<std::string> fallback{};  // nullopt keeps the route's fallback setting
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

int history(const HistoryArgs& args, RuleStore& store, std::ostream& out);
int undo(RuleStore& store, const ChangeContext& ctx, std::ostream& out);

// Checks the database file (PRAGMA quick_check) and the rules (compiled as the router would):
// one line per problem on `out`, or "ok"; returns 1 when there are problems.
int check(RuleStore& store, std::ostream& out);

// Runs `command`; RuleError, StoreError, AdminError (and any other exception) become one line
// "stranglerctl: <message>" on `err` and exit status 1.
int run_guarded(const std::function<int()>& command, std::ostream& err);

}  // namespace strangler::ctl
