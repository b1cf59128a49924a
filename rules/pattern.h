// Route patterns: "/orders", "/customers/*/orders", "/" (everything).
//
// A pattern is a list of segments; a "*" segment matches exactly one path segment, any other
// segment matches itself literally. A prefix pattern matches its own path and everything below it
// on segment boundaries ("/orders" matches "/orders" and "/orders/7", never "/ordersX"); an exact
// pattern matches only its own path. Patterns are written in normalized form (see
// path_normalizer.h) so that a pattern and a normalized request path compare byte for byte.
//
// Request paths are split into segments after the leading '/': "/" has no segments, "/orders/7"
// has ["orders", "7"], and "/orders/" (trailing slash) has ["orders", ""]. So the prefix pattern
// "/orders" matches "/orders/" (it is at or below "/orders"), while the exact pattern "/orders"
// does not, and the exact pattern "/" matches only "/". A "*" never matches an empty segment:
// "/orders/*" matches "/orders/7" and "/orders/7/", not "/orders/".
//
// Allowed in a segment: unreserved characters, sub-delims other than ';' ("!$&'()+,=" and '*'
// only as a whole segment), ':', '@', and %XX escapes with upper-case hex of bytes that are not
// unreserved (and not '?', '#' or NUL, which a normalized path never holds, nor the encoded
// separators '/', '\', ';', which it holds only in --encoded-slash keep mode: a "*" segment
// matches a segment such as "group%2Fproject").
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
