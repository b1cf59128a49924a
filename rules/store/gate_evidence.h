// The promotion gate's evidence, read from the comparisons in the rules database: the one query
// behind every gated flip. RuleStore::flip_route calls it on its own connection inside the flip's
// write transaction, so the evidence judged is the evidence at the moment of the write.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "rules/promotion_gate.h"
#include "rules/store/sqlite_db.h"

namespace strangler {

// The comparisons of route `route_id` against shadow target `target` over the last `window`,
// recounted with the route's current ignores and noisy paths (as `diff report` counts them).
// shadowed is true when the route is shadowed to `target` now or has comparisons against it.
// The caller holds a transaction on `db`; SqliteError on failure.
GateEvidence read_gate_evidence(sqlite::Database& db, std::int64_t route_id,
                                const std::string& target, std::chrono::seconds window);

}  // namespace strangler
