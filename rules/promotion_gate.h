// The promotion gate: whether the shadow comparisons are evidence enough to move a route's traffic
// onto the target it was shadowed to.
//
// Pure: the rule store reads the evidence inside the flip's own write transaction and calls
// evaluate_gate, so every writer gets the same verdict; stranglerctl only builds the policy from
// its flags and words a refusal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace strangler {

// What the gate asks for; the defaults are `route flip`'s.
struct GatePolicy {
  std::int64_t min_samples = 100;  // comparisons needed within the window
  double min_match = 0.99;         // fraction 0..1 of those that must match
  std::chrono::seconds window = std::chrono::hours(24);
};

// The comparisons of one route against one shadow target, over the policy's window, counted
// after the route's current ignores and noisy paths.
struct GateEvidence {
  bool shadowed = false;  // the route was ever shadowed to that target
  std::int64_t comparisons = 0;
  std::int64_t matches = 0;
  double match_rate = 0;  // matches / comparisons; 0 when there are none
};

enum class GateResult {
  not_gated,  // never shadowed to the target: nothing to judge it by
  passed,
  too_few_samples,  // fewer comparisons than min_samples
  low_match_rate,   // enough comparisons, but a match rate below min_match
};

// The verdict with the numbers behind it, so a refusal can say what failed and by how much.
struct GateVerdict {
  GateResult result = GateResult::not_gated;
  GateEvidence evidence;
  GatePolicy policy;

  bool refused() const {
    return result == GateResult::too_few_samples || result == GateResult::low_match_rate;
  }
};

// RuleError naming the first setting out of range (min_samples below 0, min_match outside 0..1,
// a window that is not positive).
void validate_gate_policy(const GatePolicy& policy);

// Samples are checked before the match rate: a rate over too few comparisons means little.
GateVerdict evaluate_gate(const GatePolicy& policy, const GateEvidence& evidence);

// "99%", "97.5%": a fraction as the gate's messages show it (one decimal, none when whole).
std::string gate_percent_text(double fraction);
// "24h", "30m", "2d", "90s": a window in its largest whole unit (days only from two days on).
std::string gate_window_text(std::chrono::seconds window);
// One line for a refused verdict of flipping route `route` (its label) to `to`, for writers that
// have no flags to name; empty when the verdict is not a refusal.
std::string gate_refusal_text(const GateVerdict& verdict, const std::string& route,
                              const std::string& to);

}  // namespace strangler
