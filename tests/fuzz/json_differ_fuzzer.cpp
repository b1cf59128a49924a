// libFuzzer target for compare_responses (router/shadow/compare/response_comparator.h), the shadow
// JSON differ. The input is two bodies separated by the first NUL byte (no NUL: the same body
// twice), optionally followed by a second NUL and rule lines: "i<json path>" ignore a path,
// "x<name>" ignore a header, "h<name>" compare a header, "n<place>" remembered noise,
// "p<name>:<value>" / "s<name>:<value>" a header of the primary / the shadow (bad path patterns are
// skipped). Checks: nothing throws and no sanitizer report on any bytes (JSON or not, deeply nested
// or not); a body compared with itself matches with no difference (also through diff_json alone);
// the outcome does not depend on which side is the primary; the list respects its cap; a match
// lists nothing that is not noisy; every path starts with "$", "status", "header:" or "body";
// every JSON path parses back as a pattern that matches it (noise is stored and reloaded so);
// and the places the noise check finds, remembered for the route, make the same pair a match.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "router/shadow/compare/json_differ.h"
#include "router/shadow/compare/response_comparator.h"
#include "rules/json_path_pattern.h"
#include "rules/rule_error.h"

namespace {

using strangler::CapturedResponse;
using strangler::CompareResult;
using strangler::CompareRules;
using strangler::ComparisonOutcome;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

CapturedResponse json_response(std::string_view body) {
  CapturedResponse response;
  response.status = 200;
  response.headers = {{"Content-Type", "application/json"}};
  response.body = std::string(body);
  return response;
}

bool valid_path_pattern(std::string_view text) {
  try {
    strangler::JsonPathPattern::parse(text);
    return true;
  } catch (const strangler::RuleError&) {
    return false;
  }
}

void add_header(CapturedResponse& response, std::string_view line) {
  const auto colon = line.find(':');
  response.headers.emplace_back(std::string(line.substr(0, colon)),
                                colon == std::string_view::npos ? "" : line.substr(colon + 1));
}

// Applies one rule line (see the top of the file) to the route and the two responses.
void apply_rule_line(std::string_view line, strangler::Route& route,
                     std::vector<std::string>& noise, CapturedResponse& primary,
                     CapturedResponse& shadow) {
  if (line.empty()) return;
  const char kind = line[0];
  const std::string rest(line.substr(1));
  if (kind == 'i' && valid_path_pattern(rest)) {
    route.ignores.push_back({strangler::DiffIgnore::Kind::json_path, rest});
  } else if (kind == 'x') {
    route.ignores.push_back({strangler::DiffIgnore::Kind::header, rest});
  } else if (kind == 'h') {
    route.shadow->compare_headers.push_back(rest);
  } else if (kind == 'n' && (rest.empty() || rest[0] != '$' || valid_path_pattern(rest))) {
    noise.push_back(rest);
  } else if (kind == 'p') {
    add_header(primary, rest);
  } else if (kind == 's') {
    add_header(shadow, rest);
  }
}

CompareRules rules_from(std::string_view text, CapturedResponse& primary,
                        CapturedResponse& shadow) {
  strangler::Route route;
  route.shadow.emplace();
  std::vector<std::string> noise;
  while (!text.empty()) {
    const auto end = text.find('\n');
    apply_rule_line(text.substr(0, end), route, noise, primary, shadow);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return CompareRules::from_route(route, noise);
}

void check_paths(const CompareResult& result) {
  for (const auto& d : result.differences) {
    const std::string_view path = d.path;
    const bool known =
        path.starts_with("$") || path == "status" || path.starts_with("header:") || path == "body";
    require(known, "a difference path starts with $, status, header: or body");
    if (!path.starts_with("$")) continue;
    require(valid_path_pattern(path), "a JSON difference path parses as a pattern");
    require(strangler::JsonPathPattern::parse(path).matches(path), "a path matches itself");
  }
}

void check_self(const CapturedResponse& response, const CompareRules& rules) {
  auto same = strangler::compare_responses(response, response, rules, 16);
  require(same.outcome == ComparisonOutcome::match, "a body matches itself");
  require(same.differences.empty(), "a body has no difference with itself");
  if (auto doc = strangler::parse_json_body(response.body)) {
    const bool whole = strangler::diff_json(*doc, *doc, [](auto&&...) { return false; });
    require(whole, "diff_json finds no difference between a document and itself");
  }
}

void check_pair(const CapturedResponse& primary, const CapturedResponse& shadow,
                const CompareRules& rules) {
  constexpr std::size_t kCap = 16;
  auto forward = strangler::compare_responses(primary, shadow, rules, kCap);
  auto backward = strangler::compare_responses(shadow, primary, rules, kCap);
  require(forward.outcome == backward.outcome, "the outcome is symmetric");
  require(forward.differences.size() <= kCap, "at most max_differences listed");
  if (forward.outcome == ComparisonOutcome::match) {
    for (const auto& difference : forward.differences) {
      require(difference.noisy, "a match lists only noisy differences");
    }
  }
  check_paths(forward);
  check_paths(backward);
}

// find_noise's places, reloaded as the route's noise, cover every difference of the same pair
// (when the noise check saw them all: it keeps at most 100).
void check_noise(const CapturedResponse& primary, const CapturedResponse& shadow,
                 const CompareRules& rules) {
  CompareRules plain = rules;
  plain.noisy_paths.clear();
  plain.noisy_places.clear();
  if (strangler::compare_responses(primary, shadow, plain, 100).differences.size() >= 100) return;
  const auto places = strangler::find_noise(primary, shadow, rules);
  CompareRules noisy = plain;
  for (const auto& place : places) {
    if (!place.empty() && place[0] == '$') {
      noisy.noisy_paths.push_back(strangler::JsonPathPattern::parse(place));
    } else {
      noisy.noisy_places.push_back(place);
    }
  }
  const auto result = strangler::compare_responses(primary, shadow, noisy, 100);
  require(result.outcome == ComparisonOutcome::match, "found noise makes the pair a match");
}

void check_all(std::string_view input) {
  const auto split = input.find('\0');
  auto primary = json_response(input.substr(0, split));
  const std::string_view rest =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  const auto second = rest.find('\0');
  auto shadow = split == std::string_view::npos ? primary : json_response(rest.substr(0, second));
  const std::string_view rule_text =
      second == std::string_view::npos ? std::string_view() : rest.substr(second + 1);
  const CompareRules rules = rules_from(rule_text, primary, shadow);
  check_self(primary, rules);
  check_self(shadow, rules);
  check_pair(primary, shadow, rules);
  check_noise(primary, shadow, rules);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    check_all(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "property violated: the differ threw: %s\n", error.what());
    std::abort();
  }
  return 0;
}
