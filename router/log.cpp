// Operational log; see log.h.
#include "router/log.h"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace strangler {

std::string now_rfc3339_millis() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

void log_line(std::string_view message) {
  auto line = fmt::format("{} strangler-router: {}\n", now_rfc3339_millis(), message);
  auto written = ::write(STDERR_FILENO, line.data(), line.size());
  (void)written;  // nowhere left to report a failing stderr
}

}  // namespace strangler
