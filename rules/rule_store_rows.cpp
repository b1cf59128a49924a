// RuleStore's mapping between rows and values: reading targets and routes from the columns of
// STRANGLER_SELECT_TARGETS / STRANGLER_SELECT_ROUTES, and inserting and updating them with every
// value bound.
#include "rules/rule_store_impl.h"

namespace strangler {

namespace {

// Binds the resilience settings to parameters first..first+9, in the column order of
// STRANGLER_SELECT_TARGETS.
void bind_resilience(sqlite::Statement& statement, int first, const TargetResilience& r) {
  statement.bind(first, r.breaker_window).bind(first + 1, r.breaker_min_calls);
  statement.bind(first + 2, r.breaker_failure_threshold).bind(first + 3, r.breaker_failure_rate);
  statement.bind(first + 4, r.breaker_recovery_ms).bind(first + 5, r.breaker_half_open_probes);
  statement.bind(first + 6, r.count_5xx_as_failure).bind(first + 7, r.max_concurrent);
  statement.bind(first + 8, r.retries).bind(first + 9, r.backoff_ms);
}

// A route's fallback as two columns: the target's name (NULL for none or the default) and
// whether it is explicitly none.
void bind_fallback(sqlite::Statement& statement, int first, const Route& route) {
  bool none = route.fallback == kNoFallback;
  if (route.fallback && !none) statement.bind(first, *route.fallback);
  statement.bind(first + 1, none);
}

}  // namespace

Target target_from_row(const sqlite::Statement& row) {
  Target target{row.text(0), row.text(1), row.int32(2), row.int32(3)};
  auto& r = target.resilience;
  r.breaker_window = row.int32(4);
  r.breaker_min_calls = row.int32(5);
  r.breaker_failure_threshold = row.int32(6);
  r.breaker_failure_rate = row.real(7);
  r.breaker_recovery_ms = row.int32(8);
  r.breaker_half_open_probes = row.int32(9);
  r.count_5xx_as_failure = row.int64(10) != 0;
  r.max_concurrent = row.int32(11);
  r.retries = row.int32(12);
  r.backoff_ms = row.int32(13);
  return target;
}

Route route_from_row(const sqlite::Statement& row) {
  Route route;
  route.id = row.int64(0);
  route.pattern = parse_pattern(row.text(1), row.int64(2) != 0);
  route.methods = MethodSet::parse(row.text(3));
  route.target = row.text(4);
  route.split_target = row.optional_text(5).value_or("");
  route.split_percent = row.int32(6);
  route.sticky_header = row.text(7);
  if (row.int64(9) != 0) {
    route.fallback = kNoFallback;
  } else {
    route.fallback = row.optional_text(8);
  }
  return route;
}

void RuleStore::Impl::insert_target(const Target& target) {
  auto insert = db.prepare(
      "INSERT INTO targets (name, url, connect_timeout_ms, timeout_ms, created_at, "
      "breaker_window, breaker_min_calls, breaker_failure_threshold, breaker_failure_rate, "
      "breaker_recovery_ms, breaker_half_open_probes, count_5xx_as_failure, max_concurrent, "
      "retries, backoff_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  insert.bind(1, target.name).bind(2, target.url).bind(3, target.connect_timeout_ms);
  insert.bind(4, target.timeout_ms).bind(5, utc_now_rfc3339());
  bind_resilience(insert, 6, target.resilience);
  insert.run();
}

void RuleStore::Impl::update_target(const Target& target) {
  auto update = db.prepare(
      "UPDATE targets SET url = ?2, connect_timeout_ms = ?3, timeout_ms = ?4, "
      "breaker_window = ?5, breaker_min_calls = ?6, breaker_failure_threshold = ?7, "
      "breaker_failure_rate = ?8, breaker_recovery_ms = ?9, breaker_half_open_probes = ?10, "
      "count_5xx_as_failure = ?11, max_concurrent = ?12, retries = ?13, backoff_ms = ?14 "
      "WHERE name = ?1");
  update.bind(1, target.name).bind(2, target.url).bind(3, target.connect_timeout_ms);
  update.bind(4, target.timeout_ms);
  bind_resilience(update, 5, target.resilience);
  update.run();
}

void RuleStore::Impl::insert_route(Route& route) {
  auto insert = db.prepare(
      "INSERT INTO routes (id, pattern, exact, methods, target, split_target, split_percent, "
      "sticky_header, created_at, fallback_target, fallback_none) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (route.id != 0) insert.bind(1, route.id);  // otherwise NULL: SQLite picks the next id
  insert.bind(2, route.pattern.text()).bind(3, route.pattern.exact).bind(4, route.methods.text());
  insert.bind(5, route.target);
  if (!route.split_target.empty()) insert.bind(6, route.split_target);
  insert.bind(7, route.split_percent).bind(8, route.sticky_header).bind(9, utc_now_rfc3339());
  bind_fallback(insert, 10, route);
  insert.run();
  route.id = db.last_insert_rowid();
}

void RuleStore::Impl::update_route(const Route& route) {
  auto update = db.prepare(
      "UPDATE routes SET target = ?2, split_target = ?3, split_percent = ?4, sticky_header = ?5, "
      "fallback_target = ?6, fallback_none = ?7 WHERE id = ?1");
  update.bind(1, route.id).bind(2, route.target);
  if (!route.split_target.empty()) update.bind(3, route.split_target);
  update.bind(4, route.split_percent).bind(5, route.sticky_header);
  bind_fallback(update, 6, route);
  update.run();
}

}  // namespace strangler
