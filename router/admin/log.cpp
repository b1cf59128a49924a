// Operational log; see log.h.
#include "router/admin/log.h"

#include <unistd.h>

#include <fmt/format.h>

#include "rules/utc_time.h"

namespace strangler {

void log_line(std::string_view message) {
  auto line = fmt::format("{} strangler-router: {}\n", utc_now_rfc3339(/*millis=*/true), message);
  auto written = ::write(STDERR_FILENO, line.data(), line.size());
  (void)written;  // nowhere left to report a failing stderr
}

}  // namespace strangler
