// The promotion gate as a rule of the store: RuleStore::flip_route judges the comparisons inside
// its own write transaction, so a refused flip writes nothing, a forced one is recorded as forced,
// and a writer that changes the evidence while a flip waits for the lock is seen by that flip.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "rules/store/comparison_store.h"
#include "rules/utc_time.h"
#include "tests/unit/rules/store/store_test_support.h"

using namespace strangler;
using namespace strangler::testing;
using namespace std::chrono_literals;

namespace {

// /orders goes to legacy and is shadowed to orders.
struct GateFixture : StoreFixture {
  std::int64_t route_id = 0;
  GateFixture() {
    store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
    route_id = store.add_route({"/orders", false, "", "legacy"}, test_ctx()).id;
    store.shadow_route({{"/orders"}, ShadowConfig{"orders"}}, test_ctx());
  }
  // `count` comparisons against orders, the first `mismatches` of them differing at $.total.
  void record(int count, int mismatches) {
    ComparisonStore::open(path).record_batch(orders_comparisons(route_id, count, mismatches), {},
                                             {}, {});
  }
  Route current() { return store.routes().at(0); }
};

FlipSpec to_orders(std::optional<int> percent = std::nullopt) {
  return FlipSpec{RouteSelector{"/orders"}, "orders", percent};
}

FlipSpec forced_to_orders() {
  FlipSpec spec = to_orders();
  spec.force = true;
  return spec;
}

// The refusal that flip_route throws; fails the test when it does not throw one.
GateRefusal refusal_of(RuleStore& store, const FlipSpec& spec) {
  try {
    store.flip_route(spec, test_ctx());
  } catch (const GateRefusal& refusal) {
    return refusal;
  }
  FAIL("the gate did not refuse");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a flip the gate refuses writes nothing: rules version, routes and history stay") {
  GateFixture f;
  f.record(40, 0);
  auto version = f.store.rules_version();
  auto history = f.store.history().size();
  CHECK_REFUSED_AS(f.path, f.store.flip_route(to_orders(), test_ctx()),
                   "promotion gate: route /orders has 40 comparisons with orders in the last "
                   "24h, fewer than the 100 required",
                   GateRefusal);
  CHECK_REFUSED_AS(f.path, f.store.flip_route(to_orders(30), test_ctx()),  // a share is gated too
                   "fewer than the 100 required", GateRefusal);
  CHECK(f.store.rules_version() == version);
  CHECK(f.store.history().size() == history);
  CHECK(f.current().target == "legacy");
  CHECK(f.current().split_target.empty());

  GateRefusal refusal = refusal_of(f.store, to_orders());
  CHECK(refusal.verdict().result == GateResult::too_few_samples);
  CHECK(refusal.verdict().evidence.comparisons == 40);
  CHECK(refusal.verdict().policy.min_samples == 100);
  CHECK(refusal.route().id == f.route_id);
  CHECK(refusal.route().target == "legacy");
  CHECK(refusal.to() == "orders");
}

TEST_CASE("a low match rate is refused with its numbers; the route's ignores count") {
  GateFixture f;
  f.record(100, 10);
  CHECK_REFUSED_AS(f.path, f.store.flip_route(to_orders(), test_ctx()),
                   "matched orders in 90% of 100 comparisons in the last 24h, below the 99% "
                   "required",
                   RuleError);  // a GateRefusal is a RuleError: callers that know no more still
                                // refuse
  GateRefusal refusal = refusal_of(f.store, to_orders());
  CHECK(refusal.verdict().result == GateResult::low_match_rate);
  CHECK(refusal.verdict().evidence.matches == 90);

  FlipSpec relaxed = to_orders();
  relaxed.gate.min_match = 0.9;
  auto change = f.store.flip_route(relaxed, test_ctx());
  CHECK(change.gate.result == GateResult::passed);
  CHECK_FALSE(change.gate.refused());
  CHECK(f.store.history(1).at(0).kind == "route flip");
  CHECK(f.current().target == "orders");
}

TEST_CASE("an ignore added before the flip clears the differences it covers") {
  GateFixture f;
  f.record(100, 10);
  f.store.add_ignore({"/orders"}, {DiffIgnore::Kind::json_path, "$.total"}, test_ctx());
  auto change = f.store.flip_route(to_orders(), test_ctx());
  CHECK(change.gate.result == GateResult::passed);
  CHECK(change.gate.evidence.matches == 100);
  CHECK(f.store.history(1).at(0).kind == "route flip");
}

TEST_CASE("a forced flip passes the refusing gate and is recorded as forced") {
  GateFixture f;
  f.record(5, 5);
  auto version = f.store.rules_version();
  auto change = f.store.flip_route(forced_to_orders(), test_ctx("route flip --force"));
  CHECK(change.gate.refused());
  CHECK(change.gate.result == GateResult::too_few_samples);
  CHECK(change.gate.evidence.comparisons == 5);
  CHECK(change.after.target == "orders");
  CHECK(f.current().target == "orders");
  CHECK(f.store.rules_version() == version + 1);
  auto record = f.store.history(1).at(0);
  CHECK(record.kind == "route flip (forced)");
  CHECK(record.command == "route flip --force");

  SUBCASE("force on a flip the gate allows is recorded as a plain flip") {
    f.store.undo(test_ctx());  // back on legacy, shadowed to orders again
    FlipSpec spec = forced_to_orders();
    spec.gate = GatePolicy{5, 0.0, 1h};
    CHECK(f.store.flip_route(spec, test_ctx()).gate.result == GateResult::passed);
    CHECK(f.store.history(1).at(0).kind == "route flip");
  }
}

TEST_CASE("only moving traffic onto a shadowed target is gated") {
  GateFixture f;
  f.store.add_route({"/pay", false, "", "legacy"}, test_ctx());  // never shadowed
  auto pay = f.store.flip_route({{"/pay"}, "orders"}, test_ctx());
  CHECK(pay.gate.result == GateResult::not_gated);
  CHECK(pay.after.target == "orders");

  f.store.flip_route(forced_to_orders(), test_ctx());
  // No comparison had legacy as its shadow target: flipping back is free.
  auto back = f.store.flip_route({{"/orders"}, "legacy"}, test_ctx());
  CHECK(back.gate.result == GateResult::not_gated);
  CHECK(f.store.history(1).at(0).kind == "route flip");
}

TEST_CASE("a gate policy out of range is refused before anything is read or written") {
  GateFixture f;
  FlipSpec spec = to_orders();
  spec.gate.min_samples = -1;
  CHECK_REFUSED(f.path, f.store.flip_route(spec, test_ctx()), "gate min_samples -1");
  spec = forced_to_orders();  // force does not excuse a policy that makes no sense
  spec.gate.window = 0s;
  CHECK_REFUSED(f.path, f.store.flip_route(spec, test_ctx()), "gate window 0s");
}

TEST_CASE("a writer that clears the evidence while a flip waits for the lock is seen by it") {
  GateFixture f;
  f.record(100, 0);  // enough: the flip would pass on the evidence before the clear
  f.store.set_busy_timeout(5s);
  auto version = f.store.rules_version();
  sqlite::Database clearer(f.path, sqlite::Database::Mode::kReadWrite);
  auto lock = std::make_unique<sqlite::Transaction>(clearer, sqlite::Transaction::Kind::kImmediate);
  clearer.exec("DELETE FROM comparison_differences");
  clearer.exec("DELETE FROM comparisons");
  // The flip below starts while the clear is uncommitted and must wait for the write lock. Had it
  // read the evidence before taking the lock (WAL readers see the last commit), it would have
  // seen 100 comparisons and flipped. The pause only gives a wrong order the time to show: with
  // the evidence read under the lock the verdict is the same however the threads interleave.
  std::thread committer([&] {
    std::this_thread::sleep_for(150ms);
    lock->commit();
  });
  std::optional<GateVerdict> verdict;
  try {
    f.store.flip_route(to_orders(), test_ctx());
  } catch (const GateRefusal& refusal) {
    verdict = refusal.verdict();
  }
  committer.join();
  REQUIRE(verdict);
  CHECK(verdict->result == GateResult::too_few_samples);
  CHECK(verdict->evidence.comparisons == 0);
  CHECK(f.store.rules_version() == version);
  CHECK(f.current().target == "legacy");
  CHECK(f.store.history(1).at(0).kind == "route shadow");
}
