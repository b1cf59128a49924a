// RFC 3339 UTC timestamps; see utc_time.h.
#include "rules/utc_time.h"

#include <ctime>

#include <fmt/format.h>

namespace strangler {

std::string format_rfc3339(std::chrono::system_clock::time_point time, bool millis) {
  auto secs = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  auto text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis) {
    auto since_epoch =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
    text += fmt::format(".{:03}", ((since_epoch.count() % 1000) + 1000) % 1000);
  }
  return text + "Z";
}

std::string utc_now_rfc3339(bool millis) {
  return format_rfc3339(std::chrono::system_clock::now(), millis);
}

}  // namespace strangler
