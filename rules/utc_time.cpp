// RFC 3339 UTC timestamps; see utc_time.h.
#include "rules/utc_time.h"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

namespace strangler {

std::string utc_now_rfc3339(bool millis) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  auto text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    text += fmt::format(".{:03}", ms.count());
  }
  return text + "Z";
}

}  // namespace strangler
