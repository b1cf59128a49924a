// Checks of single values that the rule store applies before it writes (patterns, methods and
// URLs have their own parsers: pattern.h, method_set.h, target_url.h). Each throws RuleError
// with a one-line message that says what was wrong and what is accepted.
#pragma once

#include <string_view>

#include "rules/rule_set.h"

namespace strangler {

inline constexpr int kMinTimeoutMs = 1;
inline constexpr int kMaxTimeoutMs = 600000;

// 1 to 63 characters: lower-case letters, digits, '-' and '_', starting with a letter or digit.
void validate_target_name(std::string_view name);
// `what` names the setting in the message ("connect timeout", "timeout").
void validate_timeout_ms(int value, std::string_view what);
// A gradual flip's share: 1..99.
void validate_percent(int percent);
// An HTTP field name (RFC 9110 token), at most 64 characters.
void validate_header_name(std::string_view name);
// Every field of a target's resilience settings against the ranges in rule_set.h, and
// breaker_min_calls <= breaker_window. Messages name the stranglerctl option ("--min-calls 30 is
// larger than --window 20").
void validate_resilience(const TargetResilience& resilience);
// A health check path: "" (off) or an origin-form target ("/health", "/status?full=1").
void validate_health_path(std::string_view path);

}  // namespace strangler
