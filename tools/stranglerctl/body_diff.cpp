// The line diff of `diff show`; see body_diff.h. A longest-common-subsequence table over the two
// line lists: bodies are kept truncated to a few KiB by the writer, so the table stays small.
#include "tools/stranglerctl/body_diff.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace strangler::ctl {

namespace {

// Sorted keys (nlohmann::json, not ordered_json): two bodies that differ only in key order line
// up, as the comparison treats them.
std::string pretty(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || body.empty()) return body;
  return json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<std::string> lines_of(const std::string& text, std::size_t max_lines, bool& cut) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    if (lines.size() == max_lines) {
      cut = true;
      break;
    }
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::string body_diff(const std::string& primary, const std::string& shadow,
                      std::size_t max_lines) {
  bool cut = false;
  auto a = lines_of(pretty(primary), max_lines, cut);
  auto b = lines_of(pretty(shadow), max_lines, cut);
  // common[i][j]: length of the LCS of a[i..] and b[j..].
  std::vector<std::vector<std::uint32_t>> common(a.size() + 1,
                                                 std::vector<std::uint32_t>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;) {
    for (std::size_t j = b.size(); j-- > 0;) {
      common[i][j] =
          a[i] == b[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
    }
  }
  std::string out;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out += "  " + a[i++] + "\n";
      ++j;
    } else if (i < a.size() && (j == b.size() || common[i + 1][j] >= common[i][j + 1])) {
      out += "- " + a[i++] + "\n";
    } else {
      out += "+ " + b[j++] + "\n";
    }
  }
  if (cut) out += "  (cut: only the first lines of each body are shown)\n";
  return out;
}

}  // namespace strangler::ctl
