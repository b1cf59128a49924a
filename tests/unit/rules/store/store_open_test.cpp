// Creating and opening rule sets: what init writes, WAL mode, and the one-line refusals for a
// missing file, an existing rule set, other files, a newer schema and a read-only connection.
#include <doctest/doctest.h>

#include <fstream>

#include "rules/store/schema.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;

namespace {

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::int64_t pragma(const std::string& path, const char* sql) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
  return sqlite::query_int(db, sql);
}

}  // namespace

TEST_CASE("init creates the legacy target, records the init change and starts at version 1") {
  StoreFixture f;
  auto targets = f.store.targets();
  REQUIRE(targets.size() == 1);
  CHECK(targets[0].name == "legacy");
  CHECK(targets[0].url == kLegacyUrl);
  CHECK(targets[0].connect_timeout_ms == 1000);
  CHECK(targets[0].timeout_ms == 15000);
  CHECK(f.store.routes().empty());
  CHECK(f.store.rules_version() == 1);

  auto history = f.store.history();
  REQUIRE(history.size() == 1);
  CHECK(history[0].kind == "init");
  CHECK(history[0].entity == "target");
  CHECK(history[0].user == "tester");
  CHECK(history[0].command == "init");
  CHECK(history[0].before == "null");
  CHECK(history[0].after.find("\"name\":\"legacy\"") != std::string::npos);
  CHECK(history[0].at.size() == 20);  // 2024-05-01T12:00:00Z
  CHECK(history[0].at.back() == 'Z');
}

TEST_CASE("the rules database runs in WAL mode with the current schema") {
  StoreFixture f;
  sqlite::Database db(f.path, sqlite::Database::Mode::kReadOnly);
  auto mode = db.prepare("PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.text(0) == "wal");
  CHECK(sqlite::query_int(db, "PRAGMA user_version") == schema::latest_version());
  CHECK(sqlite::query_int(db, "PRAGMA application_id") == schema::kApplicationId);
}

TEST_CASE("foreign keys are enforced on writable connections") {
  StoreFixture f;
  sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
  auto insert = db.prepare(
      "INSERT INTO routes (pattern, exact, methods, target, created_at) VALUES (?1, 0, '', ?2, "
      "'')");
  insert.bind(1, "/x").bind(2, "no-such-target");
  CHECK_THROWS_AS(insert.run(), sqlite::SqliteError);
}

TEST_CASE("init refuses a file that already holds a rule set, and leaves it alone") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  CHECK_REFUSED_AS(f.path, RuleStore::create(f.path, "http://127.0.0.1:7000", test_ctx()),
                   "\"" + f.path + "\" already holds a rule set", StoreError);
  CHECK(f.store.targets().size() == 2);
}

TEST_CASE("init with an invalid URL creates no file") {
  TempDir dir;
  auto path = dir.file("shop.db");
  for (const char* url : {"ftp://127.0.0.1:9001", "not a url", "http://host/path", ""}) {
    CAPTURE(url);
    CHECK_THROWS_AS(RuleStore::create(path, url, test_ctx()), RuleError);
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  }
}

TEST_CASE("init refuses other files and keeps them") {
  TempDir dir;
  auto text = dir.file("notes.txt");
  write_file(text, "this is not a database, just some text that is long enough to check\n");
  CHECK_THROWS_WITH_AS(RuleStore::create(text, kLegacyUrl, test_ctx()),
                       doctest::Contains("is not an SQLite database"), StoreError);
  CHECK(std::filesystem::file_size(text) > 0);

  auto other = dir.file("other.db");
  {
    sqlite::Database db(other, sqlite::Database::Mode::kReadWriteCreate);
    db.exec("CREATE TABLE mine (x)");
  }
  CHECK_REFUSED_AS(other, RuleStore::create(other, kLegacyUrl, test_ctx()),
                   "is an SQLite database but not a rule set", StoreError);
}

TEST_CASE("init accepts an empty file (as mktemp makes)") {
  TempDir dir;
  auto path = dir.file("empty.db");
  write_file(path, "");
  auto store = RuleStore::create(path, kLegacyUrl, test_ctx());
  CHECK(store.targets().size() == 1);
}

TEST_CASE("open refuses a missing file with the command that creates it") {
  TempDir dir;
  auto path = dir.file("x.db");
  for (bool read_only : {false, true}) {
    CHECK_THROWS_WITH_AS(RuleStore::open(path, read_only),
                         ("database \"" + path +
                          "\" does not exist (create it with: stranglerctl "
                          "--db " +
                          path + " init --legacy URL)")
                             .c_str(),
                         StoreError);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("open refuses files that are not rule sets, in one line") {
  TempDir dir;
  auto empty = dir.file("empty.db");
  write_file(empty, "");
  CHECK_THROWS_WITH_AS(RuleStore::open(empty), doctest::Contains("is empty, not a rule set"),
                       StoreError);

  auto text = dir.file("text.db");
  write_file(text, std::string(4096, 'x'));
  CHECK_THROWS_WITH_AS(RuleStore::open(text, true),
                       doctest::Contains("is corrupt or not an SQLite database"), StoreError);

  auto other = dir.file("other.db");
  {
    sqlite::Database db(other, sqlite::Database::Mode::kReadWriteCreate);
    db.exec("CREATE TABLE mine (x)");
  }
  CHECK_THROWS_WITH_AS(RuleStore::open(other), doctest::Contains("not a Strangler rule set"),
                       StoreError);
  CHECK_THROWS_AS(RuleStore::open(dir.path().string()), StoreError);  // a folder
}

TEST_CASE("open refuses a schema newer than this build") {
  StoreFixture f;
  {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadWrite);
    db.exec("PRAGMA user_version = 999");
  }
  CHECK_THROWS_WITH_AS(RuleStore::open(f.path), doctest::Contains("schema version 999, newer"),
                       StoreError);
  CHECK_THROWS_AS(RuleStore::open(f.path, true), StoreError);
  CHECK(pragma(f.path, "PRAGMA user_version") == 999);
}

TEST_CASE("a read-only store reads everything and refuses every write") {
  StoreFixture f;
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  auto reader = RuleStore::open(f.path, /*read_only=*/true);
  auto rules = reader.load_rule_set();
  CHECK(rules.version == 2);
  CHECK(rules.targets.size() == 1);
  CHECK(rules.routes.size() == 1);
  CHECK(reader.history().size() == 2);
  CHECK_REFUSED_AS(f.path, reader.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx()),
                   "opened read-only", StoreError);
  CHECK_REFUSED_AS(f.path, reader.undo(test_ctx()), "opened read-only", StoreError);
}

TEST_CASE("a read-only store opens a WAL database after every writer has closed") {
  TempDir dir;
  auto path = dir.file("shop.db");
  { RuleStore::create(path, kLegacyUrl, test_ctx()); }
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));  // checkpointed and removed at close
  auto reader = RuleStore::open(path, true);
  CHECK(reader.rules_version() == 1);
  CHECK(reader.load_rule_set().targets.at(0).name == "legacy");
}

TEST_CASE("a reopened store sees what an earlier connection wrote") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002", 50, 60}, test_ctx());
  auto again = RuleStore::open(f.path);
  auto targets = again.targets();
  REQUIRE(targets.size() == 2);
  CHECK(targets[1].name == "orders");
  CHECK(targets[1].connect_timeout_ms == 50);
  CHECK(targets[1].timeout_ms == 60);
  CHECK(again.rules_version() == 2);
  CHECK(again.path() == f.path);
}
