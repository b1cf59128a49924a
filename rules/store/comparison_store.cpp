// ComparisonStore: opening the rules database for comparisons, the writer's batches with their
// retention caps, and find/clear/noisy_paths. Reports and gate evidence are in
// comparison_report.cpp. Nothing here touches meta.rules_version.
#include "rules/store/comparison_store.h"

#include <fmt/format.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "rules/pattern.h"
#include "rules/rule_error.h"
#include "rules/store/comparison_store_impl.h"
#include "rules/store/schema.h"
#include "rules/utc_time.h"

namespace strangler {

namespace {

// The first schema version with the comparison tables.
constexpr int kComparisonSchema = 3;
constexpr std::chrono::milliseconds kDefaultWriterBusyTimeout{5000};
// Drop/skip tallies older than this are deleted with each batch: a report can look back 30 days.
constexpr std::int64_t kTallyKeepMinutes = 30 * 24 * 60;

// The statements a batch runs per comparison, prepared once per batch: parsing them for every row
// cost more than inserting it.
struct ComparisonInserts {
  explicit ComparisonInserts(sqlite::Database& db)
      : comparison(db.prepare(
            "INSERT INTO comparisons (at, at_ms, route_id, route, method, request_target, "
            "primary_target, shadow_target, primary_status, shadow_status, primary_ms, shadow_ms, "
            "outcome, error, primary_headers, shadow_headers, primary_body, shadow_body) VALUES "
            "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)")),
        difference(db.prepare(
            "INSERT INTO comparison_differences (comparison_id, seq, path, kind, primary_value, "
            "shadow_value, noisy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")) {}
  sqlite::Statement comparison;
  sqlite::Statement difference;
};

void insert_comparison(sqlite::Database& db, ComparisonInserts& inserts, const Comparison& c) {
  auto& insert = inserts.comparison;
  insert.reset();
  std::string at = c.at.empty() ? utc_now_rfc3339(true) : c.at;
  insert.bind(1, at).bind(2, parse_rfc3339_ms(at).value_or(now_unix_ms())).bind(3, c.route_id);
  insert.bind(4, c.route).bind(5, c.method).bind(6, c.target).bind(7, c.primary_target);
  insert.bind(8, c.shadow_target).bind(9, c.primary_status).bind(10, c.shadow_status);
  insert.bind(11, c.primary_ms).bind(12, c.shadow_ms).bind(13, outcome_name(c.outcome));
  insert.bind(14, c.error).bind(15, c.primary_headers).bind(16, c.shadow_headers);
  insert.bind(17, c.primary_body).bind(18, c.shadow_body);
  insert.run();
  std::int64_t id = db.last_insert_rowid();
  auto& difference = inserts.difference;
  for (std::size_t i = 0; i < c.differences.size(); ++i) {
    const Difference& d = c.differences[i];
    difference.reset();
    difference.bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, d.path);
    difference.bind(4, diff_kind_name(d.kind)).bind(5, d.primary).bind(6, d.shadow);
    difference.bind(7, d.noisy);
    difference.run();
  }
}

sqlite::Statement prepare_tally_upsert(sqlite::Database& db) {
  return db.prepare(
      "INSERT INTO shadow_tallies (route_id, route, minute, dropped, skipped) "
      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (route_id, minute) DO UPDATE SET "
      "dropped = dropped + excluded.dropped, skipped = skipped + excluded.skipped, "
      "route = excluded.route");
}

void add_tally(sqlite::Statement& upsert, const ShadowTally& tally, std::int64_t minute) {
  if (tally.dropped == 0 && tally.skipped == 0) return;
  upsert.reset();
  upsert.bind(1, tally.route_id).bind(2, tally.route).bind(3, minute);
  upsert.bind(4, tally.dropped).bind(5, tally.skipped);
  upsert.run();
}

// Deletes the oldest comparisons (by id, i.e. by arrival) beyond the caps; their differences go
// with them (ON DELETE CASCADE).
void apply_caps(sqlite::Database& db, const std::set<std::int64_t>& routes,
                const RetentionCaps& caps) {
  auto per_route = db.prepare(
      "DELETE FROM comparisons WHERE route_id = ?1 AND id <= (SELECT id FROM comparisons "
      "WHERE route_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
  for (std::int64_t route_id : routes) {
    per_route.reset();
    per_route.bind(1, route_id).bind(2, std::max<std::int64_t>(caps.per_route, 0));
    per_route.run();
  }
  auto total = db.prepare(
      "DELETE FROM comparisons WHERE id <= (SELECT id FROM comparisons ORDER BY id DESC LIMIT 1 "
      "OFFSET ?1)");
  total.bind(1, std::max<std::int64_t>(caps.total, 0));
  total.run();
}

Comparison comparison_from_row(const sqlite::Statement& row) {
  Comparison c;
  c.id = row.int64(0);
  c.at = row.text(1);
  c.route_id = row.int64(2);
  c.route = row.text(3);
  c.method = row.text(4);
  c.target = row.text(5);
  c.primary_target = row.text(6);
  c.shadow_target = row.text(7);
  c.primary_status = row.int32(8);
  c.shadow_status = row.int32(9);
  c.primary_ms = row.real(10);
  c.shadow_ms = row.real(11);
  parse_outcome(row.text(12), c.outcome);
  c.error = row.text(13);
  c.primary_headers = row.text(14);
  c.shadow_headers = row.text(15);
  c.primary_body = row.text(16);
  c.shadow_body = row.text(17);
  return c;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) {
  std::string copy(text);
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  std::size_t i = static_cast<std::size_t>(consumed);
  if (i < copy.size() && copy[i] == '.') {
    std::int64_t scale = 100;
    for (++i; i < copy.size() && copy[i] >= '0' && copy[i] <= '9'; ++i, scale /= 10) {
      ms += (copy[i] - '0') * scale;
    }
  }
  if (i >= copy.size() || copy[i] != 'Z') return std::nullopt;
  return ms;
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StoreError ComparisonStore::Impl::translate(const sqlite::SqliteError& error) const {
  switch (error.code()) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreError(fmt::format("database \"{}\" is locked by another writer (waited {} ms)",
                                    path, db.busy_timeout().count()));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StoreError(fmt::format("database \"{}\" is corrupt or not an SQLite database", path));
    case SQLITE_FULL:
      return StoreError(fmt::format("disk full while writing database \"{}\"", path));
    default:
      return StoreError(fmt::format("database \"{}\": {}", path, error.what()));
  }
}

std::vector<std::int64_t> ComparisonStore::Impl::route_ids_named(const std::string& text) {
  std::string canonical = text;  // the pattern as routes store it
  try {
    canonical = parse_pattern(text, false).text();
  } catch (const RuleError&) {
    // Not a pattern: it can still be the text a removed route's comparisons were stored under.
  }
  auto select = db.prepare(
      "SELECT id FROM routes WHERE pattern = ?1 "
      "UNION SELECT route_id FROM comparisons WHERE route IN (?1, ?2) "
      "UNION SELECT route_id FROM shadow_tallies WHERE route IN (?1, ?2) ORDER BY 1");
  select.bind(1, canonical).bind(2, text);
  std::vector<std::int64_t> ids;
  while (select.step()) ids.push_back(select.int64(0));
  return ids;
}

ComparisonStore::ComparisonStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ComparisonStore::ComparisonStore(ComparisonStore&&) noexcept = default;
ComparisonStore& ComparisonStore::operator=(ComparisonStore&&) noexcept = default;
ComparisonStore::~ComparisonStore() = default;

ComparisonStore ComparisonStore::open(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    throw StoreError(fmt::format("database \"{}\" does not exist", path));
  }
  auto impl = std::make_unique<Impl>(
      Impl{path, sqlite::Database(path, sqlite::Database::Mode::kReadWrite)});
  impl->db.set_busy_timeout(kDefaultWriterBusyTimeout);
  impl->guard([&] {
    if (!schema::is_rule_set(impl->db)) {
      throw StoreError(fmt::format("\"{}\" is not a Strangler rule set", path));
    }
    int version = schema::file_version(impl->db);
    if (version < kComparisonSchema) {
      throw StoreError(fmt::format(
          "database \"{}\" has the older schema version {} without comparisons; run any "
          "stranglerctl command on it once to upgrade it",
          path, version));
    }
    if (version > schema::latest_version()) {
      throw StoreError(fmt::format(
          "database \"{}\" has schema version {}, newer than this build understands ({})", path,
          version, schema::latest_version()));
    }
  });
  return ComparisonStore(std::move(impl));
}

void ComparisonStore::set_busy_timeout(std::chrono::milliseconds timeout) {
  impl_->db.set_busy_timeout(timeout);
}

void ComparisonStore::record_batch(const std::vector<Comparison>& comparisons,
                                   const std::vector<ShadowTally>& tallies,
                                   const std::vector<NoisyPath>& noise, const RetentionCaps& caps) {
  impl_->write([&] {
    auto& db = impl_->db;
    std::set<std::int64_t> routes;
    ComparisonInserts inserts(db);
    for (const auto& comparison : comparisons) {
      insert_comparison(db, inserts, comparison);
      routes.insert(comparison.route_id);
    }
    std::int64_t minute = now_unix_ms() / 60000;
    auto upsert = prepare_tally_upsert(db);
    for (const auto& tally : tallies) add_tally(upsert, tally, minute);
    auto remember = db.prepare(
        "INSERT OR IGNORE INTO diff_noise (route_id, path, first_at) VALUES (?1, ?2, ?3)");
    for (const auto& path : noise) {
      remember.reset();
      remember.bind(1, path.route_id).bind(2, path.path).bind(3, utc_now_rfc3339());
      remember.run();
    }
    apply_caps(db, routes, caps);
    auto old_tallies = db.prepare("DELETE FROM shadow_tallies WHERE minute < ?1");
    old_tallies.bind(1, minute - kTallyKeepMinutes);
    old_tallies.run();
  });
}

std::vector<std::string> ComparisonStore::noisy_paths(std::int64_t route_id) {
  return impl_->read([&] {
    auto select = impl_->db.prepare("SELECT path FROM diff_noise WHERE route_id = ?1 ORDER BY 1");
    select.bind(1, route_id);
    std::vector<std::string> paths;
    while (select.step()) paths.push_back(select.text(0));
    return paths;
  });
}

std::optional<Comparison> ComparisonStore::find(std::int64_t id) {
  return impl_->read([&]() -> std::optional<Comparison> {
    auto select = impl_->db.prepare(
        "SELECT id, at, route_id, route, method, request_target, primary_target, shadow_target, "
        "primary_status, shadow_status, primary_ms, shadow_ms, outcome, error, primary_headers, "
        "shadow_headers, primary_body, shadow_body FROM comparisons WHERE id = ?1");
    select.bind(1, id);
    if (!select.step()) return std::nullopt;
    Comparison comparison = comparison_from_row(select);
    auto differences = impl_->db.prepare(
        "SELECT path, kind, primary_value, shadow_value, noisy FROM comparison_differences "
        "WHERE comparison_id = ?1 ORDER BY seq");
    differences.bind(1, id);
    while (differences.step()) {
      Difference d{differences.text(0), DiffKind::changed, differences.text(2), differences.text(3),
                   differences.int64(4) != 0};
      parse_diff_kind(differences.text(1), d.kind);
      comparison.differences.push_back(std::move(d));
    }
    return comparison;
  });
}

std::int64_t ComparisonStore::clear(const std::optional<std::string>& route) {
  return impl_->write([&] {
    auto& db = impl_->db;
    std::int64_t deleted = 0;
    if (!route) {
      db.exec("DELETE FROM comparison_differences");
      auto all = db.prepare("DELETE FROM comparisons");
      all.run();
      deleted = db.changes();
      db.exec("DELETE FROM shadow_tallies; DELETE FROM diff_noise");
      return deleted;
    }
    for (std::int64_t id : impl_->route_ids_named(*route)) {
      auto comparisons = db.prepare("DELETE FROM comparisons WHERE route_id = ?1");
      comparisons.bind(1, id);
      comparisons.run();
      deleted += db.changes();
      auto tallies = db.prepare("DELETE FROM shadow_tallies WHERE route_id = ?1");
      tallies.bind(1, id);
      tallies.run();
      auto noise = db.prepare("DELETE FROM diff_noise WHERE route_id = ?1");
      noise.bind(1, id);
      noise.run();
    }
    return deleted;
  });
}

}  // namespace strangler
