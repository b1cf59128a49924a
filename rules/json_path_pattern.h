// JsonPathPattern: the JSON paths of `diff ignore` ("$.meta.generated_at", "$.items[*].price",
// "$.*.id", "$.items[0]", "$[\"odd key\"]") and matching them against the concrete paths that the
// JSON differ reports (comparison.h). Pure; no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strangler {

class JsonPathPattern {
 public:
  // Throws RuleError (one line, saying what is wrong where) for text that is not a path pattern.
  // Grammar: "$" then steps: ".name" (letters, digits, '_', '-'), ".*" (any key), "[N]" (an
  // index), "[*]" (any index), "[\"json string\"]" (any key, JSON-escaped).
  static JsonPathPattern parse(std::string_view text);

  // True when `path` (a concrete path as the differ writes it) is the pattern's place or lies
  // below it: ignoring "$.meta" ignores "$.meta.generated_at" too.
  bool matches(std::string_view path) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::string> steps_;  // normalized steps; "*" key / "[*]" index wildcards
};

// The concrete-path step for an object key: ".name" when the key is a plain name, else
// "[\"...\"]" (JSON-escaped). Shared by the differ and the matcher so they agree.
std::string json_path_key_step(std::string_view key);

}  // namespace strangler
