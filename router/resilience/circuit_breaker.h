// CircuitBreaker: the per-target state machine that stops client traffic from hammering an
// upstream that is failing, and lets a few probe requests find out when it has recovered.
//
// One instance per target, shared by every I/O thread (a small mutex guards it; the common case,
// a closed breaker whose window holds no failure, is served lock-free, see clean_). The proxy asks
// try_acquire(now) before contacting the target: a rejected ticket means "do not call it" (fall
// back or answer 503); an admitted ticket is handed back with the outcome via on_result. Tickets
// carry the generation they were issued in, so the result of a call admitted before a transition
// or a reset never moves the current state. Time is always an argument: no clock, no I/O, so
// every transition is a unit test without sleeping. Calls that cause a transition return it, so
// the caller can log one line and count it outside the lock.
//
//   closed --(failures among the last `window` calls)--> open --(recovery elapsed)--> half_open
//   half_open --(all probes succeed)--> closed;  half_open --(any probe fails/times out)--> open
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strangler {

enum class BreakerState { closed, open, half_open };

// "closed" | "open" | "half_open", as shown by /admin/breakers and the metrics labels.
const char* to_string(BreakerState state);

struct BreakerSettings {
  int window = 20;            // calls remembered while closed (ring of outcomes)
  int min_calls = 5;          // never open before this many calls are in the window
  int failure_threshold = 5;  // consecutive failures that open (<= 0: disabled)
  double failure_rate = 0.5;  // failures / calls in the window that open (> 1: disabled)
  std::chrono::milliseconds recovery{30000};       // open -> half_open after this long
  int half_open_probes = 3;                        // requests admitted while half_open
  std::chrono::milliseconds probe_timeout{15000};  // an unreported probe counts as failed
};

// What try_acquire hands out. Only admitted tickets need a result; a result for a ticket from
// an earlier generation (another state, or before a reset) is ignored.
struct BreakerTicket {
  bool admitted = false;
  std::uint64_t generation = 0;
  bool probe = false;   // admitted while half_open
  int probe_slot = -1;  // which half-open probe this is (internal bookkeeping)
};

struct BreakerTransition {
  BreakerState from;
  BreakerState to;
};

struct BreakerAdmission {
  BreakerTicket ticket;
  std::optional<BreakerTransition> transition;  // caused by this call, for the caller to log
};

struct BreakerSnapshot {
  using TimePoint = std::chrono::steady_clock::time_point;
  BreakerState state = BreakerState::closed;
  TimePoint since;  // time of the last transition (or of construction)
  int window_calls = 0;
  int window_failures = 0;
  int consecutive_failures = 0;
  std::string last_failure_reason;  // empty when no failure was ever recorded
  std::optional<TimePoint> last_failure_at;
  std::uint64_t transitions = 0;
  std::optional<BreakerTransition> transition;  // caused by this call (a probe timed out)
};

class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Settings out of range are clamped to the nearest sane value (window, min_calls and probes
  // at least 1), so a bad row in the rules DB cannot make a breaker that never admits.
  CircuitBreaker(BreakerSettings settings, TimePoint now);

  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // May the caller contact the target now? Closed: yes. Open: no, until `recovery` has passed,
  // then the breaker turns half_open and this call is the first probe. Half-open: yes for the
  // first `half_open_probes` callers, no for the rest. At most one transition per call.
  BreakerAdmission try_acquire(TimePoint now);

  // The outcome of an admitted call. `reason` is a short label for failures ("timeout",
  // "connect-refused", "status 503"). Stale or non-admitted tickets change nothing.
  std::optional<BreakerTransition> on_result(const BreakerTicket& ticket, bool success,
                                             TimePoint now, std::string_view reason = {});

  // Back to closed with the window cleared; outstanding tickets become stale (admin reset).
  std::optional<BreakerTransition> reset(TimePoint now);

  // The current view; also expires timed-out half-open probes, reporting that transition.
  BreakerSnapshot snapshot(TimePoint now);

  const BreakerSettings& settings() const { return settings_; }

 private:
  std::optional<BreakerTransition> on_result_locked(const BreakerTicket& ticket, bool success,
                                                    TimePoint now, std::string_view reason);
  void record_closed_outcome(bool success);
  bool should_open() const;
  void clear_window();
  bool probe_expired(TimePoint now) const;
  BreakerTransition move_to(BreakerState to, TimePoint now);
  void note_failure(std::string_view reason, TimePoint now);
  void publish_clean();

  const BreakerSettings settings_;
  std::mutex mutex_;
  BreakerState state_ = BreakerState::closed;
  TimePoint since_;
  std::uint64_t generation_ = 0;
  std::uint64_t transitions_ = 0;

  // Closed: the last `window` outcomes (true = failure) as a ring.
  std::vector<bool> ring_;
  int ring_next_ = 0;
  int window_calls_ = 0;
  int window_failures_ = 0;
  int consecutive_failures_ = 0;

  // Half-open: the admission time of each probe still out, and how many succeeded.
  std::vector<std::optional<TimePoint>> probes_out_;
  int probes_admitted_ = 0;
  int probes_succeeded_ = 0;

  std::string last_failure_reason_;
  std::optional<TimePoint> last_failure_at_;

  // generation_ + 1 while the breaker is closed with a full window and no failure in it, else 0
  // (written under mutex_). Then admitting is a ticket of that generation and a success changes
  // nothing (the ring holds only successes, so which slot it overwrites does not matter): both
  // need only this load, so I/O threads do not serialize on the mutex in the healthy case.
  alignas(64) std::atomic<std::uint64_t> clean_{0};
};

}  // namespace strangler
