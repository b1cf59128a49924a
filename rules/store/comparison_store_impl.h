// ComparisonStore's private parts, shared by comparison_store.cpp (open, writes, find, clear) and
// comparison_report.cpp (report and the gate evidence). Not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rules/store/comparison_store.h"
#include "rules/store/sqlite_db.h"

namespace strangler {

struct ComparisonStore::Impl {
  std::string path;
  sqlite::Database db;

  // Busy, locked, corrupt, full: a one-line StoreError naming the file.
  StoreError translate(const sqlite::SqliteError& error) const;

  template <typename F>
  auto guard(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const sqlite::SqliteError& error) {
      throw translate(error);
    }
  }
  // f inside BEGIN IMMEDIATE, committed; any exception rolls back.
  template <typename F>
  auto write(F&& f) -> decltype(f()) {
    return guard(
        [&] { return sqlite::in_transaction(db, sqlite::Transaction::Kind::kImmediate, f); });
  }
  // f inside one read transaction: one consistent state.
  template <typename F>
  auto read(F&& f) -> decltype(f()) {
    return guard([&] {
      sqlite::Transaction transaction(db, sqlite::Transaction::Kind::kDeferred);
      return f();
    });
  }

  // The ids of the routes a pattern text names: current routes with that pattern, and routes
  // whose comparisons or tallies were recorded under that text. Callers hold a transaction.
  std::vector<std::int64_t> route_ids_named(const std::string& text);
};

// Milliseconds since the Unix epoch of an RFC 3339 UTC time ("2026-11-27T03:40:32Z", with or
// without fractional seconds); nullopt when the text is not one.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);
std::int64_t now_unix_ms();

}  // namespace strangler
