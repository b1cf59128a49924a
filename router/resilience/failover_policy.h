// FailoverPolicy: what the router does after an upstream attempt could not produce an answer —
// try the same target again, send the request to the route's fallback, or give up with an error.
//
// Plain code over plain facts, so every rule of the issue is a unit test:
// - nothing reached the upstream (breaker open, bulkhead full, connect failed): the fallback is
//   safe for any method, and preferred over a retry, because users should not wait on a target
//   that just failed; without a fallback, a connect failure may be retried;
// - bytes reached it (reset, timeout, garbage): only an idempotent request whose body can be sent
//   again may be retried and then sent to the fallback; anything else fails. A timeout is never
//   retried on the same target (the wait would double); it may still go to the fallback.
// - the fallback is used only for a method the route lets fall back (GET, HEAD, OPTIONS unless the
//   route says otherwise): a write sent to the fallback would land in the wrong database. Another
//   method is treated as if there were no fallback, and a failure says it was held back.
// - a queue timeout (the target's --max-connections all busy) is answered 503 at once: neither
//   retried nor sent to the fallback, as nginx and HAProxy queue rather than spill over.
// The retry budget is the caller's: it asks again with no retries left when the budget says no.
#pragma once

#include <string_view>

namespace strangler {

enum class AttemptFailure {
  breaker_open,
  bulkhead_full,
  connect_refused,
  connect_timeout,
  connect_failed,
  reset,
  timeout,
  bad_response,
  tls_unsupported,
  target_down,    // the active health checks found the target down: refused like breaker_open
  queue_timeout,  // no connection came free within --queue-timeout-ms: 503, never elsewhere
};

struct AttemptFacts {
  AttemptFailure failure;
  bool idempotent = false;        // GET, HEAD, OPTIONS, PUT, DELETE
  bool replayable = false;        // no request body was consumed from the client
  int retries_left = 0;           // on this target
  bool has_fallback = false;      // a fallback target exists and is not the one that failed
  bool method_falls_back = true;  // the route lets this request's method go to the fallback
};

enum class NextStep { retry, fallback, fail };

struct Decision {
  NextStep next;
  std::string_view reason;  // X-Strangler-Fallback value, or the error's reason
  int status = 0;           // for fail: 502, 503 or 504
  // For fail: a fallback exists but this method may not use it (the caller adds that to the
  // reason: "breaker-open; POST does not fall back").
  bool held_back = false;
};

Decision decide_after_failure(const AttemptFacts& facts);

// True for the methods RFC 9110 calls idempotent and that the issue lets fall back after a
// failed attempt.
bool is_idempotent(std::string_view method);

// The reason string of a failure as the client sees it in the JSON error body.
std::string_view describe(AttemptFailure failure);

}  // namespace strangler
