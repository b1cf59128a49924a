// Route precedence: which of two routes that both match a request wins, and which pairs of routes
// can never be told apart (and so are refused when added).
//
// Order, most specific first: an exact pattern over a prefix pattern; then more literal segments;
// then more segments; then a route limited to certain methods over one for every method. Two
// routes whose methods overlap, that rank equally and that can match the same path are ambiguous.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rules/rule_set.h"

namespace strangler {

// Negative when a is more specific than b, positive when b is, zero when they rank equally.
int compare_specificity(const Route& a, const Route& b);

// True when some request (method, path) matches both routes and neither is more specific.
bool ambiguous(const Route& a, const Route& b);

// The one-line reason `candidate` cannot join `existing` (duplicate or ambiguous), if any.
std::optional<std::string> find_conflict(const std::vector<Route>& existing,
                                         const Route& candidate);

}  // namespace strangler
