// RuleError: the one exception type that rules/ throws for invalid input (a malformed pattern,
// an unknown target, an ambiguous route, ...). Its message is a single line meant for the user:
// it says what was wrong and, where it helps, what to do instead.
#pragma once

#include <stdexcept>

namespace strangler {

class RuleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace strangler
