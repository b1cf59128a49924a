// JsonDiffer: the structural comparison of two JSON documents behind the shadow comparator
// (response_comparator.h). Key order and whitespace do not matter; numbers compare as numbers
// (1 equals 1.0; integers within 64 bits compare exactly, larger ones as doubles); arrays compare
// element by element, with one `length` difference on the array's path and then the common
// prefix. Every difference is reported by its concrete path ("$.items[0].price"). Pure; no I/O.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rules/comparison.h"

namespace strangler {

// Deeper documents are not parsed (they compare as bytes), which bounds every recursion here.
inline constexpr int kMaxJsonDepth = 256;
// Bigger bodies compare as bytes: a DOM costs about ten times the text.
inline constexpr std::size_t kMaxJsonBytes = 16u << 20;
// Values in differences are cut to about this many bytes (at a UTF-8 boundary, then "...").
inline constexpr std::size_t kMaxValueText = 200;

// The document in `text`, or nullopt when it is not JSON, nests deeper than kMaxJsonDepth or is
// bigger than kMaxJsonBytes. Never throws for any input.
std::optional<nlohmann::json> parse_json_body(std::string_view text);

// One difference found. `primary` / `shadow` point at the values there (nullptr where missing);
// they are valid only during the call. Return false to stop the walk.
using JsonDifferenceSink =
    std::function<bool(const std::string& path, DiffKind kind, const nlohmann::json* primary,
                       const nlohmann::json* shadow)>;

// Walks both documents (from parse_json_body) and reports each difference to `sink`, in key order
// within objects. Returns false when the sink stopped it.
bool diff_json(const nlohmann::json& primary, const nlohmann::json& shadow,
               const JsonDifferenceSink& sink);

// Numeric equality of two JSON numbers, exact for 64-bit integers.
bool json_numbers_equal(const nlohmann::json& a, const nlohmann::json& b);

// The Difference for a sink call: values as compact JSON cut to kMaxValueText ("" when absent);
// for `length`, the two array sizes.
Difference make_json_difference(const std::string& path, DiffKind kind,
                                const nlohmann::json* primary, const nlohmann::json* shadow);

// `text` cut to at most `limit` bytes without splitting a UTF-8 sequence, "..." appended if cut.
std::string truncate_utf8(std::string text, std::size_t limit);

}  // namespace strangler
