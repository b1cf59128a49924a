// JSON forms of targets and routes: what the change history stores as before/after, what
// `stranglerctl ... --json` prints and what the admin API can serve, so that all three agree.
//
//   target: {"name":"orders","url":"http://127.0.0.1:9002","connect_timeout_ms":1000,
//            "timeout_ms":15000,
//            "resilience":{"breaker_window":20,"breaker_min_calls":5,
//                          "breaker_failure_threshold":5,"breaker_failure_rate":0.5,
//                          "breaker_recovery_ms":30000,"breaker_half_open_probes":3,
//                          "count_5xx_as_failure":true,"max_concurrent":0,"retries":1,
//                          "backoff_ms":25}}
//   route:  {"id":3,"pattern":"/orders","exact":false,"methods":["GET","HEAD"],
//            "target":"legacy","split":{"target":"orders","percent":20,"sticky_header":"X-User"},
//            "fallback":null,"fallback_methods":["GET","HEAD","OPTIONS"],
//            "shadow":{"target":"orders","percent":100,"methods":["GET","HEAD","OPTIONS"],
//                      "noise_check":false,"compare_headers":["Content-Type"]},
//            "ignores":[{"kind":"json_path","expr":"$.meta.at"},{"kind":"header","expr":"Date"}]}
//   "methods" is [] for every method; "split" is null when there is none; "sticky_header" is
//   null when the client address is hashed. "resilience" holds TargetResilience's fields under
//   their own names ("max_concurrent" 0 is unlimited). "fallback" is null for the default
//   (legacy, unless the route's target is legacy), "none" for no fallback, else a target name;
//   "fallback_methods" lists the methods that may fall back ([] for every method).
//   "shadow" is null when the route is not shadowed; "ignores" is [] when there are none.
//
//   Reading is lenient about keys that older builds did not write: a target without
//   "resilience" (or with only some of its keys) gets the defaults for what is missing, and a
//   route without "fallback" the default fallback (without "fallback_methods" GET, HEAD and
//   OPTIONS, without "shadow" no shadow, without "ignores"
//   none), so history rows written before the schema gained them still undo correctly.
#pragma once

#include <nlohmann/json.hpp>

#include "rules/rule_set.h"

namespace strangler {

// Keys keep the order they were written in, so stored and printed JSON reads naturally.
using Json = nlohmann::ordered_json;

Json target_to_json(const Target& target);
Json route_to_json(const Route& route);

// The inverses; throw RuleError when the JSON does not describe a valid entity (the pattern and
// methods are parsed again).
Target target_from_json(const Json& json);
Route route_from_json(const Json& json);

// "json_path" or "header": DiffIgnore::Kind as stored and printed; the inverse throws RuleError.
const char* diff_ignore_kind_name(DiffIgnore::Kind kind);
DiffIgnore::Kind parse_diff_ignore_kind(std::string_view name);

}  // namespace strangler
