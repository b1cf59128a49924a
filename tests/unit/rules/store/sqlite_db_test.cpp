// The SQLite RAII wrappers: binding and reading every value type, statement reuse, transactions
// that roll back unless committed, and errors that keep SQLite's result code.
#include <doctest/doctest.h>

#include "rules/store/sqlite_db.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::sqlite;
using strangler::testing::TempDir;

namespace {

Database scratch(const TempDir& dir) {
  Database db(dir.file("scratch.db"), Database::Mode::kReadWriteCreate);
  db.exec("CREATE TABLE t (i INTEGER, s TEXT)");
  return db;
}

std::int64_t count_rows(Database& db) {
  return query_int(db, "SELECT count(*) FROM t");
}

}  // namespace

TEST_CASE("statements bind and read integers, text, NULL and optionals") {
  TempDir dir;
  Database db = scratch(dir);
  auto insert = db.prepare("INSERT INTO t (i, s) VALUES (?1, ?2)");
  insert.bind(1, std::int64_t{1} << 40).bind(2, std::string_view("it's \"quoted\"; DROP TABLE t"));
  insert.run();
  insert.reset();
  insert.bind(1, nullptr).bind(2, std::optional<std::string>());
  insert.run();
  insert.reset();
  insert.bind(1, std::optional<std::int64_t>(7)).bind(2, std::string_view());
  insert.run();

  auto select = db.prepare("SELECT i, s FROM t ORDER BY rowid");
  REQUIRE(select.step());
  CHECK(select.int64(0) == (std::int64_t{1} << 40));
  CHECK(select.text(1) == "it's \"quoted\"; DROP TABLE t");
  REQUIRE(select.step());
  CHECK(select.is_null(0));
  CHECK(select.optional_int64(0) == std::nullopt);
  CHECK(select.optional_text(1) == std::nullopt);
  REQUIRE(select.step());
  CHECK(select.optional_int64(0) == 7);
  CHECK(select.optional_text(1) == std::string());  // "" stays "", not NULL
  CHECK_FALSE(select.step());
  CHECK(db.last_insert_rowid() == 3);
}

TEST_CASE("a transaction rolls back unless committed") {
  TempDir dir;
  Database db = scratch(dir);
  {
    Transaction transaction(db, Transaction::Kind::kImmediate);
    db.exec("INSERT INTO t (i) VALUES (1)");
    CHECK(db.in_transaction());
  }
  CHECK_FALSE(db.in_transaction());
  CHECK(count_rows(db) == 0);
  {
    Transaction transaction(db, Transaction::Kind::kImmediate);
    db.exec("INSERT INTO t (i) VALUES (1)");
    transaction.commit();
  }
  CHECK(count_rows(db) == 1);
}

TEST_CASE("an exception inside a transaction leaves nothing behind") {
  TempDir dir;
  Database db = scratch(dir);
  auto attempt = [&] {
    Transaction transaction(db, Transaction::Kind::kImmediate);
    db.exec("INSERT INTO t (i) VALUES (1)");
    db.exec("INSERT INTO no_such_table VALUES (1)");
    transaction.commit();
  };
  CHECK_THROWS_AS(attempt(), SqliteError);
  CHECK(count_rows(db) == 0);
}

TEST_CASE("errors keep the SQLite result code and name the file") {
  TempDir dir;
  Database db = scratch(dir);
  try {
    db.prepare("SELECT nope FROM t");
    FAIL("prepare should have thrown");
  } catch (const SqliteError& e) {
    CHECK(e.code() == SQLITE_ERROR);
    CHECK(std::string(e.what()).find("scratch.db") != std::string::npos);
    CHECK(std::string(e.what()).find("nope") != std::string::npos);
  }
  CHECK_THROWS_AS(Database(dir.file("missing.db"), Database::Mode::kReadWrite), SqliteError);
  // A SqliteError is a StoreError: callers that only know StoreError still catch it.
  CHECK_THROWS_AS(Database(dir.file("missing.db"), Database::Mode::kReadOnly), StoreError);
}

TEST_CASE("a failed step leaves the statement reusable") {
  TempDir dir;
  Database db = scratch(dir);
  db.exec("CREATE TABLE u (k INTEGER PRIMARY KEY)");
  auto insert = db.prepare("INSERT INTO u (k) VALUES (?1)");
  insert.bind(1, 1);
  insert.run();
  insert.reset();
  insert.bind(1, 1);
  try {
    insert.run();
    FAIL("duplicate key should have thrown");
  } catch (const SqliteError& e) {
    CHECK(e.code() == SQLITE_CONSTRAINT);
  }
  insert.reset();
  insert.bind(1, 2);
  insert.run();
  CHECK(query_int(db, "SELECT count(*) FROM u") == 2);
}

TEST_CASE("read-only connections cannot write") {
  TempDir dir;
  { scratch(dir); }
  Database db(dir.file("scratch.db"), Database::Mode::kReadOnly);
  try {
    db.exec("INSERT INTO t (i) VALUES (1)");
    FAIL("write should have thrown");
  } catch (const SqliteError& e) {
    CHECK(e.code() == SQLITE_READONLY);
  }
}
