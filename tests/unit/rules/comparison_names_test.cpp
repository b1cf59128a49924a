// The words that name difference kinds and comparison outcomes round-trip.
#include <doctest/doctest.h>

#include <string>

#include "rules/comparison.h"

using namespace strangler;

TEST_CASE("difference kinds have stable names that parse back") {
  for (DiffKind kind :
       {DiffKind::missing, DiffKind::extra, DiffKind::changed, DiffKind::type, DiffKind::length}) {
    DiffKind parsed = DiffKind::changed;
    CHECK(parse_diff_kind(diff_kind_name(kind), parsed));
    CHECK(parsed == kind);
  }
  CHECK(std::string(diff_kind_name(DiffKind::type)) == "type");
  DiffKind unchanged = DiffKind::length;
  CHECK_FALSE(parse_diff_kind("Changed", unchanged));
  CHECK_FALSE(parse_diff_kind("", unchanged));
  CHECK(unchanged == DiffKind::length);
}

TEST_CASE("outcome names") {
  CHECK(std::string(outcome_name(ComparisonOutcome::match)) == "match");
  CHECK(std::string(outcome_name(ComparisonOutcome::mismatch)) == "mismatch");
  CHECK(std::string(outcome_name(ComparisonOutcome::shadow_error)) == "shadow_error");
}
