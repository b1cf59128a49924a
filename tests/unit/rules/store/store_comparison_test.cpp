// ComparisonStore (issue 3): batches in one transaction that never bump the rules version,
// retention caps, reports recounted with the route's current ignores and noisy paths, latency
// percentiles, tallies, --since, find, clear, gate evidence, and a busy database as StoreError.
#include <doctest/doctest.h>

#include <chrono>

#include "rules/store/comparison_store.h"
#include "rules/store/gate_evidence.h"
#include "rules/utc_time.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;
using namespace std::chrono_literals;

namespace {

struct ComparisonFixture : StoreFixture {
  std::int64_t route_id = 0;
  ComparisonStore comparisons = [this] {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    route_id = store.add_route({"/orders", false, "", "legacy"}, test_ctx()).id;
    return ComparisonStore::open(path);
  }();

  Comparison make(std::vector<Difference> differences = {}, int shadow_status = 200) {
    Comparison c;
    c.at = utc_now_rfc3339(true);
    c.route_id = route_id;
    c.route = "/orders";
    c.method = "GET";
    c.target = "/orders/7?x=1";
    c.primary_target = "legacy";
    c.shadow_target = "orders";
    c.primary_status = 200;
    c.shadow_status = shadow_status;
    c.primary_ms = 10;
    c.shadow_ms = 20;
    c.differences = std::move(differences);
    bool differs = !c.differences.empty() || shadow_status != 200;
    c.outcome = differs ? ComparisonOutcome::mismatch : ComparisonOutcome::match;
    if (differs) c.primary_body = R"({"a":1})", c.shadow_body = R"({"a":2})";
    return c;
  }
  void record(const std::vector<Comparison>& batch, const RetentionCaps& caps = {}) {
    comparisons.record_batch(batch, {}, {}, caps);
  }
  RouteReport only_report(ReportFilter filter = {}) {
    auto reports = comparisons.report(filter);
    REQUIRE(reports.size() == 1);
    return reports[0];
  }
};

Difference changed(const std::string& path, bool noisy = false) {
  return Difference{path, DiffKind::changed, "1", "2", noisy};
}

std::int64_t count_rows(const std::string& path, const char* sql) {
  sqlite::Database db(path, sqlite::Database::Mode::kReadOnly);
  return sqlite::query_int(db, sql);
}

}  // namespace

TEST_CASE("record_batch stores comparisons with their differences and leaves the rules version") {
  ComparisonFixture f;
  auto version = f.store.rules_version();
  auto c = f.make({changed("$.total"), {"$.x", DiffKind::extra, "", "\"y\"", false}});
  f.comparisons.record_batch({c, f.make()}, {{f.route_id, "/orders", 3, 2}},
                             {{f.route_id, "$.meta.at"}}, {});
  CHECK(f.store.rules_version() == version);
  auto found = f.comparisons.find(1);
  REQUIRE(found);
  CHECK(found->id == 1);
  CHECK(found->target == "/orders/7?x=1");
  CHECK(found->outcome == ComparisonOutcome::mismatch);
  CHECK(found->differences == c.differences);
  CHECK(found->shadow_body == R"({"a":2})");
  CHECK_FALSE(f.comparisons.find(99));
  CHECK(f.comparisons.noisy_paths(f.route_id) == std::vector<std::string>{"$.meta.at"});
  auto report = f.only_report();
  CHECK(report.route == "/orders");
  CHECK(report.comparisons == 2);
  CHECK(report.matches == 1);
  CHECK(report.mismatches == 1);
  CHECK(report.match_rate == doctest::Approx(0.5));
  CHECK(report.dropped == 3);
  CHECK(report.skipped == 2);
}

TEST_CASE("retention caps keep the newest rows per route and in total") {
  ComparisonFixture f;
  auto other = f.store.add_route({"/pay", false, "", "legacy"}, test_ctx()).id;
  for (int i = 0; i < 4; ++i) {
    std::vector<Comparison> batch;
    for (int j = 0; j < 5; ++j) batch.push_back(f.make({changed("$.a")}));
    f.record(batch, {7, 12});
  }
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparisons") == 7);
  CHECK(count_rows(f.path, "SELECT min(id) FROM comparisons") == 14);  // oldest went first
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparison_differences") == 7);
  std::vector<Comparison> batch;
  for (int j = 0; j < 6; ++j) {
    auto c = f.make();
    c.route_id = other;
    c.route = "/pay";
    batch.push_back(c);
  }
  f.record(batch, {7, 12});
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparisons") == 12);
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparisons WHERE route = '/pay'") == 6);
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparisons WHERE route = '/orders'") == 6);
}

TEST_CASE("a new ignore recounts stored comparisons; status differences always count") {
  ComparisonFixture f;
  f.record({f.make({changed("$.meta.at")}),
            f.make({changed("$.items[0].price"), changed("$.items[1].price")}),
            f.make({changed("header:date")}), f.make({}, 500)});
  auto report = f.only_report();
  CHECK(report.mismatches == 4);
  CHECK(report.status_mismatches == 1);
  REQUIRE(report.top_differences.size() == 3);
  CHECK(report.top_differences[0].path == "$.items[*].price");  // counted once per comparison
  CHECK(report.top_differences[0].count == 1);
  CHECK(report.top_differences[0].example_id == 2);
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.meta"}, test_ctx());
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.items[*].price"}, test_ctx());
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::header, "Date"}, test_ctx());
  report = f.only_report();
  CHECK(report.matches == 3);
  CHECK(report.mismatches == 1);
  CHECK(report.status_mismatches == 1);
  CHECK(report.top_differences.empty());
}

TEST_CASE("noisy differences and remembered noisy paths do not count") {
  ComparisonFixture f;
  f.record({f.make({changed("$.generated_at", true)}), f.make({changed("$.meta.at")}),
            f.make({changed("$.meta.atx")})});
  auto report = f.only_report();
  CHECK(report.mismatches == 2);
  f.comparisons.record_batch({}, {}, {{f.route_id, "$.meta.at"}}, {});
  report = f.only_report();
  CHECK(report.matches == 2);  // "$.meta.atx" is not below "$.meta.at"
  CHECK(report.mismatches == 1);
  CHECK(report.noisy_paths == std::vector<std::string>{"$.generated_at", "$.meta.at"});
}

TEST_CASE("shadow errors, latency percentiles and --since") {
  ComparisonFixture f;
  std::vector<Comparison> batch;
  for (int i = 1; i <= 100; ++i) {
    auto c = f.make();
    c.primary_ms = i;
    c.shadow_ms = 2 * i;
    batch.push_back(c);
  }
  auto error = f.make();
  error.outcome = ComparisonOutcome::shadow_error;
  error.shadow_status = 0;
  error.error = "timeout";
  error.primary_ms = 50;
  batch.push_back(error);
  auto old = f.make({changed("$.a")});
  old.at = "2020-01-01T00:00:00Z";
  batch.push_back(old);
  f.record(batch);
  auto report = f.only_report();
  CHECK(report.comparisons == 101);
  CHECK(report.shadow_errors == 1);
  CHECK(report.primary_p50_ms == doctest::Approx(50));
  CHECK(report.shadow_p99_ms == doctest::Approx(198));
  report = f.only_report({std::nullopt, 1h});
  CHECK(report.comparisons == 100);
  CHECK(report.mismatches == 0);
  CHECK(report.match_rate == doctest::Approx(1.0));
}

TEST_CASE("report and clear by route; clear of all") {
  ComparisonFixture f;
  auto other = f.store.add_route({"/pay", false, "", "legacy"}, test_ctx()).id;
  auto pay = f.make();
  pay.route_id = other;
  pay.route = "/pay";
  f.record({f.make(), f.make(), pay});
  CHECK(f.comparisons.report({}).size() == 2);
  CHECK(f.only_report({"/orders"}).comparisons == 2);
  CHECK(f.comparisons.report({"/nothing"}).empty());
  CHECK(f.comparisons.clear(std::string("/orders")) == 2);
  CHECK(f.only_report().route == "/pay");
  CHECK(f.comparisons.clear(std::nullopt) == 1);
  CHECK(f.comparisons.report({}).empty());
}

TEST_CASE("gate evidence counts one shadow target in the window, after ignores") {
  ComparisonFixture f;
  auto evidence_for = [&](const std::string& target, std::chrono::seconds window = 24h) {
    sqlite::Database db(f.path, sqlite::Database::Mode::kReadOnly);
    sqlite::Transaction snapshot(db, sqlite::Transaction::Kind::kDeferred);
    return read_gate_evidence(db, f.route_id, target, window);
  };
  CHECK_FALSE(evidence_for("orders").shadowed);
  f.store.shadow_route({{"/orders"}, ShadowConfig{"orders"}}, test_ctx());
  auto evidence = evidence_for("orders");
  CHECK(evidence.shadowed);
  CHECK(evidence.comparisons == 0);
  auto elsewhere = f.make({changed("$.a")});
  elsewhere.shadow_target = "other";
  auto last_week = f.make();
  last_week.at = "2020-01-01T00:00:00Z";
  f.record({f.make(), f.make({changed("$.a")}), elsewhere, last_week});
  evidence = evidence_for("orders");
  CHECK(evidence.comparisons == 2);
  CHECK(evidence.matches == 1);
  CHECK(evidence.match_rate == doctest::Approx(0.5));
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.a"}, test_ctx());
  CHECK(evidence_for("orders").matches == 2);
  CHECK(evidence_for("other").shadowed);  // it has comparisons
}

TEST_CASE("a busy database fails the batch with StoreError and writes nothing") {
  ComparisonFixture f;
  sqlite::Database other(f.path, sqlite::Database::Mode::kReadWrite);
  other.exec("BEGIN IMMEDIATE");
  f.comparisons.set_busy_timeout(50ms);
  CHECK_THROWS_WITH_AS(f.record({f.make()}), doctest::Contains("locked"), StoreError);
  other.exec("ROLLBACK");
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparisons") == 0);
  f.record({f.make()});  // the writer's retry succeeds
  CHECK(count_rows(f.path, "SELECT count(*) FROM comparisons") == 1);
}

TEST_CASE("open refuses what is not a rule set") {
  TempDir dir;
  CHECK_THROWS_AS(ComparisonStore::open(dir.file("missing.db")), StoreError);
  { sqlite::Database db(dir.file("other.db"), sqlite::Database::Mode::kReadWriteCreate); }
  CHECK_THROWS_WITH_AS(ComparisonStore::open(dir.file("other.db")),
                       doctest::Contains("not a Strangler rule set"), StoreError);
}
