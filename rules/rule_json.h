// JSON forms of targets and routes: what the change history stores as before/after, what
// `stranglerctl ... --json` prints and what the admin API can serve, so that all three agree.
//
//   target: {"name":"orders","url":"http://127.0.0.1:9002","connect_timeout_ms":1000,
//            "timeout_ms":15000}
//   route:  {"id":3,"pattern":"/orders","exact":false,"methods":["GET","HEAD"],
//            "target":"legacy","split":{"target":"orders","percent":20,"sticky_header":"X-User"}}
//   "methods" is [] for every method; "split" is null when there is none; "sticky_header" is
//   null when the client address is hashed.
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

}  // namespace strangler
