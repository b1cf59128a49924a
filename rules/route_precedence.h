// Route precedence: which of two routes that both match a request wins, and which pairs of routes
// can never be told apart (and so are refused when added).
//
// Order, most specific first: an exact pattern over a prefix pattern; then more literal segments;
// then more segments; then a route limited to certain methods over one for every method. Two
// routes whose methods overlap, that rank equally and that can match the same path are ambiguous.
// Two routes of equal rank have the same segment count and exactness, so they can match the same
// path exactly when their segments unify position by position (equal literals, or a '*' on either
// side). Refusing such pairs when they are added is what makes the winner of every match unique.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rules/rule_set.h"

namespace strangler {

// Negative when a is more specific than b, positive when b is, zero when they rank equally.
int compare_specificity(const Route& a, const Route& b);

// True when some request (method, path) matches both routes and neither is more specific.
bool ambiguous(const Route& a, const Route& b);

// The one-line reason `candidate` cannot join `existing` (duplicate or ambiguous), if any. A route
// in `existing` with the candidate's own non-zero id is skipped (the candidate replaces it).
std::optional<std::string> find_conflict(const std::vector<Route>& existing,
                                         const Route& candidate);

// The rank behind compare_specificity as one number: larger is more specific, equal keys rank
// equally. Lets a matcher compare candidates with one integer comparison.
std::uint64_t specificity_key(const Route& route);

// True when some normalized path matches both patterns (methods and rank aside).
bool patterns_overlap(const Pattern& a, const Pattern& b);

// The one-line message for two ambiguous routes: "duplicate route ..." when they have the same
// pattern and exactness, "... is ambiguous with route ..." otherwise.
std::string conflict_message(const Route& existing, const Route& candidate);

}  // namespace strangler
