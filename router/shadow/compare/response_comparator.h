// ResponseComparator: compares the primary's and the shadow's answers to one request (issue 3).
// Pure: no I/O, no clock; runs on the shadow diff thread, never on an I/O thread.
#pragma once

#include <string>
#include <vector>

#include "rules/comparison.h"
#include "rules/json_path_pattern.h"
#include "rules/rule_set.h"

namespace strangler {

// What a route's comparisons leave out.
struct CompareRules {
  std::vector<std::string> compare_headers;   // from ShadowConfig
  std::vector<JsonPathPattern> ignore_paths;  // DiffIgnore json_path entries
  std::vector<std::string> ignore_headers;    // DiffIgnore header entries
  std::vector<JsonPathPattern> noisy_paths;   // noise remembered for the route
  // Remembered noise outside the JSON body, matched exactly: "body" (a non-JSON body) and
  // "header:<lower-case name>". "status" may be here too, but a status difference always counts.
  std::vector<std::string> noisy_places;

  // Compiles a route's shadow settings and ignores (throws RuleError for a bad stored pattern).
  static CompareRules from_route(const Route& route, const std::vector<std::string>& noise);
};

struct CompareResult {
  ComparisonOutcome outcome = ComparisonOutcome::match;  // never shadow_error
  std::vector<Difference> differences;  // ignored ones left out; noisy ones kept, flagged
};

// Status, the compared headers, then bodies: JSON structurally when both parse (key order and
// whitespace do not matter, numbers as numbers, arrays element by element with one `length`
// difference), otherwise as bytes (one "body" difference with sizes and an excerpt). A truncated
// body compares as bytes. At most `max_differences` are listed (the outcome still counts all).
CompareResult compare_responses(const CapturedResponse& primary, const CapturedResponse& shadow,
                                const CompareRules& rules, std::size_t max_differences = 100);

// Noise check: the places where two answers of the primary to the same request differ (status,
// compared headers, body paths), as concrete paths to remember for the route.
std::vector<std::string> find_noise(const CapturedResponse& first, const CapturedResponse& second,
                                    const CompareRules& rules);

}  // namespace strangler
