// The promotion gate's verdict and its wording; see promotion_gate.h.
#include "rules/promotion_gate.h"

#include <fmt/format.h>

#include <cmath>

#include "rules/rule_error.h"

namespace strangler {

void validate_gate_policy(const GatePolicy& policy) {
  if (policy.min_samples < 0) {
    throw RuleError(fmt::format("gate min_samples {} must be 0 or more", policy.min_samples));
  }
  // Written so that NaN fails too.
  if (!(policy.min_match >= 0 && policy.min_match <= 1)) {
    throw RuleError(fmt::format("gate min_match {} is out of range: give a fraction 0..1 (0.99)",
                                policy.min_match));
  }
  if (policy.window.count() <= 0) {
    throw RuleError(fmt::format("gate window {}s must be positive", policy.window.count()));
  }
}

GateVerdict evaluate_gate(const GatePolicy& policy, const GateEvidence& evidence) {
  GateVerdict verdict{GateResult::passed, evidence, policy};
  if (!evidence.shadowed) {
    verdict.result = GateResult::not_gated;
  } else if (evidence.comparisons < policy.min_samples) {
    verdict.result = GateResult::too_few_samples;
  } else if (evidence.match_rate < policy.min_match) {
    verdict.result = GateResult::low_match_rate;
  }
  return verdict;
}

std::string gate_percent_text(double fraction) {
  return fmt::format("{:g}%", std::floor(fraction * 1000 + 0.5) / 10);
}

std::string gate_window_text(std::chrono::seconds window) {
  auto seconds = window.count();
  // One day reads better as "24h", the default window as flags give it.
  if (seconds > 86400 && seconds % 86400 == 0) return fmt::format("{}d", seconds / 86400);
  if (seconds != 0 && seconds % 3600 == 0) return fmt::format("{}h", seconds / 3600);
  if (seconds != 0 && seconds % 60 == 0) return fmt::format("{}m", seconds / 60);
  return fmt::format("{}s", seconds);
}

std::string gate_refusal_text(const GateVerdict& verdict, const std::string& route,
                              const std::string& to) {
  const auto& e = verdict.evidence;
  const auto& p = verdict.policy;
  std::string window = gate_window_text(p.window);
  if (verdict.result == GateResult::too_few_samples) {
    return fmt::format(
        "promotion gate: route {} has {} comparison{} with {} in the last {}, fewer than the {} "
        "required; keep shadowing or force the flip",
        route, e.comparisons, e.comparisons == 1 ? "" : "s", to, window, p.min_samples);
  }
  if (verdict.result == GateResult::low_match_rate) {
    return fmt::format(
        "promotion gate: route {} matched {} in {} of {} comparisons in the last {}, below the {} "
        "required; fix or ignore the differences, or force the flip",
        route, to, gate_percent_text(e.match_rate), e.comparisons, window,
        gate_percent_text(p.min_match));
  }
  return {};
}

}  // namespace strangler
