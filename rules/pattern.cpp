// parse_pattern: splits a route pattern into segments and checks that each one could appear in a
// normalized request path (see path_normalizer.h), so that matching is plain byte comparison. A
// pattern the normalizer could never produce would be a route that silently never matches; it is
// refused here instead, with a message that says how to write it.
#include "rules/pattern.h"

#include <cctype>

#include <fmt/format.h>

#include "rules/path_normalizer.h"
#include "rules/rule_error.h"

namespace strangler {
namespace {

[[noreturn]] void fail(std::string_view text, std::string_view reason) {
  throw RuleError(fmt::format("invalid pattern {:?}: {}", text, reason));
}

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_lower_hex(char c) {
  return c >= 'a' && c <= 'f';
}

// Checks the escape at segment[i] ('%'), the way normalize_path would have written it.
void check_escape(std::string_view text, std::string_view segment, std::size_t i) {
  if (i + 2 >= segment.size()) {
    fail(text, "malformed percent escape (write %XX with two hex digits)");
  }
  const char a = segment[i + 1];
  const char b = segment[i + 2];
  // Only an escape that is otherwise well formed gets the upper-case advice (found by fuzzing:
  // "%\na" used to be answered with a raw newline in the message).
  const bool both_hex =
      (upper_hex_value(a) >= 0 || is_lower_hex(a)) && (upper_hex_value(b) >= 0 || is_lower_hex(b));
  if (both_hex && (is_lower_hex(a) || is_lower_hex(b))) {
    fail(text, fmt::format("percent escapes use upper-case hex: write %{}{}", char(std::toupper(a)),
                           char(std::toupper(b))));
  }
  const int high = upper_hex_value(a);
  const int low = upper_hex_value(b);
  if (high < 0 || low < 0) fail(text, "malformed percent escape (write %XX with two hex digits)");
  const auto decoded = static_cast<unsigned char>(high * 16 + low);
  if (path_alphabet::unreserved(decoded)) {
    fail(text, fmt::format("%{}{} is an unreserved character: write {:?} instead", a, b,
                           std::string(1, static_cast<char>(decoded))));
  }
  if (path_alphabet::escape_refused(decoded)) {
    fail(text, fmt::format("%{}{} can never appear in a normalized path", a, b));
  }
  // Kept in paths only when the router runs with --encoded-slash keep, so a literal would match
  // or not by the router's options; a '*' segment matches such a segment either way.
  if (path_alphabet::encoded_separator(decoded)) {
    fail(text, fmt::format("%{}{} is not allowed in a pattern: use a '*' segment", a, b));
  }
}

void check_char(std::string_view text, unsigned char c) {
  if (c == ';') fail(text, "';' is not allowed in a pattern");
  if (path_alphabet::raw_allowed(c)) return;
  if (c < 0x20 || c == 0x7F || c == ' ' || c == '\\' || c == '?' || c == '#') {
    fail(text, fmt::format("character {:?} can never appear in a normalized path",
                           std::string(1, static_cast<char>(c))));
  }
  fail(text, fmt::format("character {:?} must be written as %{:02X}",
                         std::string(1, static_cast<char>(c)), c));
}

PatternSegment parse_segment(std::string_view text, std::string_view segment) {
  if (segment.empty()) fail(text, "empty segment");
  if (segment == "*") return PatternSegment{true, {}};
  if (segment == "." || segment == "..") fail(text, "dot segments (\".\", \"..\") are not allowed");
  for (std::size_t i = 0; i < segment.size(); ++i) {
    const char c = segment[i];
    if (c == '*') fail(text, "'*' must be a whole segment");
    if (c == '%') {
      check_escape(text, segment, i);
      i += 2;
    } else {
      check_char(text, static_cast<unsigned char>(c));
    }
  }
  return PatternSegment{false, std::string(segment)};
}

}  // namespace

std::string Pattern::text() const {
  if (segments.empty()) return "/";
  std::string out;
  for (const auto& segment : segments) {
    out += '/';
    out += segment.wildcard ? std::string_view("*") : std::string_view(segment.literal);
  }
  return out;
}

int Pattern::literal_count() const {
  int count = 0;
  for (const auto& segment : segments) count += segment.wildcard ? 0 : 1;
  return count;
}

Pattern parse_pattern(std::string_view text, bool exact) {
  if (text.empty() || text.front() != '/') fail(text, "a pattern must start with '/'");
  Pattern pattern;
  pattern.exact = exact;
  if (text == "/") return pattern;
  if (text.back() == '/') {
    const auto end = text.find_last_not_of('/');
    const auto suggestion = end == std::string_view::npos ? "/" : text.substr(0, end + 1);
    fail(text, fmt::format("trailing '/': write {:?}", suggestion));
  }
  std::string_view rest = text.substr(1);
  while (true) {
    const auto slash = rest.find('/');
    pattern.segments.push_back(parse_segment(text, rest.substr(0, slash)));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return pattern;
}

}  // namespace strangler
