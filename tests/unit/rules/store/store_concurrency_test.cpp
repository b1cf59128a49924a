// The rule store next to other connections: a writer that finds the write lock held waits for
// the busy timeout and then gives up with one clear line and no change; a writer that gets the
// lock in time succeeds; readers (the router) are never blocked by a writer in WAL mode and only
// see committed versions.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;
using namespace std::chrono_literals;

TEST_CASE("a writer gives up after the busy timeout while another holds the write lock") {
  StoreFixture f;
  f.store.set_busy_timeout(100ms);
  sqlite::Database other(f.path, sqlite::Database::Mode::kReadWrite);
  sqlite::Transaction lock(other, sqlite::Transaction::Kind::kImmediate);

  auto started = std::chrono::steady_clock::now();
  CHECK_REFUSED_AS(f.path, f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx()),
                   "database \"" + f.path +
                       "\" is locked by another writer (waited 100 ms); nothing was changed, try "
                       "again",
                   StoreError);
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 90ms);
  CHECK(waited < 3s);
  CHECK_REFUSED_AS(f.path, f.store.undo(test_ctx()), "is locked by another writer", StoreError);

  // Reads still work while the lock is held.
  CHECK(f.store.targets().size() == 1);
  CHECK(f.store.rules_version() == 1);
}

TEST_CASE("a writer that gets the lock within the busy timeout succeeds") {
  StoreFixture f;
  f.store.set_busy_timeout(5s);
  sqlite::Database other(f.path, sqlite::Database::Mode::kReadWrite);
  auto lock = std::make_unique<sqlite::Transaction>(other, sqlite::Transaction::Kind::kImmediate);
  std::thread releaser([&] {
    std::this_thread::sleep_for(150ms);
    lock.reset();  // rolls back, releasing the write lock
  });
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  releaser.join();
  CHECK(f.store.targets().size() == 2);
  CHECK(f.store.rules_version() == 2);
}

TEST_CASE("a reader sees only committed versions and is not blocked by a writer") {
  StoreFixture f;
  auto reader = RuleStore::open(f.path, /*read_only=*/true);
  CHECK(reader.rules_version() == 1);

  sqlite::Database writer(f.path, sqlite::Database::Mode::kReadWrite);
  {
    sqlite::Transaction transaction(writer, sqlite::Transaction::Kind::kImmediate);
    auto insert = writer.prepare(
        "INSERT INTO targets (name, url, connect_timeout_ms, timeout_ms, created_at) "
        "VALUES (?1, ?2, 1000, 1000, '')");
    insert.bind(1, "orders").bind(2, "http://127.0.0.1:9002");
    insert.run();
    auto bump = writer.prepare("UPDATE meta SET value = value + 1 WHERE key = ?1");
    bump.bind(1, "rules_version");
    bump.run();
    // Uncommitted: the reader still sees version 1 with one target, without waiting.
    auto started = std::chrono::steady_clock::now();
    CHECK(reader.rules_version() == 1);
    CHECK(reader.load_rule_set().targets.size() == 1);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
    transaction.commit();
  }
  CHECK(reader.rules_version() == 2);
  auto rules = reader.load_rule_set();
  CHECK(rules.version == 2);
  CHECK(rules.targets.size() == 2);
}

TEST_CASE("every change bumps the rules version that a reader polls") {
  StoreFixture f;
  auto reader = RuleStore::open(f.path, true);
  std::int64_t version = reader.rules_version();
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  CHECK(reader.rules_version() == ++version);
  f.store.add_route({"/orders", false, "", "legacy"}, test_ctx());
  CHECK(reader.rules_version() == ++version);
  f.store.flip_route({{"/orders"}, "orders", 5}, test_ctx());
  CHECK(reader.rules_version() == ++version);
  f.store.undo(test_ctx());
  CHECK(reader.rules_version() == ++version);
  // Refusals do not.
  CHECK_THROWS_AS(f.store.add_route({"/orders", false, "", "legacy"}, test_ctx()), RuleError);
  CHECK(reader.rules_version() == version);
}
