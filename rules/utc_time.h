// RFC 3339 UTC timestamps, the one text form of time that Strangler stores, logs and prints.
#pragma once

#include <chrono>
#include <string>

namespace strangler {

// "2026-11-26T23:51:02Z"; with millis "2026-11-26T23:51:02.123Z".
std::string format_rfc3339(std::chrono::system_clock::time_point time, bool millis = false);
std::string utc_now_rfc3339(bool millis = false);

}  // namespace strangler
