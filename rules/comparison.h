// Comparison: one shadow comparison as the router produces it and the comparison store keeps it
// (issue 3). Plain values shared by the JSON differ (router/), the batched writer (router/) and
// the reports (rules/store/comparison_store.h, stranglerctl diff ...).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strangler {

// How one place differs between the primary's answer and the shadow's.
enum class DiffKind {
  missing,  // in the primary's answer, not in the shadow's
  extra,    // in the shadow's answer, not in the primary's
  changed,  // same type, other value (numbers compare as numbers: 1 equals 1.0)
  type,     // other JSON type (a number became a string, ...)
  length,   // arrays of different lengths; reported once, on the array's path
};

// "missing", "extra", "changed", "type", "length" (the words of reports and the JSON output).
const char* diff_kind_name(DiffKind kind);
// The inverse; false for an unknown word.
bool parse_diff_kind(std::string_view name, DiffKind& kind);

// Where: a concrete JSON path into the body ("$", "$.items[0].price", "$[\"odd key\"]"), or
// "status" for the status code, or "header:<lower-case name>" for a compared header, or "body"
// for a non-JSON body (values are then "<N> bytes: <excerpt>").
struct Difference {
  std::string path;
  DiffKind kind = DiffKind::changed;
  std::string primary;  // compact JSON text of the primary's value ("" when missing there)
  std::string shadow;   // likewise for the shadow's value
  bool noisy = false;   // the primary itself answered this place differently (noise check)

  bool operator==(const Difference&) const = default;
};

// One request's answers, as far as they were kept.
struct CapturedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;                                          // up to the capture cap
  bool body_truncated = false;  // the body was longer than the cap (then compared as bytes)
  double latency_ms = 0;
};

enum class ComparisonOutcome {
  match,         // equal after ignores and noise
  mismatch,      // some difference left (or the statuses differ)
  shadow_error,  // the shadow failed, reset or timed out; nothing compared
};
const char* outcome_name(ComparisonOutcome outcome);  // "match", "mismatch", "shadow_error"
// The inverse; false (and `outcome` unchanged) for an unknown word.
bool parse_outcome(std::string_view name, ComparisonOutcome& outcome);

struct Comparison {
  std::int64_t id = 0;  // assigned by the store
  std::string at;       // RFC 3339 UTC, when the primary answered
  std::int64_t route_id = 0;
  std::string route;  // the route's pattern text as `route list` shows it ("/orders", "=/x")
  std::string method;
  std::string target;  // normalized path plus the query as sent
  std::string primary_target;
  std::string shadow_target;
  int primary_status = 0;
  int shadow_status = 0;  // 0 for a shadow error
  double primary_ms = 0;
  double shadow_ms = 0;
  ComparisonOutcome outcome = ComparisonOutcome::match;
  std::string error;  // for shadow_error: what happened ("timeout", "connect failed", ...)
  std::vector<Difference> differences;  // every difference found, noisy ones flagged
  // Kept only for mismatches, each truncated to a few KiB by the writer.
  std::string primary_headers;  // "Name: value\n" lines
  std::string shadow_headers;
  std::string primary_body;
  std::string shadow_body;
};

// Counts that have no comparison row: copies dropped (queue full, in-flight cap, breaker open)
// and requests not mirrored (body over --shadow-max-body). The writer adds them up per route.
struct ShadowTally {
  std::int64_t route_id = 0;
  std::string route;
  std::int64_t dropped = 0;
  std::int64_t skipped = 0;
};

// Noise found by the noise check: a path where two answers of the primary differed.
struct NoisyPath {
  std::int64_t route_id = 0;
  std::string path;
};

}  // namespace strangler
