// ByteDiff: see byte_diff.h. The excerpt escapes what would garble a terminal or a report
// (control bytes, invalid UTF-8) but keeps readable text, including non-ASCII letters.
#include "router/shadow/compare/byte_diff.h"

#include <algorithm>

namespace strangler {
namespace {

// The length of the valid UTF-8 sequence of 2..4 bytes starting at `i`, or 0.
std::size_t utf8_sequence_at(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  const std::size_t length = lead >= 0xF0 && lead <= 0xF4   ? 4
                             : lead >= 0xE0 && lead <= 0xEF ? 3
                             : lead >= 0xC2 && lead <= 0xDF ? 2
                                                            : 0;
  if (length == 0 || i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  return length;
}

void append_escaped(std::string& out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

}  // namespace

std::string byte_excerpt(std::string_view body, std::size_t start, std::size_t count) {
  start = std::min(start, body.size());
  const std::size_t end = std::min(body.size(), start + count);
  std::string out = start > 0 ? "..." : "";
  for (std::size_t i = start; i < end;) {
    const auto c = static_cast<unsigned char>(body[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
    } else if (std::size_t n = utf8_sequence_at(body, i); n > 0 && i + n <= end) {
      out.append(body.substr(i, n));
      i += n;
    } else {
      append_escaped(out, c);
      ++i;
    }
  }
  if (end < body.size()) out += "...";
  return out;
}

std::optional<Difference> diff_bytes(std::string_view primary, std::string_view shadow) {
  if (primary == shadow) return std::nullopt;
  const auto first = std::mismatch(primary.begin(), primary.end(), shadow.begin(), shadow.end());
  const auto at = static_cast<std::size_t>(first.first - primary.begin());
  const std::size_t start = at > kExcerptLead ? at - kExcerptLead : 0;
  Difference d;
  d.path = "body";
  d.kind = DiffKind::changed;
  d.primary =
      std::to_string(primary.size()) + " bytes: " + byte_excerpt(primary, start, kExcerptBytes);
  d.shadow =
      std::to_string(shadow.size()) + " bytes: " + byte_excerpt(shadow, start, kExcerptBytes);
  return d;
}

}  // namespace strangler
