// JsonPathPattern: see json_path_pattern.h. One tokenizer splits both patterns and the differ's
// concrete paths into normalized steps (".name" / "[\"key\"]" as json_path_key_step writes them,
// "[N]" for indexes, "*" and "[*]" for wildcards), so `$["id"]` and `$.id` are the same place and
// matching is a step-by-step prefix comparison.
#include "rules/json_path_pattern.h"

#include <nlohmann/json.hpp>

#include "rules/rule_error.h"

namespace strangler {
namespace {

constexpr const char* kAnyKey = "*";
constexpr const char* kAnyIndex = "[*]";
constexpr std::size_t kMaxIndexDigits = 18;  // fits in int64 without overflow

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Splits `text` into normalized steps. On malformed text returns false and says why in `error`
// (with the 1-based character position). Wildcards are accepted only when `wildcards` is true.
class StepReader {
 public:
  StepReader(std::string_view text, bool wildcards) : text_(text), wildcards_(wildcards) {}

  bool read(std::vector<std::string>& steps, std::string& error) {
    if (text_.empty() || text_[0] != '$') return fail("a path starts with '$'", 0, error);
    pos_ = 1;
    while (pos_ < text_.size()) {
      std::string step;
      const bool ok = text_[pos_] == '.'   ? read_dot(step, error)
                      : text_[pos_] == '[' ? read_bracket(step, error)
                                           : fail("expected '.' or '['", pos_, error);
      if (!ok) return false;
      steps.push_back(std::move(step));
    }
    return true;
  }

 private:
  bool fail(const char* what, std::size_t at, std::string& error) const {
    error = std::string(what) + " at character " + std::to_string(at + 1);
    return false;
  }

  bool read_dot(std::string& step, std::string& error) {
    const std::size_t start = ++pos_;
    if (wildcards_ && pos_ < text_.size() && text_[pos_] == '*') {
      ++pos_;
      step = kAnyKey;
      return true;
    }
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    if (pos_ == start) return fail("expected a key name (letters, digits, '_', '-')", start, error);
    step = json_path_key_step(text_.substr(start, pos_ - start));
    return true;
  }

  bool read_bracket(std::string& step, std::string& error) {
    const std::size_t open = pos_++;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      if (!read_quoted_key(step, error)) return false;
    } else if (wildcards_ && pos_ < text_.size() && text_[pos_] == '*') {
      ++pos_;
      step = kAnyIndex;
    } else if (!read_index(step, error)) {
      return false;
    }
    if (pos_ >= text_.size() || text_[pos_] != ']') {
      return fail(pos_ >= text_.size() ? "unclosed '['" : "expected ']'",
                  pos_ >= text_.size() ? open : pos_, error);
    }
    ++pos_;
    return true;
  }

  bool read_index(std::string& step, std::string& error) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    const std::size_t digits = pos_ - start;
    if (digits == 0) return fail("expected an index, '*' or a quoted key after '['", start, error);
    if (digits > kMaxIndexDigits) return fail("index too large", start, error);
    if (digits > 1 && text_[start] == '0') return fail("index with a leading zero", start, error);
    step = "[" + std::string(text_.substr(start, digits)) + "]";
    return true;
  }

  // A JSON string literal: find its closing quote (skipping escapes), then let nlohmann decode it.
  bool read_quoted_key(std::string& step, std::string& error) {
    const std::size_t start = pos_++;
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= text_.size()) return fail("unterminated quoted key", start, error);
    ++pos_;
    const std::string_view literal = text_.substr(start, pos_ - start);
    auto key = nlohmann::json::parse(literal, nullptr, /*allow_exceptions=*/false);
    if (!key.is_string()) return fail("invalid JSON string in quoted key", start, error);
    step = json_path_key_step(key.get_ref<const std::string&>());
    return true;
  }

  std::string_view text_;
  bool wildcards_;
  std::size_t pos_ = 0;
};

bool step_matches(const std::string& pattern, const std::string& step) {
  if (pattern == kAnyKey) return !step.empty() && (step[0] == '.' || step.rfind("[\"", 0) == 0);
  if (pattern == kAnyIndex) return step.size() > 2 && step[0] == '[' && step[1] != '"';
  return pattern == step;
}

}  // namespace

JsonPathPattern JsonPathPattern::parse(std::string_view text) {
  JsonPathPattern pattern;
  std::string error;
  if (!StepReader(text, /*wildcards=*/true).read(pattern.steps_, error)) {
    throw RuleError("invalid JSON path \"" + std::string(text) + "\": " + error +
                    " (example: $.items[*].price)");
  }
  pattern.text_ = std::string(text);
  return pattern;
}

bool JsonPathPattern::matches(std::string_view path) const {
  std::vector<std::string> steps;
  std::string error;
  if (!StepReader(path, /*wildcards=*/false).read(steps, error)) return false;
  if (steps.size() < steps_.size()) return false;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    if (!step_matches(steps_[i], steps[i])) return false;
  }
  return true;
}

std::string json_path_key_step(std::string_view key) {
  bool plain = !key.empty();
  for (char c : key) plain = plain && is_name_char(c);
  if (plain) return "." + std::string(key);
  // Keys come from parsed JSON (valid UTF-8); replace anything else rather than throw.
  return "[" +
         nlohmann::json(std::string(key))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "]";
}

}  // namespace strangler
