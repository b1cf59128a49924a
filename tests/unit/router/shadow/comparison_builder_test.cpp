// ComparisonBuilder: what a finished shadow copy becomes — the request's facts, the outcome, the
// differences, excerpts only for mismatches — and how the noise check teaches it a route's noise.
#include <doctest/doctest.h>

#include <memory>

#include "router/shadow/comparison_builder.h"
#include "rules/route_table.h"

using namespace strangler;

namespace {

struct Fixture {
  std::shared_ptr<RoutingState> state = std::make_shared<RoutingState>();
  std::vector<std::int64_t> seeded;  // route ids the builder asked the store about
  std::vector<std::string> stored_noise;

  explicit Fixture(std::vector<DiffIgnore> ignores = {}) {
    RuleSet rules;
    rules.version = 3;
    rules.targets = {{"legacy", "http://127.0.0.1:1"}, {"orders", "http://127.0.0.1:2"}};
    Route route;
    route.id = 7;
    route.pattern = parse_pattern("/orders", false);
    route.target = "legacy";
    route.shadow = ShadowConfig{"orders"};
    route.ignores = std::move(ignores);
    rules.routes = {route};
    state->table = RouteTable::build(rules);
  }

  ComparisonBuilder builder() {
    return ComparisonBuilder([this](std::int64_t id) {
      seeded.push_back(id);
      return stored_noise;
    });
  }

  ShadowResult result(const std::string& primary_body, const std::string& shadow_body) {
    ShadowResult r;
    r.job.state = state;
    r.job.route = &state->table->rules().routes[0];
    r.job.primary_index = 0;
    r.job.shadow_index = 1;
    r.job.request = {"GET", "/orders/1?x=2", {}, ""};
    r.job.primary = {200, {{"Content-Type", "application/json"}}, primary_body, false, 4.5};
    r.job.at = "2026-11-27T04:00:00Z";
    r.shadow = CapturedResponse{200, {{"Content-Type", "application/json"}}, shadow_body, false, 9};
    return r;
  }
};

}  // namespace

TEST_CASE("comparison builder: a match keeps the request's facts and no excerpts") {
  Fixture f;
  auto builder = f.builder();
  auto built = builder.build(f.result(R"({"a":1})", R"({ "a" : 1.0 })"));
  const auto& c = built.comparison;
  CHECK(c.outcome == ComparisonOutcome::match);
  CHECK(c.route_id == 7);
  CHECK(c.route == "/orders");
  CHECK(c.method == "GET");
  CHECK(c.target == "/orders/1?x=2");
  CHECK(c.primary_target == "legacy");
  CHECK(c.shadow_target == "orders");
  CHECK(c.primary_status == 200);
  CHECK(c.shadow_status == 200);
  CHECK(c.primary_ms == 4.5);
  CHECK(c.shadow_ms == 9);
  CHECK(c.at == "2026-11-27T04:00:00Z");
  CHECK(c.differences.empty());
  CHECK(c.primary_body.empty());
  CHECK(f.seeded == std::vector<std::int64_t>{7});
}

TEST_CASE("comparison builder: a mismatch lists differences and keeps bounded excerpts") {
  Fixture f;
  auto builder = f.builder();
  std::string big(kStoredExcerptLimit + 100, 'x');
  auto built = builder.build(f.result(R"({"a":1,"pad":")" + big + R"("})", R"({"a":2})"));
  const auto& c = built.comparison;
  CHECK(c.outcome == ComparisonOutcome::mismatch);
  REQUIRE_FALSE(c.differences.empty());
  CHECK(c.differences[0].path == "$.a");
  CHECK(c.primary_body.size() == kStoredExcerptLimit);
  CHECK(c.shadow_body == R"({"a":2})");
  CHECK(c.primary_headers.find("Content-Type: application/json\n") != std::string::npos);
}

TEST_CASE("comparison builder: a shadow error is stored with its reason and nothing compared") {
  Fixture f;
  auto builder = f.builder();
  auto r = f.result("{}", "{}");
  r.shadow.reset();
  r.error = "timeout";
  auto built = builder.build(r);
  CHECK(built.comparison.outcome == ComparisonOutcome::shadow_error);
  CHECK(built.comparison.error == "timeout");
  CHECK(built.comparison.shadow_status == 0);
}

TEST_CASE("comparison builder: the route's ignores apply") {
  Fixture f({{DiffIgnore::Kind::json_path, "$.meta"}});
  auto builder = f.builder();
  auto built = builder.build(f.result(R"({"a":1,"meta":{"at":1}})", R"({"a":1,"meta":{"at":2}})"));
  CHECK(built.comparison.outcome == ComparisonOutcome::match);
}

TEST_CASE("comparison builder: noise found once is new once, then flags later differences") {
  Fixture f;
  auto builder = f.builder();
  auto first = f.result(R"({"a":1,"at":"t1"})", R"({"a":1,"at":"t3"})");
  first.primary_again = CapturedResponse{
      200, {{"Content-Type", "application/json"}}, R"({"a":1,"at":"t2"})", false, 1};
  auto built = builder.build(first);
  CHECK(built.new_noise == std::vector<std::string>{"$.at"});
  CHECK(built.comparison.outcome == ComparisonOutcome::match);
  REQUIRE(built.comparison.differences.size() == 1);
  CHECK(built.comparison.differences[0].noisy);

  // Known now: no second check needed, and not reported as new again.
  auto again = builder.build(f.result(R"({"a":1,"at":"t4"})", R"({"a":1,"at":"t5"})"));
  CHECK(again.new_noise.empty());
  CHECK(again.comparison.outcome == ComparisonOutcome::match);
}

TEST_CASE("comparison builder: noise stored by an earlier run is used from the start") {
  Fixture f;
  f.stored_noise = {"$.at"};
  auto builder = f.builder();
  auto built = builder.build(f.result(R"({"at":"t1"})", R"({"at":"t2"})"));
  CHECK(built.comparison.outcome == ComparisonOutcome::match);
  CHECK(built.new_noise.empty());
}
