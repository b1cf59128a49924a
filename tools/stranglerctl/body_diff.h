// body_diff: the readable diff of two response bodies that `stranglerctl diff show` prints. JSON
// bodies are pretty-printed first (keys sorted, two-space indent), so that the line diff shows
// the differing values rather than one long line; other bodies are diffed line by line as they
// are.
#pragma once

#include <string>

namespace strangler::ctl {

// Lines prefixed "  " (both), "- " (primary only) and "+ " (shadow only). Bodies of more than
// `max_lines` lines are cut there (a note says so).
std::string body_diff(const std::string& primary, const std::string& shadow,
                      std::size_t max_lines = 2000);

}  // namespace strangler::ctl
