// ByteDiff: the comparison of bodies that are not both JSON (or were truncated by the capture
// cap): equal or not, and if not, one "body" difference whose values say each body's size and
// show a short excerpt around the first byte where they differ. Pure; safe on arbitrary bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "rules/comparison.h"

namespace strangler {

// Bytes shown before the first difference, and in all.
inline constexpr std::size_t kExcerptLead = 16;
inline constexpr std::size_t kExcerptBytes = 64;

// nullopt when the bodies are byte-for-byte equal; otherwise {path "body", kind changed,
// values "<N> bytes: <excerpt>"}.
std::optional<Difference> diff_bytes(std::string_view primary, std::string_view shadow);

// `body[start, start + count)` as readable text: printable ASCII and valid UTF-8 sequences kept,
// other bytes as \xNN; "..." marks text cut off on either side.
std::string byte_excerpt(std::string_view body, std::size_t start, std::size_t count);

}  // namespace strangler
