// StoreError: failures of the rules database itself (missing file, not a rule set, locked,
// corrupt, I/O error), as opposed to RuleError, which says the requested change is invalid.
// The message is one line for the user: what went wrong with which file, and what to do.
#pragma once

#include <stdexcept>

namespace strangler {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace strangler
