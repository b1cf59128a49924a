// Schema migrations of the rules database; see schema.h.
#include "rules/store/schema.h"

#include <fmt/format.h>

#include <iterator>

namespace strangler::schema {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// Append only. Each entry runs once, inside the transaction that opens the file for writing.
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value NOT NULL
) WITHOUT ROWID;

-- rules_version: bumped by every rule change (not by the router's own writes), polled by the
-- router to know when to reload.
INSERT INTO meta (key, value) VALUES ('rules_version', 0);

CREATE TABLE targets (
  name               TEXT PRIMARY KEY,
  url                TEXT NOT NULL,
  connect_timeout_ms INTEGER NOT NULL CHECK (connect_timeout_ms BETWEEN 1 AND 600000),
  timeout_ms         INTEGER NOT NULL CHECK (timeout_ms BETWEEN 1 AND 600000),
  created_at         TEXT NOT NULL
);

CREATE TABLE routes (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  pattern       TEXT NOT NULL,
  exact         INTEGER NOT NULL CHECK (exact IN (0, 1)),
  methods       TEXT NOT NULL,            -- canonical MethodSet text, '' for every method
  target        TEXT NOT NULL REFERENCES targets (name),
  split_target  TEXT REFERENCES targets (name),
  split_percent INTEGER NOT NULL DEFAULT 0 CHECK (split_percent BETWEEN 0 AND 99),
  sticky_header TEXT NOT NULL DEFAULT '',  -- '' hashes the client address
  created_at    TEXT NOT NULL,
  UNIQUE (pattern, exact, methods),
  CHECK ((split_target IS NULL) = (split_percent = 0))
);
CREATE INDEX routes_by_target ON routes (target);
CREATE INDEX routes_by_split_target ON routes (split_target);

-- The audit history. entity is 'target' or 'route'; before_json/after_json hold the entity as
-- JSON ('null' when it did not exist). An undo row points at the change it reverted (undoes),
-- and that change points back (undone_by).
CREATE TABLE changes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  user        TEXT NOT NULL,
  command     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  entity      TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json  TEXT NOT NULL,
  undoes      INTEGER REFERENCES changes (id),
  undone_by   INTEGER REFERENCES changes (id)
);
)sql"},
    // Resilience settings of targets (circuit breaker, bulkhead, retries) and route fallbacks.
    // Existing targets get the defaults; existing routes the default fallback (NULL, not 'none').
    {2, R"sql(
ALTER TABLE targets ADD COLUMN breaker_window INTEGER NOT NULL DEFAULT 20
  CHECK (breaker_window BETWEEN 1 AND 1000);
ALTER TABLE targets ADD COLUMN breaker_min_calls INTEGER NOT NULL DEFAULT 5
  CHECK (breaker_min_calls BETWEEN 1 AND breaker_window);
ALTER TABLE targets ADD COLUMN breaker_failure_threshold INTEGER NOT NULL DEFAULT 5
  CHECK (breaker_failure_threshold BETWEEN 1 AND 1000);
ALTER TABLE targets ADD COLUMN breaker_failure_rate REAL NOT NULL DEFAULT 0.5
  CHECK (breaker_failure_rate > 0 AND breaker_failure_rate <= 1);
ALTER TABLE targets ADD COLUMN breaker_recovery_ms INTEGER NOT NULL DEFAULT 30000
  CHECK (breaker_recovery_ms BETWEEN 1 AND 3600000);
ALTER TABLE targets ADD COLUMN breaker_half_open_probes INTEGER NOT NULL DEFAULT 3
  CHECK (breaker_half_open_probes BETWEEN 1 AND 100);
ALTER TABLE targets ADD COLUMN count_5xx_as_failure INTEGER NOT NULL DEFAULT 1
  CHECK (count_5xx_as_failure IN (0, 1));
ALTER TABLE targets ADD COLUMN max_concurrent INTEGER NOT NULL DEFAULT 0  -- 0: unlimited
  CHECK (max_concurrent BETWEEN 0 AND 100000);
ALTER TABLE targets ADD COLUMN retries INTEGER NOT NULL DEFAULT 1
  CHECK (retries BETWEEN 0 AND 5);
ALTER TABLE targets ADD COLUMN backoff_ms INTEGER NOT NULL DEFAULT 25
  CHECK (backoff_ms BETWEEN 1 AND 10000);

-- A route's fallback: fallback_none = 1 means none (explicitly); otherwise fallback_target names
-- the target, or is NULL for the default (legacy, unless the route's primary is legacy).
ALTER TABLE routes ADD COLUMN fallback_target TEXT REFERENCES targets (name)
  CHECK (fallback_target IS NULL OR fallback_target <> target);
ALTER TABLE routes ADD COLUMN fallback_none INTEGER NOT NULL DEFAULT 0
  CHECK (fallback_none IN (0, 1) AND NOT (fallback_none = 1 AND fallback_target IS NOT NULL));
CREATE INDEX routes_by_fallback_target ON routes (fallback_target);
)sql"},
    // Shadow traffic (issue 3): a route's shadow settings, its diff ignores, and the comparisons
    // the router's writer records with their differences, drop/skip tallies and noisy paths.
    // Comparison tables are written without bumping rules_version: they are not rules.
    {3, R"sql(
-- shadow_target NULL: not shadowed; the other shadow columns then keep their defaults.
ALTER TABLE routes ADD COLUMN shadow_target TEXT REFERENCES targets (name)
  CHECK (shadow_target IS NULL OR shadow_target <> target);
ALTER TABLE routes ADD COLUMN shadow_percent INTEGER NOT NULL DEFAULT 100
  CHECK (shadow_percent BETWEEN 1 AND 100);
ALTER TABLE routes ADD COLUMN shadow_methods TEXT NOT NULL DEFAULT 'GET,HEAD,OPTIONS';
ALTER TABLE routes ADD COLUMN shadow_noise_check INTEGER NOT NULL DEFAULT 0
  CHECK (shadow_noise_check IN (0, 1));
-- Compared response headers, comma-separated, as given.
ALTER TABLE routes ADD COLUMN shadow_headers TEXT NOT NULL DEFAULT 'Content-Type';
CREATE INDEX routes_by_shadow_target ON routes (shadow_target);

CREATE TABLE diff_ignores (
  route_id INTEGER NOT NULL REFERENCES routes (id) ON DELETE CASCADE,
  kind     TEXT NOT NULL CHECK (kind IN ('json_path', 'header')),
  expr     TEXT NOT NULL,
  UNIQUE (route_id, kind, expr)
);

-- No foreign key to routes: comparisons outlive a removed route (an undo brings it back under
-- its id). at_ms (Unix milliseconds) is what --since, windows and retention query.
CREATE TABLE comparisons (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  at              TEXT NOT NULL,
  at_ms           INTEGER NOT NULL,
  route_id        INTEGER NOT NULL,
  route           TEXT NOT NULL,
  method          TEXT NOT NULL,
  request_target  TEXT NOT NULL,
  primary_target  TEXT NOT NULL,
  shadow_target   TEXT NOT NULL,
  primary_status  INTEGER NOT NULL,
  shadow_status   INTEGER NOT NULL,
  primary_ms      REAL NOT NULL,
  shadow_ms       REAL NOT NULL,
  outcome         TEXT NOT NULL CHECK (outcome IN ('match', 'mismatch', 'shadow_error')),
  error           TEXT NOT NULL DEFAULT '',
  primary_headers TEXT NOT NULL DEFAULT '',
  shadow_headers  TEXT NOT NULL DEFAULT '',
  primary_body    TEXT NOT NULL DEFAULT '',
  shadow_body     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX comparisons_by_route ON comparisons (route_id, id);
CREATE INDEX comparisons_by_at ON comparisons (at_ms);

-- Every difference of a comparison, noisy ones flagged, so that reports can recount matches
-- with the ignores and noisy paths in force when they run.
CREATE TABLE comparison_differences (
  comparison_id INTEGER NOT NULL REFERENCES comparisons (id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  path          TEXT NOT NULL,
  kind          TEXT NOT NULL,
  primary_value TEXT NOT NULL,
  shadow_value  TEXT NOT NULL,
  noisy         INTEGER NOT NULL CHECK (noisy IN (0, 1)),
  PRIMARY KEY (comparison_id, seq)
) WITHOUT ROWID;

-- Copies dropped and requests skipped, per route and minute (Unix minutes), for --since.
CREATE TABLE shadow_tallies (
  route_id INTEGER NOT NULL,
  route    TEXT NOT NULL,
  minute   INTEGER NOT NULL,
  dropped  INTEGER NOT NULL DEFAULT 0,
  skipped  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (route_id, minute)
) WITHOUT ROWID;
CREATE INDEX shadow_tallies_by_minute ON shadow_tallies (minute);

CREATE TABLE diff_noise (
  route_id INTEGER NOT NULL,
  path     TEXT NOT NULL,
  first_at TEXT NOT NULL,
  PRIMARY KEY (route_id, path)
) WITHOUT ROWID;
)sql"},
    // The route change log (issue 5): every write to a route or its diff ignores appends the
    // route's id, whoever writes (stranglerctl, an undo, or plain SQL), so the router can reload
    // only the routes that changed since the last sequence number it saw. Writers trim the log
    // (RuleStore keeps the newest 10,000 entries); a reader that finds a gap loads everything.
    {4, R"sql(
CREATE TABLE route_changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  route_id INTEGER NOT NULL
);
CREATE TRIGGER routes_insert_logged AFTER INSERT ON routes BEGIN
  INSERT INTO route_changes (route_id) VALUES (NEW.id);
END;
CREATE TRIGGER routes_update_logged AFTER UPDATE ON routes BEGIN
  INSERT INTO route_changes (route_id) VALUES (OLD.id);
  INSERT INTO route_changes (route_id) SELECT NEW.id WHERE NEW.id <> OLD.id;
END;
CREATE TRIGGER routes_delete_logged AFTER DELETE ON routes BEGIN
  INSERT INTO route_changes (route_id) VALUES (OLD.id);
END;
CREATE TRIGGER diff_ignores_insert_logged AFTER INSERT ON diff_ignores BEGIN
  INSERT INTO route_changes (route_id) VALUES (NEW.route_id);
END;
CREATE TRIGGER diff_ignores_update_logged AFTER UPDATE ON diff_ignores BEGIN
  INSERT INTO route_changes (route_id) VALUES (OLD.route_id);
  INSERT INTO route_changes (route_id) SELECT NEW.route_id WHERE NEW.route_id <> OLD.route_id;
END;
CREATE TRIGGER diff_ignores_delete_logged AFTER DELETE ON diff_ignores BEGIN
  INSERT INTO route_changes (route_id) VALUES (OLD.route_id);
END;
)sql"},
    // Active health checks and upstream connection limits of targets (issue 15). Existing targets
    // get the defaults: no health check, no connection limit.
    {5, R"sql(
ALTER TABLE targets ADD COLUMN health_path TEXT NOT NULL DEFAULT ''  -- '': no health check
  CHECK (length(health_path) <= 1024);
ALTER TABLE targets ADD COLUMN health_interval_ms INTEGER NOT NULL DEFAULT 5000
  CHECK (health_interval_ms BETWEEN 100 AND 3600000);
ALTER TABLE targets ADD COLUMN health_timeout_ms INTEGER NOT NULL DEFAULT 1000
  CHECK (health_timeout_ms BETWEEN 1 AND 600000);
ALTER TABLE targets ADD COLUMN healthy_threshold INTEGER NOT NULL DEFAULT 2
  CHECK (healthy_threshold BETWEEN 1 AND 100);
ALTER TABLE targets ADD COLUMN unhealthy_threshold INTEGER NOT NULL DEFAULT 3
  CHECK (unhealthy_threshold BETWEEN 1 AND 100);
ALTER TABLE targets ADD COLUMN max_connections INTEGER NOT NULL DEFAULT 0  -- 0: unlimited
  CHECK (max_connections BETWEEN 0 AND 100000);
ALTER TABLE targets ADD COLUMN queue_timeout_ms INTEGER NOT NULL DEFAULT 5000
  CHECK (queue_timeout_ms BETWEEN 0 AND 600000);
)sql"},
    // The methods a route lets fall back (issue 15): canonical MethodSet text, '*' for every
    // method. Existing routes get the safe default: writes never land on the fallback.
    {6, R"sql(
ALTER TABLE routes ADD COLUMN fallback_methods TEXT NOT NULL DEFAULT 'GET,HEAD,OPTIONS'
  CHECK (fallback_methods <> '');
)sql"},
};

}  // namespace

int latest_version() {
  static_assert(std::size(kMigrations) > 0);
  return std::prev(std::end(kMigrations))->version;
}

int file_version(sqlite::Database& db) {
  return static_cast<int>(sqlite::query_int(db, "PRAGMA user_version"));
}

bool is_rule_set(sqlite::Database& db) {
  return sqlite::query_int(db, "PRAGMA application_id") == kApplicationId;
}

bool is_empty(sqlite::Database& db) {
  return sqlite::query_int(db, "SELECT count(*) FROM sqlite_schema") == 0;
}

void migrate(sqlite::Database& db, int up_to) {
  int version = file_version(db);
  for (const auto& migration : kMigrations) {
    if (migration.version <= version || migration.version > up_to) continue;
    db.exec(migration.sql);
    version = migration.version;
  }
  // PRAGMAs take no bound parameters; these numbers are constants of this file, not input.
  db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId).c_str());
  db.exec(fmt::format("PRAGMA user_version = {}", version).c_str());
}

}  // namespace strangler::schema
