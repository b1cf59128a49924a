// RuleStore's private parts, shared by rule_store.cpp (open, create, reads), rule_store_writes.cpp
// (target and route commands) and rule_store_undo.cpp. Not a public header: only those files
// include it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "rules/rule_json.h"
#include "rules/store/rule_store.h"
#include "rules/store/sqlite_db.h"
#include "rules/utc_time.h"

namespace strangler {

// Column lists shared by several queries, joined to the rest of each query at compile time: every
// SQL text stays a constant and every value is bound.
#define STRANGLER_SELECT_TARGETS                                                          \
  "SELECT name, url, connect_timeout_ms, timeout_ms, breaker_window, breaker_min_calls, " \
  "breaker_failure_threshold, breaker_failure_rate, breaker_recovery_ms, "                \
  "breaker_half_open_probes, count_5xx_as_failure, max_concurrent, retries, backoff_ms, " \
  "health_path, health_interval_ms, health_timeout_ms, healthy_threshold, "               \
  "unhealthy_threshold, max_connections, queue_timeout_ms FROM targets"
#define STRANGLER_SELECT_ROUTES                                                              \
  "SELECT id, pattern, exact, methods, target, split_target, split_percent, sticky_header, " \
  "fallback_target, fallback_none, shadow_target, shadow_percent, shadow_methods, "          \
  "shadow_noise_check, shadow_headers, fallback_methods FROM routes"
#define STRANGLER_ROUTE_ORDER " ORDER BY pattern, exact DESC, methods"

// Values from rows selected with the column lists above (rule_store_rows.cpp).
Target target_from_row(const sqlite::Statement& row);
Route route_from_row(const sqlite::Statement& row);
// The shadow_headers column: header names joined by ',' (and split again, blanks dropped).
std::string join_header_names(const std::vector<std::string>& names);
std::vector<std::string> split_header_names(std::string_view text);

struct RuleStore::Impl {
  Impl(std::string path, sqlite::Database db, bool read_only);

  // Turns SQLite's failures (busy, corrupt, read-only, full disk) into a one-line StoreError
  // that names the file and says what to do.
  StoreError translate(const sqlite::SqliteError& error) const;

  // Runs f inside BEGIN IMMEDIATE and commits; any exception rolls back, so a refusal leaves
  // the file exactly as it was.
  template <typename F>
  auto write(F&& f) -> decltype(f()) {
    require_writable();
    return guard(
        [&] { return sqlite::in_transaction(db, sqlite::Transaction::Kind::kImmediate, f); });
  }

  // Runs f inside one read transaction, so that everything it reads is one consistent state.
  template <typename F>
  auto read(F&& f) -> decltype(f()) {
    return guard([&] {
      sqlite::Transaction transaction(db, sqlite::Transaction::Kind::kDeferred);
      return f();
    });
  }

  template <typename F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const sqlite::SqliteError& error) {
      throw translate(error);
    }
  }

  void require_writable() const;

  // Reads; callers hold a transaction.
  std::vector<Target> read_targets();
  std::optional<Target> find_target(std::string_view name);
  // RuleError "unknown target" when absent; `to_use` says the caller wants to route to it (the
  // message then says how to add it) rather than change it (the message points at the list).
  Target require_target(std::string_view name, bool to_use);
  std::vector<Route> read_routes();
  // The routes whose canonical pattern text is `pattern` (any exact flag, any methods).
  std::vector<Route> read_routes_with_pattern(const std::string& pattern);
  std::optional<Route> find_route(std::int64_t id);
  // Fills each route's ignores (the route-reading functions above call it).
  void attach_ignores(std::vector<Route>& routes);
  Route select_route(const RouteSelector& selector);
  // RuleError, starting with `prefix`, when the route's fallback names its own target or a
  // target that does not exist.
  void check_fallback(const Route& route, std::string_view prefix);
  // RuleError, starting with `prefix`, when the route's shadow names its own target or a target
  // that does not exist.
  void check_shadow(const Route& route, std::string_view prefix);
  // The promotion gate's verdict on flipping `before` as `spec` asks, from the comparisons read
  // in the caller's write transaction; GateRefusal when it refuses and spec.force is not set.
  GateVerdict judge_flip(const Route& before, const FlipSpec& spec);
  // RuleError naming the routes that use `name` (as target, split target, fallback or shadow
  // target), if any.
  void require_unused(const std::string& name, std::string_view prefix);
  std::int64_t read_version();
  // The last route change log entry ever written (0: none), and whether every entry after
  // `change_seq` up to `last` (read_change_seq) is still in the log (writers trim its oldest).
  std::int64_t read_change_seq();
  bool change_log_reaches(std::int64_t change_seq, std::int64_t last);
  // Ids of routes written after `change_seq`, sorted; and those routes' current rows.
  std::vector<std::int64_t> read_touched_ids(std::int64_t change_seq);
  std::vector<Route> read_routes_touched(std::int64_t change_seq);

  // Writes (rule_store_rows.cpp); callers hold a write transaction.
  void insert_target(const Target& target);
  void update_target(const Target& target);
  void delete_target(const std::string& name);
  // Inserts with route.id when it is not 0 (undo restores a route under its old id); sets the id.
  void insert_route(Route& route);
  void update_route(const Route& route);
  // Replaces the route's diff ignores with route.ignores.
  void write_ignores(const Route& route);
  void delete_route(std::int64_t id);
  // Undo: restores `before` over the entity that `after` describes (null: absent); RuleError,
  // starting with `prefix`, when that is no longer possible.
  void revert_target(const Json& before, const Json& after, const std::string& prefix);
  void revert_route(const Json& before, const Json& after, const std::string& prefix);
  // Appends a history row and bumps the rules version; returns the row's id.
  std::int64_t record(const ChangeContext& ctx, std::string_view kind, std::string_view entity,
                      const Json& before, const Json& after,
                      std::optional<std::int64_t> undoes = std::nullopt);

  std::string path;
  sqlite::Database db;
  bool read_only;
  std::optional<sqlite::Statement> version_statement;  // prepared once: the router polls it
};

// Current time as RFC 3339 UTC ("2024-05-01T12:00:00Z").
bool same_target(const Target& a, const Target& b);
bool same_route(const Route& a, const Route& b);
// Validates every field of a target (name, URL, timeouts); RuleError on the first bad one.
void validate_target(const Target& target);

}  // namespace strangler
