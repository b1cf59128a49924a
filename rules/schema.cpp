// Schema migrations of the rules database; see schema.h.
#include "rules/schema.h"

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
};

}  // namespace

int latest_version() {
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

void migrate(sqlite::Database& db) {
  int version = file_version(db);
  for (const auto& migration : kMigrations) {
    if (migration.version <= version) continue;
    db.exec(migration.sql);
    version = migration.version;
  }
  // PRAGMAs take no bound parameters; these numbers are constants of this file, not input.
  db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId).c_str());
  db.exec(fmt::format("PRAGMA user_version = {}", version).c_str());
}

}  // namespace strangler::schema
