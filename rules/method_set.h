// MethodSet: the HTTP methods a route is limited to, as a bit set. An empty set means "every
// method", including extension methods that have no bit of their own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strangler {

class MethodSet {
 public:
  MethodSet() = default;

  // Parses "GET,HEAD" (case-insensitive, spaces allowed around commas). Throws RuleError on an
  // unknown or empty method name. An empty (or all-blank) string yields the "every method" set.
  // Known methods: GET HEAD POST PUT DELETE PATCH OPTIONS TRACE CONNECT. GET does not imply HEAD.
  static MethodSet parse(std::string_view list);
  // Like parse, for a list where "" would be a slip: "*" is every method, "" is refused.
  static MethodSet parse_explicit(std::string_view list);

  bool all() const { return bits_ == 0; }
  // True when a request with this method (as sent, case-sensitive per RFC 9110) is admitted:
  // "get" is not GET, and extension methods ("PURGE") are admitted only by the every-method set.
  bool admits(std::string_view method) const { return admits_bit(method_bit(method)); }
  // The bit of a request method (case-sensitive); 0 for a method without a bit of its own. Lets a
  // caller that tests one method against many sets look the name up once.
  static std::uint16_t method_bit(std::string_view method);
  bool admits_bit(std::uint16_t bit) const { return bits_ == 0 || (bits_ & bit) != 0; }
  // True when some method is admitted by both sets.
  bool overlaps(const MethodSet& other) const;
  // Canonical text: "GET,HEAD" in a fixed order, "" for every method.
  std::string text() const;
  // text(), with "*" for every method (parse_explicit's form).
  std::string explicit_text() const { return all() ? "*" : text(); }
  bool operator==(const MethodSet&) const = default;

 private:
  std::uint16_t bits_ = 0;
};

}  // namespace strangler
