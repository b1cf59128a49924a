// Upgrading a rules database written by an older build: a version-1 file (the schema before
// resilience settings and fallbacks, made here from that version's SQL) opens for writing,
// migrates in place to the current version and keeps every target, route and history row; the
// new settings read as their defaults and old history rows still undo.
#include <doctest/doctest.h>

#include "rules/rule_json.h"
#include "rules/store/schema.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

// Schema version 1 exactly as the first release wrote it (schema.cpp's first migration).
constexpr const char* kVersion1Schema = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value NOT NULL
) WITHOUT ROWID;
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
  methods       TEXT NOT NULL,
  target        TEXT NOT NULL REFERENCES targets (name),
  split_target  TEXT REFERENCES targets (name),
  split_percent INTEGER NOT NULL DEFAULT 0 CHECK (split_percent BETWEEN 0 AND 99),
  sticky_header TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  UNIQUE (pattern, exact, methods),
  CHECK ((split_target IS NULL) = (split_percent = 0))
);
CREATE INDEX routes_by_target ON routes (target);
CREATE INDEX routes_by_split_target ON routes (split_target);
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
)sql";

void add_change(sqlite::Database& db, const char* kind, const char* entity, const Json& before,
                const Json& after) {
  auto insert = db.prepare(
      "INSERT INTO changes (at, user, command, kind, entity, before_json, after_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  insert.bind(1, "2024-05-01T12:00:00Z").bind(2, "old").bind(3, "stranglerctl ...");
  insert.bind(4, kind).bind(5, entity).bind(6, before.dump()).bind(7, after.dump());
  insert.run();
  db.exec("UPDATE meta SET value = value + 1 WHERE key = 'rules_version'");
}

Json v1_target(const char* name, const char* url, int connect, int timeout) {
  return {{"name", name}, {"url", url}, {"connect_timeout_ms", connect}, {"timeout_ms", timeout}};
}

// A version-1 rule set as the first release left it: legacy and orders (whose timeout a
// `target set` changed from 15000 to 3000), a route split 20% to orders, and their history rows
// in the version-1 JSON forms (no "resilience", no "fallback").
void write_version1_file(const std::string& path) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadWriteCreate);
  db.exec(kVersion1Schema);
  db.exec("PRAGMA application_id = 1398035015");  // "STRG"
  db.exec("PRAGMA user_version = 1");
  db.exec(
      "INSERT INTO targets VALUES ('legacy', 'http://127.0.0.1:9001', 1000, 15000, 'x'), "
      "('orders', 'http://127.0.0.1:9002', 250, 3000, 'x')");
  db.exec(
      "INSERT INTO routes (pattern, exact, methods, target, split_target, split_percent, "
      "sticky_header, created_at) VALUES ('/orders', 0, 'GET,HEAD', 'legacy', 'orders', 20, "
      "'X-User', 'x')");
  add_change(db, "init", "target", nullptr,
             v1_target("legacy", "http://127.0.0.1:9001", 1000, 15000));
  add_change(db, "target add", "target", nullptr,
             v1_target("orders", "http://127.0.0.1:9002", 250, 15000));
  Json route = {{"id", 1},
                {"pattern", "/orders"},
                {"exact", false},
                {"methods", {"GET", "HEAD"}},
                {"target", "legacy"},
                {"split", nullptr}};
  add_change(db, "route add", "route", nullptr, route);
  Json split = route;
  split["split"] = {{"target", "orders"}, {"percent", 20}, {"sticky_header", "X-User"}};
  add_change(db, "route flip", "route", route, split);
  add_change(db, "target set", "target", v1_target("orders", "http://127.0.0.1:9002", 250, 15000),
             v1_target("orders", "http://127.0.0.1:9002", 250, 3000));
}

std::int64_t user_version(const std::string& path) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
  return sqlite::query_int(db, "PRAGMA user_version");
}

// Every table's and index's name and every column's name, type, NOT NULL and default.
std::string schema_shape(const std::string& path) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
  std::string shape;
  auto objects = db.prepare("SELECT type, name FROM sqlite_schema ORDER BY type, name");
  while (objects.step()) {
    shape += objects.text(0) + " " + objects.text(1) + "\n";
    if (objects.text(0) != "table") continue;
    auto columns = db.prepare(
        "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?1) ORDER BY cid");
    columns.bind(1, objects.text(1));
    while (columns.step()) {
      shape += objects.text(1) + "." + columns.text(0) + " " + columns.text(1) +
               " notnull=" + columns.text(2) + " default=" + columns.text(3) + "\n";
    }
  }
  return shape;
}

}  // namespace

TEST_CASE("an upgraded version-1 file has exactly the tables, columns and indexes of a new one") {
  TempDir dir;
  auto old_path = dir.file("v1.db");
  write_version1_file(old_path);
  CHECK(user_version(old_path) == 1);
  { RuleStore::open(old_path); }
  auto new_path = dir.file("new.db");
  { RuleStore::create(new_path, kLegacyUrl, test_ctx()); }
  CHECK(schema_shape(old_path) == schema_shape(new_path));
  CHECK(schema_shape(new_path).find("routes.fallback_none INTEGER notnull=1 default=0") !=
        std::string::npos);
}

TEST_CASE("a version-1 database is refused read-only and upgraded in place by a writer") {
  TempDir dir;
  auto path = dir.file("v1.db");
  write_version1_file(path);
  CHECK_THROWS_WITH_AS(RuleStore::open(path, /*read_only=*/true),
                       doctest::Contains("has the older schema version 1"), StoreError);
  CHECK(user_version(path) == 1);

  auto store = RuleStore::open(path);
  CHECK(user_version(path) == schema::latest_version());
  auto rules = store.load_rule_set();
  CHECK(rules.version == 5);
  REQUIRE(rules.targets.size() == 2);
  CHECK(rules.targets[1].name == "orders");
  CHECK(rules.targets[1].connect_timeout_ms == 250);
  CHECK(rules.targets[1].timeout_ms == 3000);
  CHECK(rules.targets[0].resilience == TargetResilience{});
  CHECK(rules.targets[1].resilience == TargetResilience{});
  REQUIRE(rules.routes.size() == 1);
  const Route& route = rules.routes[0];
  CHECK(route.id == 1);
  CHECK(route.methods.text() == "GET,HEAD");
  CHECK(route.split_target == "orders");
  CHECK(route.split_percent == 20);
  CHECK(route.sticky_header == "X-User");
  CHECK_FALSE(route.fallback);  // the default, not "none"
  CHECK(store.history().size() == 5);

  // Now a reader opens it, and the new settings can be used.
  CHECK(RuleStore::open(path, true).load_rule_set().targets.size() == 2);
  TargetPatch patch;
  patch.retries = 0;
  store.set_target("orders", patch, test_ctx());
  CHECK(store.targets().at(1).resilience.retries == 0);
}

TEST_CASE("history rows written before the upgrade still undo") {
  TempDir dir;
  auto path = dir.file("v1.db");
  write_version1_file(path);
  auto store = RuleStore::open(path);
  CHECK(store.undo(test_ctx()).kind == "target set");
  Target orders = store.targets().at(1);
  CHECK(orders.timeout_ms == 15000);
  CHECK(orders.resilience == TargetResilience{});
  CHECK(store.undo(test_ctx()).kind == "route flip");
  CHECK(store.routes().at(0).split_target.empty());
  CHECK_FALSE(store.routes().at(0).fallback);
  CHECK(store.undo(test_ctx()).kind == "route add");
  CHECK(store.routes().empty());
}

TEST_CASE("a second open of an upgraded file changes nothing") {
  TempDir dir;
  auto path = dir.file("v1.db");
  write_version1_file(path);
  { RuleStore::open(path); }
  std::string once = dump_database(path);
  { RuleStore::open(path); }
  CHECK(dump_database(path) == once);
}
