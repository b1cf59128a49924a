// libFuzzer target for parse_pattern (rules/pattern.h). The first input byte picks exact or
// prefix; the rest is the pattern text. Malformed text must fail with RuleError only (any other
// exception escapes and libFuzzer reports it). An accepted pattern must round-trip: its canonical
// text parses to the same pattern, and that text is already a normalized path (patterns and
// normalized request paths compare byte for byte).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "rules/path_normalizer.h"
#include "rules/pattern.h"
#include "rules/rule_error.h"

namespace {

void require(bool condition, const char* what, std::string_view text) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s: \"%.*s\"\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool exact = (data[0] & 1) != 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  strangler::Pattern pattern;
  try {
    pattern = strangler::parse_pattern(text, exact);
  } catch (const strangler::RuleError& error) {
    std::string_view message(error.what());
    require(!message.empty() && message.find('\n') == std::string_view::npos,
            "a refusal has a one-line reason", text);
    return 0;
  }
  require(pattern.exact == exact, "exactness kept", text);
  auto canonical = pattern.text();
  require(strangler::parse_pattern(canonical, exact) == pattern, "text() round-trips", canonical);
  auto normalized = strangler::normalize_path(canonical);
  require(normalized.ok && normalized.path == canonical, "canonical text is a normalized path",
          canonical);
  int literals = 0;
  for (const auto& segment : pattern.segments) literals += segment.wildcard ? 0 : 1;
  require(pattern.literal_count() == literals, "literal_count counts literal segments", canonical);
  return 0;
}
