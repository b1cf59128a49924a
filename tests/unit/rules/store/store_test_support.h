// Helpers for the store and stranglerctl unit tests: a temporary folder removed afterwards, a
// fresh rule set in it, and a full dump of a database file (every table, every row, every column)
// to prove that a refused command changed nothing.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "rules/comparison.h"
#include "rules/rule_error.h"
#include "rules/store/rule_store.h"
#include "rules/store/sqlite_db.h"
#include "rules/utc_time.h"

namespace strangler::testing {

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "strangler-test-XXXXXX").string();
    if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `count` comparisons of GET /orders/7 on route /orders (legacy against the shadow target
// "orders", stamped now), the first `mismatches` of them differing at $.total.
inline std::vector<Comparison> orders_comparisons(std::int64_t route_id, int count,
                                                  int mismatches) {
  std::vector<Comparison> batch;
  for (int i = 0; i < count; ++i) {
    Comparison c;
    c.at = utc_now_rfc3339(true);
    c.route_id = route_id;
    c.route = "/orders";
    c.method = "GET";
    c.target = "/orders/7";
    c.primary_target = "legacy";
    c.shadow_target = "orders";
    c.primary_status = c.shadow_status = 200;
    c.primary_ms = 5;
    c.shadow_ms = 8;
    if (i < mismatches) {
      c.outcome = ComparisonOutcome::mismatch;
      c.differences = {{"$.total", DiffKind::changed, "12.5", "\"12.50\"", false}};
      c.primary_body = R"({"id":7,"total":12.5})";
      c.shadow_body = R"({"total":"12.50","id":7})";
    }
    batch.push_back(std::move(c));
  }
  return batch;
}

inline ChangeContext test_ctx(const std::string& command = "test") {
  return ChangeContext{"tester", command};
}

inline constexpr const char* kLegacyUrl = "http://127.0.0.1:9001";

// Every row of every table, as text, in a fixed order.
inline std::string dump_database(const std::string& path) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
  std::string out = "user_version=" + std::to_string(sqlite::query_int(db, "PRAGMA user_version"));
  auto tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  while (tables.step()) {
    std::string table = tables.text(0);
    out += "\n[" + table + "]";
    // Table names come from sqlite_schema, not from input; identifiers cannot be bound.
    sqlite3_stmt* rows = nullptr;
    std::string sql = "SELECT * FROM \"" + table + "\" ORDER BY 1";
    REQUIRE(sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &rows, nullptr) == SQLITE_OK);
    while (sqlite3_step(rows) == SQLITE_ROW) {
      out += "\n";
      for (int i = 0; i < sqlite3_column_count(rows); ++i) {
        const auto* text = sqlite3_column_text(rows, i);
        out += text ? reinterpret_cast<const char*>(text) : "NULL";
        out += "|";
      }
    }
    sqlite3_finalize(rows);
  }
  return out;
}

// A fresh rule set with the legacy target, in its own temporary folder.
struct StoreFixture {
  TempDir dir;
  std::string path = dir.file("rules.db");
  RuleStore store = RuleStore::create(path, kLegacyUrl, test_ctx("init"));
};

}  // namespace strangler::testing

// Checks that `expr` throws RuleError (or StoreError) whose message contains `text`, and that the
// database file at `path` is exactly as it was: no row changed, no history written.
#define CHECK_REFUSED_AS(path, expr, text, type)                                    \
  do {                                                                              \
    const std::string dump_before_ = strangler::testing::dump_database(path);       \
    CHECK_THROWS_WITH_AS(expr, doctest::Contains(std::string(text).c_str()), type); \
    CHECK(strangler::testing::dump_database(path) == dump_before_);                 \
  } while (false)

#define CHECK_REFUSED(path, expr, text) CHECK_REFUSED_AS(path, expr, text, strangler::RuleError)
