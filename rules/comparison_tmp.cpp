// TEMPORARY (branch `store`): diff_kind_name, parse_diff_kind and outcome_name so that this branch
// builds and tests on its own. The real ones (rules/comparison.cpp) come from the differ branch;
// the coordinator drops this file on merge.
#include "rules/comparison.h"

namespace strangler {

namespace {
constexpr const char* kKindNames[] = {"missing", "extra", "changed", "type", "length"};
}  // namespace

const char* diff_kind_name(DiffKind kind) {
  return kKindNames[static_cast<int>(kind)];
}

bool parse_diff_kind(std::string_view name, DiffKind& kind) {
  for (int i = 0; i < 5; ++i) {
    if (name == kKindNames[i]) {
      kind = static_cast<DiffKind>(i);
      return true;
    }
  }
  return false;
}

const char* outcome_name(ComparisonOutcome outcome) {
  switch (outcome) {
    case ComparisonOutcome::match:
      return "match";
    case ComparisonOutcome::mismatch:
      return "mismatch";
    case ComparisonOutcome::shadow_error:
      return "shadow_error";
  }
  return "match";
}

}  // namespace strangler
