// Single-value checks of the rule store; see rule_validation.h.
#include "rules/rule_validation.h"

#include <fmt/format.h>

#include <string>

#include "rules/rule_error.h"

namespace strangler {

namespace {

bool is_name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '-' || c == '_');
}

// RFC 9110 tchar.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The value as the user should see it in a message: printable ASCII, anything else escaped.
std::string shown(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

// The messages name the stranglerctl option, which is how people set these values.
void check_range(int value, int min, int max, std::string_view option, std::string_view note = "") {
  if (value >= min && value <= max) return;
  throw RuleError(
      fmt::format("{} {} is out of range: use {}..{}{}", option, value, min, max, note));
}

}  // namespace

void validate_target_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 63;
  for (std::size_t i = 0; ok && i < name.size(); ++i) ok = is_name_char(name[i], i == 0);
  if (!ok) {
    throw RuleError(fmt::format(
        "invalid target name \"{}\": use 1-63 lower-case letters, digits, '-' or '_', starting "
        "with a letter or digit",
        shown(name)));
  }
}

void validate_timeout_ms(int value, std::string_view what) {
  if (value < kMinTimeoutMs || value > kMaxTimeoutMs) {
    throw RuleError(fmt::format("{} {} ms is out of range: use {}..{} ms", what, value,
                                kMinTimeoutMs, kMaxTimeoutMs));
  }
}

void validate_percent(int percent) {
  if (percent < 1 || percent > 99) {
    throw RuleError(fmt::format(
        "percent {} is out of range: use 1..99, or leave --percent out to complete the flip",
        percent));
  }
}

void validate_header_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok = ok && is_tchar(c);
  if (!ok) {
    throw RuleError(fmt::format(
        "invalid header name \"{}\": use 1-64 letters, digits or !#$%&'*+-.^_`|~", shown(name)));
  }
}

void validate_resilience(const TargetResilience& r) {
  check_range(r.breaker_window, 1, 1000, "--window");
  check_range(r.breaker_min_calls, 1, 1000, "--min-calls");
  if (r.breaker_min_calls > r.breaker_window) {
    throw RuleError(fmt::format("--min-calls {} is larger than --window {}", r.breaker_min_calls,
                                r.breaker_window));
  }
  check_range(r.breaker_failure_threshold, 1, 1000, "--failure-threshold");
  if (!(r.breaker_failure_rate > 0 && r.breaker_failure_rate <= 1)) {  // also refuses NaN
    throw RuleError(fmt::format(
        "--failure-rate {} is out of range: use a fraction above 0 and at most 1 (0.5 is 50%)",
        r.breaker_failure_rate));
  }
  check_range(r.breaker_recovery_ms, 1, 3600000, "--recovery-ms");
  check_range(r.breaker_half_open_probes, 1, 100, "--half-open-probes");
  check_range(r.max_concurrent, 0, 100000, "--max-concurrent", " (0: unlimited)");
  check_range(r.retries, 0, 5, "--retries");
  check_range(r.backoff_ms, 1, 10000, "--backoff-ms");
  validate_health_path(r.health_path);
  check_range(r.health_interval_ms, 100, 3600000, "--health-interval-ms");
  check_range(r.health_timeout_ms, 1, 600000, "--health-timeout-ms");
  if (r.health_timeout_ms > r.health_interval_ms) {
    throw RuleError(fmt::format("--health-timeout-ms {} is longer than --health-interval-ms {}",
                                r.health_timeout_ms, r.health_interval_ms));
  }
  check_range(r.healthy_threshold, 1, 100, "--healthy-threshold");
  check_range(r.unhealthy_threshold, 1, 100, "--unhealthy-threshold");
  check_range(r.max_connections, 0, 100000, "--max-connections", " (0: unlimited)");
  check_range(r.queue_timeout_ms, 0, 600000, "--queue-timeout-ms", " (0: no wait)");
}

void validate_health_path(std::string_view path) {
  if (path.empty()) return;
  bool ok = path.front() == '/' && path.size() <= 1024;
  // Printable ASCII without space, '#' or '\\': sent as the request target as it is.
  for (char c : path) ok = ok && c > 0x20 && c < 0x7f && c != '#' && c != '\\';
  if (!ok) {
    throw RuleError(fmt::format(
        "invalid --health-path \"{}\": use a path starting with '/' (a query may follow), at most "
        "1024 printable characters without spaces, '#' or '\\', or \"none\" to switch the check "
        "off",
        shown(path)));
  }
}

}  // namespace strangler
