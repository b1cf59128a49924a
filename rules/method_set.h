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
  // unknown or empty method name. An empty string yields the "every method" set.
  static MethodSet parse(std::string_view list);

  bool all() const { return bits_ == 0; }
  // True when a request with this method (as sent, case-sensitive per RFC 9110) is admitted.
  bool admits(std::string_view method) const;
  // True when some method is admitted by both sets.
  bool overlaps(const MethodSet& other) const;
  // Canonical text: "GET,HEAD" in a fixed order, "" for every method.
  std::string text() const;
  bool operator==(const MethodSet&) const = default;

 private:
  std::uint16_t bits_ = 0;
};

}  // namespace strangler
