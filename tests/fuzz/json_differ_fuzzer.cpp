// libFuzzer target for compare_responses (router/response_comparator.h), the shadow JSON differ.
// The input is two bodies separated by the first NUL byte (no NUL: the same body twice). Checks:
// no crash or sanitizer report on any bytes (JSON or not, deeply nested or not); a body compared
// with itself matches with no difference; the outcome does not depend on which side is the
// primary; the list of differences respects its cap, and a match lists nothing that is not noisy.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "router/response_comparator.h"

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

strangler::CapturedResponse json_response(std::string_view body) {
  strangler::CapturedResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/json"}};
  response.body = std::string(body);
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto split = input.find('\0');
  auto primary = json_response(input.substr(0, split));
  auto shadow = split == std::string_view::npos ? primary : json_response(input.substr(split + 1));
  const strangler::CompareRules rules;
  constexpr std::size_t kCap = 16;

  auto same = strangler::compare_responses(primary, primary, rules, kCap);
  require(same.outcome == strangler::ComparisonOutcome::match, "a body matches itself");
  require(same.differences.empty(), "a body has no difference with itself");

  auto forward = strangler::compare_responses(primary, shadow, rules, kCap);
  auto backward = strangler::compare_responses(shadow, primary, rules, kCap);
  require(forward.outcome == backward.outcome, "the outcome is symmetric");
  require(forward.differences.size() <= kCap, "at most max_differences listed");
  if (forward.outcome == strangler::ComparisonOutcome::match) {
    for (const auto& difference : forward.differences) {
      require(difference.noisy, "a match lists only noisy differences");
    }
  }
  return 0;
}
