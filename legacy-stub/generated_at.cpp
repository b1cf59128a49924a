// generated_at: see generated_at.h. The last value handed out is kept in an atomic so that two
// handler threads never stamp the same microsecond.
#include "legacy-stub/generated_at.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>

#include <fmt/format.h>

namespace strangler::stub {
namespace {

std::atomic<std::int64_t> last_micros{0};

std::int64_t next_micros() {
  using namespace std::chrono;
  const std::int64_t now =
      duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  std::int64_t last = last_micros.load();
  std::int64_t next = now;
  do {
    next = now > last ? now : last + 1;
  } while (!last_micros.compare_exchange_weak(last, next));
  return next;
}

}  // namespace

std::string generated_at_now() {
  const std::int64_t micros = next_micros();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     micros % 1000000);
}

}  // namespace strangler::stub
