// FailoverPolicy; see failover_policy.h.
#include "router/resilience/failover_policy.h"

namespace strangler {

namespace {

bool reached_upstream(AttemptFailure failure) {
  switch (failure) {
    case AttemptFailure::reset:
    case AttemptFailure::timeout:
    case AttemptFailure::bad_response:
      return true;
    default:
      return false;
  }
}

int status_for(AttemptFailure failure) {
  switch (failure) {
    case AttemptFailure::breaker_open:
    case AttemptFailure::bulkhead_full:
    case AttemptFailure::target_down:
    case AttemptFailure::queue_timeout:
      return 503;
    case AttemptFailure::connect_timeout:
    case AttemptFailure::timeout:
      return 504;
    default:
      return 502;
  }
}

// What X-Strangler-Fallback says: admission refusals by name, then whether the primary failed
// before or after the request reached it.
std::string_view fallback_reason(AttemptFailure failure) {
  if (failure == AttemptFailure::breaker_open || failure == AttemptFailure::bulkhead_full ||
      failure == AttemptFailure::target_down) {
    return describe(failure);
  }
  return reached_upstream(failure) ? "upstream-failed" : "connect-failed";
}

}  // namespace

std::string_view describe(AttemptFailure failure) {
  switch (failure) {
    case AttemptFailure::breaker_open:
      return "breaker-open";
    case AttemptFailure::bulkhead_full:
      return "bulkhead-full";
    case AttemptFailure::connect_refused:
      return "connect-refused";
    case AttemptFailure::connect_timeout:
      return "connect-timeout";
    case AttemptFailure::connect_failed:
      return "connect-failed";
    case AttemptFailure::reset:
      return "reset";
    case AttemptFailure::timeout:
      return "timeout";
    case AttemptFailure::bad_response:
      return "bad-response";
    case AttemptFailure::tls_unsupported:
      return "tls-unsupported";
    case AttemptFailure::target_down:
      return "target-down";
    case AttemptFailure::queue_timeout:
      return "queue-timeout";
  }
  return "unknown";
}

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE";
}

namespace {

Decision decide(const AttemptFacts& facts) {
  auto fail = Decision{NextStep::fail, describe(facts.failure), status_for(facts.failure)};
  if (facts.failure == AttemptFailure::queue_timeout) return fail;
  bool admission = facts.failure == AttemptFailure::breaker_open ||
                   facts.failure == AttemptFailure::bulkhead_full ||
                   facts.failure == AttemptFailure::target_down;
  if (!reached_upstream(facts.failure)) {
    if (facts.has_fallback) return {NextStep::fallback, fallback_reason(facts.failure), 0};
    bool retryable = !admission && facts.failure != AttemptFailure::tls_unsupported;
    if (retryable && facts.retries_left > 0) return {NextStep::retry, describe(facts.failure), 0};
    return fail;
  }
  if (!facts.idempotent || !facts.replayable) return fail;
  // A target that just took its whole timeout is not asked again: that would double the wait.
  bool slow = facts.failure == AttemptFailure::timeout;
  if (!slow && facts.retries_left > 0) return {NextStep::retry, describe(facts.failure), 0};
  if (facts.has_fallback) return {NextStep::fallback, fallback_reason(facts.failure), 0};
  return fail;
}

}  // namespace

Decision decide_after_failure(const AttemptFacts& facts) {
  if (!facts.has_fallback || facts.method_falls_back) return decide(facts);
  AttemptFacts without = facts;
  without.has_fallback = false;
  auto decision = decide(without);
  decision.held_back = decision.next == NextStep::fail;
  return decision;
}

}  // namespace strangler
