// Route precedence: the rank of a route as one integer key, pattern overlap, and the messages for
// routes that cannot be told apart. RouteTable uses the key to pick the winner of a match and the
// same ambiguity test to refuse a rule set; RuleStore uses find_conflict to refuse a new route.
#include "rules/route_precedence.h"

#include <algorithm>

#include <fmt/format.h>

namespace strangler {
namespace {

bool segments_unify(const Pattern& a, const Pattern& b, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const auto& x = a.segments[i];
    const auto& y = b.segments[i];
    if (!x.wildcard && !y.wildcard && x.literal != y.literal) return false;
  }
  return true;
}

std::string describe(const Route& route) {
  return fmt::format("{:?} ({}, {})", route.pattern.text(),
                     route.pattern.exact ? "exact" : "prefix",
                     route.methods.all() ? "all methods" : route.methods.text());
}

// A path that both (overlapping) patterns match: each position takes the literal of either side,
// "x" where both have '*'. Only called for patterns of equal rank, hence equal segment count.
std::string example_path(const Pattern& a, const Pattern& b) {
  std::string path;
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    const auto& x = a.segments[i];
    const auto& y = i < b.segments.size() ? b.segments[i] : x;
    path += '/';
    path += !x.wildcard ? x.literal : (!y.wildcard ? y.literal : std::string("x"));
  }
  return path.empty() ? "/" : path;
}

}  // namespace

std::uint64_t specificity_key(const Route& route) {
  const auto segments = static_cast<std::uint64_t>(route.pattern.segments.size());
  const auto literals = static_cast<std::uint64_t>(route.pattern.literal_count());
  return (static_cast<std::uint64_t>(route.pattern.exact) << 62) | (literals << 32) |
         (segments << 1) | static_cast<std::uint64_t>(!route.methods.all());
}

int compare_specificity(const Route& a, const Route& b) {
  const auto ka = specificity_key(a);
  const auto kb = specificity_key(b);
  return ka > kb ? -1 : (ka < kb ? 1 : 0);
}

bool patterns_overlap(const Pattern& a, const Pattern& b) {
  const std::size_t n = a.segments.size();
  const std::size_t m = b.segments.size();
  if (a.exact && b.exact) return n == m && segments_unify(a, b, n);
  if (a.exact) return m <= n && segments_unify(a, b, m);  // b (prefix) must be at or above a
  if (b.exact) return n <= m && segments_unify(a, b, n);
  return segments_unify(a, b, std::min(n, m));
}

bool ambiguous(const Route& a, const Route& b) {
  return a.methods.overlaps(b.methods) && specificity_key(a) == specificity_key(b) &&
         patterns_overlap(a.pattern, b.pattern);
}

std::string conflict_message(const Route& existing, const Route& candidate) {
  if (existing.pattern == candidate.pattern) {
    return fmt::format(
        "duplicate route: {} overlaps the existing route {}; change or remove that route instead",
        describe(candidate), describe(existing));
  }
  return fmt::format(
      "route {} is ambiguous with route {}: both match {:?} with equal precedence; make one more "
      "specific or limit their methods so they do not overlap",
      describe(candidate), describe(existing), example_path(candidate.pattern, existing.pattern));
}

std::optional<std::string> find_conflict(const std::vector<Route>& existing,
                                         const Route& candidate) {
  for (const auto& route : existing) {
    if (candidate.id != 0 && route.id == candidate.id) continue;
    if (ambiguous(route, candidate)) return conflict_message(route, candidate);
  }
  return std::nullopt;
}

}  // namespace strangler
