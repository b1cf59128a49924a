// The promotion gate's verdict as a table of evidence and policy, its checks of a policy, and the
// wording of a refusal for writers without flags.
#include <doctest/doctest.h>

#include <limits>

#include "rules/promotion_gate.h"
#include "rules/rule_error.h"

using namespace strangler;
using namespace std::chrono_literals;

namespace {

GateEvidence shadowed(std::int64_t comparisons, std::int64_t matches) {
  double rate = comparisons == 0 ? 0 : static_cast<double>(matches) / comparisons;
  return {true, comparisons, matches, rate};
}

struct GateCase {
  const char* name;
  GatePolicy policy;
  GateEvidence evidence;
  GateResult expected;
};

}  // namespace

TEST_CASE("the gate passes, refuses or stays out of the way as the evidence says") {
  const GatePolicy standard;  // 100 samples, 99%
  const GatePolicy open{0, 0, 1h};
  const GateCase cases[] = {
      {"never shadowed: nothing to judge", standard, GateEvidence{}, GateResult::not_gated},
      {"never shadowed even with an open gate", open, GateEvidence{}, GateResult::not_gated},
      {"shadowed, no comparisons yet", standard, shadowed(0, 0), GateResult::too_few_samples},
      {"one short of the samples", standard, shadowed(99, 99), GateResult::too_few_samples},
      {"samples checked before the rate", standard, shadowed(10, 0), GateResult::too_few_samples},
      {"exactly the samples, every one matching", standard, shadowed(100, 100), GateResult::passed},
      {"exactly the rate", standard, shadowed(100, 99), GateResult::passed},
      {"just below the rate", standard, shadowed(100, 98), GateResult::low_match_rate},
      {"many samples, half matching", standard, shadowed(5000, 2500), GateResult::low_match_rate},
      {"an open gate passes with no comparisons", open, shadowed(0, 0), GateResult::passed},
      {"min_match 1 wants every comparison",
       {1, 1.0, 1h},
       shadowed(1000, 999),
       GateResult::low_match_rate},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    GateVerdict verdict = evaluate_gate(c.policy, c.evidence);
    CHECK(verdict.result == c.expected);
    CHECK(verdict.refused() ==
          (c.expected == GateResult::too_few_samples || c.expected == GateResult::low_match_rate));
    // The verdict carries the numbers a refusal is worded from.
    CHECK(verdict.evidence.comparisons == c.evidence.comparisons);
    CHECK(verdict.policy.min_samples == c.policy.min_samples);
  }
}

TEST_CASE("a policy out of range is refused with the setting named") {
  struct BadPolicy {
    GatePolicy policy;
    const char* named;
  };
  const BadPolicy bad[] = {
      {{-1, 0.99, 24h}, "min_samples -1"},
      {{100, -0.1, 24h}, "min_match -0.1"},
      {{100, 1.5, 24h}, "min_match 1.5"},
      {{100, std::numeric_limits<double>::quiet_NaN(), 24h}, "min_match nan"},
      {{100, 0.99, 0s}, "window 0s"},
      {{100, 0.99, -5s}, "window -5s"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.named);
    CHECK_THROWS_WITH_AS(validate_gate_policy(b.policy), doctest::Contains(b.named), RuleError);
  }
  CHECK_NOTHROW(validate_gate_policy(GatePolicy{}));
  CHECK_NOTHROW(validate_gate_policy(GatePolicy{0, 0, 1s}));
  CHECK_NOTHROW(validate_gate_policy(GatePolicy{0, 1, 1s}));
}

TEST_CASE("percentages and windows are shown as an operator would type them") {
  const std::pair<double, const char*> percents[] = {
      {0.99, "99%"}, {0.975, "97.5%"}, {0, "0%"}, {1, "100%"}, {0.33333, "33.3%"}};
  for (const auto& [fraction, text] : percents) CHECK(gate_percent_text(fraction) == text);
  const std::pair<std::chrono::seconds, const char*> windows[] = {
      {24h, "24h"}, {48h, "2d"}, {1h, "1h"}, {30min, "30m"}, {90s, "90s"}, {3600s * 25, "25h"}};
  for (const auto& [window, text] : windows) CHECK(gate_window_text(window) == text);
}

TEST_CASE("a refusal names the route, the target, the numbers and the criterion") {
  GatePolicy policy{100, 0.99, 24h};
  CHECK(gate_refusal_text(evaluate_gate(policy, shadowed(1, 1)), "/orders", "orders") ==
        "promotion gate: route /orders has 1 comparison with orders in the last 24h, fewer than "
        "the 100 required; keep shadowing or force the flip");
  CHECK(gate_refusal_text(evaluate_gate(policy, shadowed(200, 150)), "/orders", "orders") ==
        "promotion gate: route /orders matched orders in 75% of 200 comparisons in the last 24h, "
        "below the 99% required; fix or ignore the differences, or force the flip");
  CHECK(gate_refusal_text(evaluate_gate(policy, shadowed(200, 200)), "/orders", "orders").empty());
}
