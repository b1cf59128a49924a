// TEMPORARY (branch `store`): a minimal JsonPathPattern so that this branch builds and tests on
// its own. The real implementation (rules/json_path_pattern.cpp) comes from the differ branch;
// the coordinator drops this file on merge.
#include <fmt/format.h>

#include "rules/json_path_pattern.h"
#include "rules/rule_error.h"

namespace strangler {

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Splits a path (pattern or concrete) after "$" into steps: ".name", ".*", "[N]", "[*]",
// "[\"...\"]". Returns false when the text is not a path.
bool split_steps(std::string_view text, std::vector<std::string>& steps) {
  if (text.empty() || text[0] != '$') return false;
  std::size_t i = 1;
  while (i < text.size()) {
    std::size_t start = i;
    if (text[i] == '.') {
      ++i;
      if (i < text.size() && text[i] == '*') {
        ++i;
      } else {
        while (i < text.size() && is_name_char(text[i])) ++i;
        if (i == start + 1) return false;
      }
    } else if (text[i] == '[') {
      ++i;
      if (i < text.size() && text[i] == '"') {
        ++i;
        while (i < text.size() && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
        if (i >= text.size()) return false;
        ++i;
      } else {
        while (i < text.size() && (text[i] == '*' || (text[i] >= '0' && text[i] <= '9'))) ++i;
        if (i == start + 1) return false;
      }
      if (i >= text.size() || text[i] != ']') return false;
      ++i;
    } else {
      return false;
    }
    steps.emplace_back(text.substr(start, i - start));
  }
  return true;
}

}  // namespace

JsonPathPattern JsonPathPattern::parse(std::string_view text) {
  JsonPathPattern pattern;
  if (!split_steps(text, pattern.steps_)) {
    throw RuleError(fmt::format(
        "invalid JSON path \"{}\": write $ then .name, .*, [N], [*] or [\"key\"] steps", text));
  }
  pattern.text_ = std::string(text);
  return pattern;
}

bool JsonPathPattern::matches(std::string_view path) const {
  std::vector<std::string> steps;
  if (!split_steps(path, steps) || steps.size() < steps_.size()) return false;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const std::string& want = steps_[i];
    const std::string& got = steps[i];
    if (want == got) continue;
    if (want == ".*" && (got[0] == '.' || got.rfind("[\"", 0) == 0)) continue;
    if (want == "[*]" && got[0] == '[' && got[1] != '"') continue;
    return false;
  }
  return true;
}

std::string json_path_key_step(std::string_view key) {
  bool plain = !key.empty();
  for (char c : key) plain = plain && is_name_char(c);
  if (plain) return "." + std::string(key);
  std::string step = "[\"";
  for (char c : key) {
    if (c == '"' || c == '\\') step += '\\';
    step += c;
  }
  return step + "\"]";
}

}  // namespace strangler
