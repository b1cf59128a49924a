// One-line operational log on stderr: "<RFC 3339 UTC> strangler-router: <message>". One write per
// line, so lines from different threads never interleave.
#pragma once

#include <string_view>

namespace strangler {

void log_line(std::string_view message);

}  // namespace strangler
