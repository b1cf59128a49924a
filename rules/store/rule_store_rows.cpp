// RuleStore's mapping between rows and values: reading targets and routes from the columns of
// STRANGLER_SELECT_TARGETS / STRANGLER_SELECT_ROUTES, and inserting and updating them with every
// value bound.
#include "rules/store/rule_store_impl.h"

#include <unordered_map>

namespace strangler {

namespace {

// Binds the resilience settings to parameters first..first+16, in the column order of
// STRANGLER_SELECT_TARGETS.
void bind_resilience(sqlite::Statement& statement, int first, const TargetResilience& r) {
  statement.bind(first, r.breaker_window).bind(first + 1, r.breaker_min_calls);
  statement.bind(first + 2, r.breaker_failure_threshold).bind(first + 3, r.breaker_failure_rate);
  statement.bind(first + 4, r.breaker_recovery_ms).bind(first + 5, r.breaker_half_open_probes);
  statement.bind(first + 6, r.count_5xx_as_failure).bind(first + 7, r.max_concurrent);
  statement.bind(first + 8, r.retries).bind(first + 9, r.backoff_ms);
  statement.bind(first + 10, r.health_path).bind(first + 11, r.health_interval_ms);
  statement.bind(first + 12, r.health_timeout_ms).bind(first + 13, r.healthy_threshold);
  statement.bind(first + 14, r.unhealthy_threshold).bind(first + 15, r.max_connections);
  statement.bind(first + 16, r.queue_timeout_ms);
}

// A route's fallback as two columns: the target's name (NULL for none or the default) and
// whether it is explicitly none.
void bind_fallback(sqlite::Statement& statement, int first, const Route& route) {
  bool none = route.fallback == kNoFallback;
  if (route.fallback && !none) statement.bind(first, *route.fallback);
  statement.bind(first + 1, none);
}

// A route's shadow as five columns: the target (NULL when not shadowed) and its settings (the
// column defaults when not shadowed).
void bind_shadow(sqlite::Statement& statement, int first, const Route& route) {
  ShadowConfig shadow = route.shadow.value_or(ShadowConfig{});
  if (route.shadow) statement.bind(first, shadow.target);
  statement.bind(first + 1, shadow.percent).bind(first + 2, shadow.methods.text());
  statement.bind(first + 3, shadow.noise_check)
      .bind(first + 4, join_header_names(shadow.compare_headers));
}

}  // namespace

std::string join_header_names(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ',';
    text += name;
  }
  return text;
}

std::vector<std::string> split_header_names(std::string_view text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view name = text.substr(start, comma - start);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) names.emplace_back(name);
    start = comma + 1;
  }
  return names;
}

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
  r.health_path = row.text(14);
  r.health_interval_ms = row.int32(15);
  r.health_timeout_ms = row.int32(16);
  r.healthy_threshold = row.int32(17);
  r.unhealthy_threshold = row.int32(18);
  r.max_connections = row.int32(19);
  r.queue_timeout_ms = row.int32(20);
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
  route.fallback_methods = MethodSet::parse_explicit(row.text(15));
  if (auto shadow_target = row.optional_text(10)) {
    ShadowConfig shadow;
    shadow.target = *shadow_target;
    shadow.percent = row.int32(11);
    shadow.methods = MethodSet::parse(row.text(12));
    shadow.noise_check = row.int64(13) != 0;
    shadow.compare_headers = split_header_names(row.text(14));
    route.shadow = std::move(shadow);
  }
  return route;
}

void RuleStore::Impl::insert_target(const Target& target) {
  auto insert = db.prepare(
      "INSERT INTO targets (name, url, connect_timeout_ms, timeout_ms, created_at, "
      "breaker_window, breaker_min_calls, breaker_failure_threshold, breaker_failure_rate, "
      "breaker_recovery_ms, breaker_half_open_probes, count_5xx_as_failure, max_concurrent, "
      "retries, backoff_ms, health_path, health_interval_ms, health_timeout_ms, "
      "healthy_threshold, unhealthy_threshold, max_connections, queue_timeout_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
      "?19, ?20, ?21, ?22)");
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
      "count_5xx_as_failure = ?11, max_concurrent = ?12, retries = ?13, backoff_ms = ?14, "
      "health_path = ?15, health_interval_ms = ?16, health_timeout_ms = ?17, "
      "healthy_threshold = ?18, unhealthy_threshold = ?19, max_connections = ?20, "
      "queue_timeout_ms = ?21 WHERE name = ?1");
  update.bind(1, target.name).bind(2, target.url).bind(3, target.connect_timeout_ms);
  update.bind(4, target.timeout_ms);
  bind_resilience(update, 5, target.resilience);
  update.run();
}

void RuleStore::Impl::insert_route(Route& route) {
  auto insert = db.prepare(
      "INSERT INTO routes (id, pattern, exact, methods, target, split_target, split_percent, "
      "sticky_header, created_at, fallback_target, fallback_none, shadow_target, shadow_percent, "
      "shadow_methods, shadow_noise_check, shadow_headers, fallback_methods) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)");
  if (route.id != 0) insert.bind(1, route.id);  // otherwise NULL: SQLite picks the next id
  insert.bind(2, route.pattern.text()).bind(3, route.pattern.exact).bind(4, route.methods.text());
  insert.bind(5, route.target);
  if (!route.split_target.empty()) insert.bind(6, route.split_target);
  insert.bind(7, route.split_percent).bind(8, route.sticky_header).bind(9, utc_now_rfc3339());
  bind_fallback(insert, 10, route);
  bind_shadow(insert, 12, route);
  insert.bind(17, route.fallback_methods.explicit_text());
  insert.run();
  route.id = db.last_insert_rowid();
  write_ignores(route);
}

void RuleStore::Impl::update_route(const Route& route) {
  auto update = db.prepare(
      "UPDATE routes SET target = ?2, split_target = ?3, split_percent = ?4, sticky_header = ?5, "
      "fallback_target = ?6, fallback_none = ?7, shadow_target = ?8, shadow_percent = ?9, "
      "shadow_methods = ?10, shadow_noise_check = ?11, shadow_headers = ?12, "
      "fallback_methods = ?13 WHERE id = ?1");
  update.bind(1, route.id).bind(2, route.target);
  if (!route.split_target.empty()) update.bind(3, route.split_target);
  update.bind(4, route.split_percent).bind(5, route.sticky_header);
  bind_fallback(update, 6, route);
  bind_shadow(update, 8, route);
  update.bind(13, route.fallback_methods.explicit_text());
  update.run();
  write_ignores(route);
}

void RuleStore::Impl::write_ignores(const Route& route) {
  auto remove = db.prepare("DELETE FROM diff_ignores WHERE route_id = ?1");
  remove.bind(1, route.id);
  remove.run();
  auto insert = db.prepare("INSERT INTO diff_ignores (route_id, kind, expr) VALUES (?1, ?2, ?3)");
  for (const auto& ignore : route.ignores) {
    insert.reset();
    insert.bind(1, route.id).bind(2, diff_ignore_kind_name(ignore.kind)).bind(3, ignore.expr);
    insert.run();
  }
}

void RuleStore::Impl::attach_ignores(std::vector<Route>& routes) {
  if (routes.empty()) return;
  // One query for all routes: load_rule_set reads every route, and one per route would be slow
  // with many routes. Ordered as Route::ignores promises: json_path before header, then expr.
  auto select = db.prepare(
      "SELECT route_id, kind, expr FROM diff_ignores ORDER BY route_id, kind = 'header', expr");
  std::unordered_map<std::int64_t, Route*> by_id;
  for (auto& route : routes) {
    route.ignores.clear();
    by_id[route.id] = &route;
  }
  while (select.step()) {
    auto it = by_id.find(select.int64(0));
    if (it == by_id.end()) continue;
    it->second->ignores.push_back(
        DiffIgnore{parse_diff_ignore_kind(select.text(1)), select.text(2)});
  }
}

}  // namespace strangler
