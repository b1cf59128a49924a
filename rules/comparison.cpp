// Comparison: the words that name difference kinds and outcomes in reports, the JSON output and
// the comparison store (see comparison.h).
#include "rules/comparison.h"

#include <string_view>

namespace strangler {

const char* diff_kind_name(DiffKind kind) {
  switch (kind) {
    case DiffKind::missing:
      return "missing";
    case DiffKind::extra:
      return "extra";
    case DiffKind::changed:
      return "changed";
    case DiffKind::type:
      return "type";
    case DiffKind::length:
      return "length";
  }
  return "changed";
}

bool parse_diff_kind(std::string_view name, DiffKind& kind) {
  for (DiffKind k :
       {DiffKind::missing, DiffKind::extra, DiffKind::changed, DiffKind::type, DiffKind::length}) {
    if (name == diff_kind_name(k)) {
      kind = k;
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
  return "mismatch";
}

bool parse_outcome(std::string_view name, ComparisonOutcome& outcome) {
  for (ComparisonOutcome o :
       {ComparisonOutcome::match, ComparisonOutcome::mismatch, ComparisonOutcome::shadow_error}) {
    if (name == outcome_name(o)) {
      outcome = o;
      return true;
    }
  }
  return false;
}

}  // namespace strangler
