// The rules database schema and its migrations.
//
// The file's PRAGMA application_id marks it as a Strangler rule set; PRAGMA user_version is the
// number of migrations applied. A migration is append-only: later issues (shadow settings,
// fallbacks, breaker options, diff tables) add entries to the list in schema.cpp, never edit old
// ones. Opening a file migrates it forward; a file newer than this build is refused.
#pragma once

#include <cstdint>

#include "rules/store/sqlite_db.h"

namespace strangler::schema {

// "STRG": marks a file as a Strangler rule set (PRAGMA application_id).
inline constexpr std::int32_t kApplicationId = 0x53545247;

// The schema version this build writes and understands.
int latest_version();

// The file's schema version (PRAGMA user_version).
int file_version(sqlite::Database& db);
// True when the file carries Strangler's application id.
bool is_rule_set(sqlite::Database& db);
// True when the file holds no tables at all (a new or zero-length file).
bool is_empty(sqlite::Database& db);

// Applies every migration newer than the file's version and stamps the application id. The
// caller holds a write transaction (BEGIN IMMEDIATE), so a failed migration leaves nothing.
// `up_to` stops at an older version (tests build files as older builds wrote them).
void migrate(sqlite::Database& db, int up_to = 1 << 30);

}  // namespace strangler::schema
