// RuleStore: the rule set kept in SQLite, and the only code that writes it.
//
// Every mutating call is one transaction (BEGIN IMMEDIATE, with a busy timeout): it validates,
// writes, bumps the rules version and appends one row to the change history, or it throws
// RuleError / StoreError and leaves the database exactly as it was (refusals write no history).
// Every statement uses bound parameters. The database runs in WAL mode so that the router can
// read while stranglerctl writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/promotion_gate.h"
#include "rules/rule_error.h"
#include "rules/rule_set.h"
#include "rules/rule_set_changes.h"
#include "rules/store/store_error.h"

namespace strangler {

// How long a writer waits for another writer's lock before giving up with a StoreError.
inline constexpr std::chrono::milliseconds kDefaultBusyTimeout{5000};

// Who made a change and with what command line; recorded in the history.
struct ChangeContext {
  std::string user;
  std::string command;
};

struct ChangeRecord {
  std::int64_t id = 0;
  std::string at;  // RFC 3339 UTC
  std::string user;
  std::string command;  // the command line as typed
  std::string kind;     // "init", "target add", "target set", "target rm", "route add",
                        // "route rm", "route flip", "route flip (forced)", "route shadow",
                        // "route unshadow", "diff ignore", "diff unignore", "undo"
  std::string entity;   // "target" or "route": what before/after describe (see rule_json.h)
  std::string before;   // JSON text of the affected entity before ("null" if it did not exist)
  std::string after;    // JSON text after ("null" if it was removed)
  std::optional<std::int64_t> undoes;     // for an undo: the id of the change it reverted
  std::optional<std::int64_t> undone_by;  // id of the undo that reverted this change
};

// The settings `target set` changes; nullopt leaves a setting as it is. The resilience fields
// mirror TargetResilience.
struct TargetPatch {
  std::optional<std::string> url;
  std::optional<int> connect_timeout_ms;
  std::optional<int> timeout_ms;
  std::optional<int> breaker_window;
  std::optional<int> breaker_min_calls;
  std::optional<int> breaker_failure_threshold;
  std::optional<double> breaker_failure_rate;
  std::optional<int> breaker_recovery_ms;
  std::optional<int> breaker_half_open_probes;
  std::optional<bool> count_5xx_as_failure;
  std::optional<int> max_concurrent;
  std::optional<int> retries;
  std::optional<int> backoff_ms;
  std::optional<std::string> health_path;  // "" switches the check off
  std::optional<int> health_interval_ms;
  std::optional<int> health_timeout_ms;
  std::optional<int> healthy_threshold;
  std::optional<int> unhealthy_threshold;
  std::optional<int> max_connections;
  std::optional<int> queue_timeout_ms;

  // True when no setting is given.
  bool empty() const;
};

// `target` with every setting that `patch` gives replaced (nothing is validated here).
Target apply_patch(Target target, const TargetPatch& patch);

// Picks one route by its pattern text; methods/exact narrow it down when several share it.
// methods "*" (or "ALL") selects the route for every method; exact false selects the prefix one.
struct RouteSelector {
  std::string pattern;
  std::optional<std::string> methods;
  std::optional<bool> exact;
};

struct RouteSpec {
  std::string pattern;
  bool exact = false;
  std::string methods;  // "" for every method
  std::string target;
  // nullopt or kDefaultFallback: the default; kNoFallback: none; else another target's name.
  std::optional<std::string> fallback{};
  // Methods that may fall back, "GET,HEAD" or "*" (every method); nullopt: GET,HEAD,OPTIONS.
  std::optional<std::string> fallback_methods{};
};

struct FlipSpec {
  RouteSelector route;
  std::string to;
  std::optional<int> percent;  // 1..99 for a gradual flip; nullopt completes the flip
  // Only with percent. nullopt keeps the route's (raising a share must not re-bucket every
  // user); "" means the client address.
  std::optional<std::string> sticky_header{};
  // nullopt keeps the route's fallback setting; otherwise as RouteSpec::fallback.
  std::optional<std::string> fallback{};
  // The promotion gate, judged inside the flip's transaction when `to` is not the route's target
  // and the route was shadowed to `to` (see promotion_gate.h).
  GatePolicy gate{};
  // Flip even when the gate refuses; the flip is then recorded as "route flip (forced)".
  bool force = false;
  // nullopt keeps the route's fallback methods; otherwise as RouteSpec::fallback_methods.
  std::optional<std::string> fallback_methods{};
};

// `route shadow`: mirror the selected route's sampled requests to config.target.
struct ShadowSpec {
  RouteSelector route;
  ShadowConfig config;
};

// What a change did to one target or route, for the caller's confirmation line.
struct TargetChange {
  Target before;
  Target after;
};
struct RouteChange {
  Route before;
  Route after;
};
// A flip also says what the gate found; gate.refused() means the flip was forced past it.
struct FlipChange : RouteChange {
  GateVerdict gate;
};

// flip_route's refusal by the promotion gate: the route as it is, the target asked for and the
// verdict, so that a caller can word it in its own terms. Nothing was written.
class GateRefusal : public RuleError {
 public:
  GateRefusal(Route route, std::string to, GateVerdict verdict);

  const Route& route() const { return route_; }
  const std::string& to() const { return to_; }
  const GateVerdict& verdict() const { return verdict_; }

 private:
  Route route_;
  std::string to_;
  GateVerdict verdict_;
};

class RuleStore {
 public:
  // Creates a new rule set at `path` (WAL mode) with the "legacy" target and records an "init"
  // change. RuleError for an invalid URL (nothing is created); StoreError when the file already
  // holds a rule set or is some other file.
  static RuleStore create(const std::string& path, const std::string& legacy_url,
                          const ChangeContext& ctx);
  // Opens an existing rule set; StoreError when missing, unreadable, not a rule set, corrupt or
  // written by a newer build. A writable open migrates an older schema forward; `read_only`
  // (SQLITE_OPEN_READONLY, the router) refuses an older schema instead.
  static RuleStore open(const std::string& path, bool read_only = false);

  RuleStore(RuleStore&&) noexcept;
  RuleStore& operator=(RuleStore&&) noexcept;
  ~RuleStore();

  const std::string& path() const;
  // Default kDefaultBusyTimeout; tests shorten it.
  void set_busy_timeout(std::chrono::milliseconds timeout);

  // Ordered by name.
  std::vector<Target> targets();
  void add_target(const Target& target, const ChangeContext& ctx);
  // RuleError when the patch is empty or changes nothing.
  TargetChange set_target(const std::string& name, const TargetPatch& patch,
                          const ChangeContext& ctx);
  // RuleError for "legacy" and for a target that a route uses (as target, split target or
  // fallback).
  void remove_target(const std::string& name, const ChangeContext& ctx);

  // Ordered by pattern, exact before prefix, then methods.
  std::vector<Route> routes();
  // A route's fallback must name an existing target other than the route's own target.
  Route add_route(const RouteSpec& spec, const ChangeContext& ctx);
  // Returns the removed route.
  Route remove_route(const RouteSelector& selector, const ChangeContext& ctx);
  // Without percent: the route goes wholly to `to` (any split is cleared); `to` being the current
  // target with a split in progress cancels the split. With percent: `to` receives that share
  // (replacing any split in progress) and the current target keeps the rest. A flip that would
  // change nothing is refused. spec.fallback, when given, is set as part of the flip (a flip that
  // only changes the fallback is fine); a flip that would leave the route falling back to its own
  // target is refused.
  // A full flip to the route's shadow target also ends the shadow (the history shows it).
  // The promotion gate (spec.gate) is checked last, in the same write transaction, reading the
  // comparisons through this connection: GateRefusal unless spec.force; no writer can flip past
  // the evidence as it is at the moment of the write. RuleError for an invalid policy.
  FlipChange flip_route(const FlipSpec& spec, const ChangeContext& ctx);

  // The route a selector picks; RuleError like the writes when none or several match.
  Route route(const RouteSelector& selector);
  // Shadows (or re-shadows with new settings) the route: the shadow target must exist and differ
  // from the route's target; percent 1..100; header names valid. Refused when nothing changes.
  RouteChange shadow_route(const ShadowSpec& spec, const ChangeContext& ctx);
  // RuleError when the route is not shadowed. Its ignores stay.
  RouteChange unshadow_route(const RouteSelector& selector, const ChangeContext& ctx);
  // Adds one ignore to the route (a JSON path pattern, checked by JsonPathPattern::parse, or a
  // header name); refused when the route already has it (header names compare
  // case-insensitively). Recorded as a change of the route (undoable).
  RouteChange add_ignore(const RouteSelector& selector, const DiffIgnore& ignore,
                         const ChangeContext& ctx);
  // Refused when the route has no such ignore.
  RouteChange remove_ignore(const RouteSelector& selector, const DiffIgnore& ignore,
                            const ChangeContext& ctx);

  // Newest first; limit 0 means all.
  std::vector<ChangeRecord> history(std::size_t limit = 0);
  // Reverts the newest change that is neither an undo nor already undone, records the undo,
  // and returns the reverted change. RuleError when there is nothing to undo.
  ChangeRecord undo(const ChangeContext& ctx);

  // Targets, routes and version read in one transaction, so they are consistent with each other.
  RuleSet load_rule_set();
  // What changed after `change_seq` (the RuleSet::change_seq of the set it will apply to), read
  // in one transaction: the version, all targets, and only the routes written since. nullopt
  // when the change log no longer reaches back that far; load_rule_set then.
  std::optional<RuleSetChanges> load_changes_since(std::int64_t change_seq);
  // Bumped by every rule change; cheap to poll.
  std::int64_t rules_version();

 private:
  struct Impl;
  explicit RuleStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace strangler
