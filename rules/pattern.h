// Route patterns: "/orders", "/customers/*/orders", "/" (everything).
//
// A pattern is a list of segments; a "*" segment matches exactly one path segment, any other
// segment matches itself literally. A prefix pattern matches its own path and everything below it
// on segment boundaries ("/orders" matches "/orders" and "/orders/7", never "/ordersX"); an exact
// pattern matches only its own path. Patterns are written in normalized form (see
// path_normalizer.h) so that a pattern and a normalized request path compare byte for byte.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strangler {

struct PatternSegment {
  bool wildcard = false;
  std::string literal;  // empty when wildcard

  bool operator==(const PatternSegment&) const = default;
};

struct Pattern {
  std::vector<PatternSegment> segments;  // "/" has none
  bool exact = false;

  // Canonical text, e.g. "/customers/*/orders" (without any exact marker).
  std::string text() const;
  int literal_count() const;
  bool operator==(const Pattern&) const = default;
};

// Parses a pattern; throws RuleError with a one-line reason when it is malformed (no leading '/',
// empty segment, trailing '/', '*' inside a segment, dot segments, characters that a normalized
// path cannot contain).
Pattern parse_pattern(std::string_view text, bool exact);

}  // namespace strangler
