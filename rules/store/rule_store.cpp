// RuleStore: opening and creating the rules database, reading it, and the shared helpers that
// the writing commands (rule_store_writes.cpp) and undo (rule_store_undo.cpp) build on.
#include "rules/store/rule_store.h"

#include <fmt/format.h>

#include <ctime>
#include <filesystem>

#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/rule_text.h"
#include "rules/rule_validation.h"
#include "rules/store/rule_store_impl.h"
#include "rules/store/schema.h"
#include "rules/target_url.h"

namespace strangler {

namespace {

constexpr const char* kVersionKey = "rules_version";
// Route change log entries kept by writers: far more than a reloader polling every 250 ms falls
// behind by, few enough that the log stays small.
constexpr std::int64_t kRouteChangesKept = 10'000;

ChangeRecord change_from_row(const sqlite::Statement& row) {
  return ChangeRecord{row.int64(0),          row.text(1),          row.text(2), row.text(3),
                      row.text(4),           row.text(5),          row.text(6), row.text(7),
                      row.optional_int64(8), row.optional_int64(9)};
}

std::string init_hint(const std::string& path) {
  return fmt::format("create it with: stranglerctl --db {} init --legacy URL", path);
}

// Refuses a file that is not a rule set this build can use; migrates an older one when writable.
void check_schema(sqlite::Database& db, const std::string& path, bool read_only) {
  if (!schema::is_rule_set(db)) {
    if (schema::is_empty(db)) {
      throw StoreError(
          fmt::format("database \"{}\" is empty, not a rule set ({})", path, init_hint(path)));
    }
    throw StoreError(
        fmt::format("\"{}\" is an SQLite database but not a Strangler rule set", path));
  }
  int version = schema::file_version(db);
  if (version > schema::latest_version()) {
    throw StoreError(fmt::format(
        "database \"{}\" has schema version {}, newer than this build understands ({}); use a "
        "newer strangler",
        path, version, schema::latest_version()));
  }
  if (version == schema::latest_version()) return;
  if (read_only) {
    throw StoreError(fmt::format(
        "database \"{}\" has the older schema version {}; run any stranglerctl command on it once "
        "to upgrade it",
        path, version));
  }
  sqlite::Transaction transaction(db, sqlite::Transaction::Kind::kImmediate);
  schema::migrate(db);  // re-reads the version inside the transaction: another writer may have won
  transaction.commit();
}

void ensure_wal(sqlite::Database& db) {
  bool wal = false;
  {
    auto mode = db.prepare("PRAGMA journal_mode");
    wal = mode.step() && mode.text(0) == "wal";
  }  // finalized: the mode cannot change while a statement is active
  if (!wal) db.exec("PRAGMA journal_mode = WAL");
}

void remove_database_files(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path + suffix, ignored);
  }
}

}  // namespace

bool same_target(const Target& a, const Target& b) {
  return a.name == b.name && a.url == b.url && a.connect_timeout_ms == b.connect_timeout_ms &&
         a.timeout_ms == b.timeout_ms && a.resilience == b.resilience;
}

bool same_route(const Route& a, const Route& b) {
  return a.id == b.id && a.pattern == b.pattern && a.methods == b.methods && a.target == b.target &&
         a.split_target == b.split_target && a.split_percent == b.split_percent &&
         a.sticky_header == b.sticky_header && a.fallback == b.fallback &&
         a.fallback_methods == b.fallback_methods && a.shadow == b.shadow && a.ignores == b.ignores;
}

void validate_target(const Target& target) {
  validate_target_name(target.name);
  parse_target_url(target.url);
  validate_timeout_ms(target.connect_timeout_ms, "connect timeout");
  validate_timeout_ms(target.timeout_ms, "timeout");
  validate_resilience(target.resilience);
}

RuleStore::Impl::Impl(std::string path_, sqlite::Database db_, bool read_only_)
    : path(std::move(path_)), db(std::move(db_)), read_only(read_only_) {}

StoreError RuleStore::Impl::translate(const sqlite::SqliteError& error) const {
  switch (error.code()) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreError(fmt::format(
          "database \"{}\" is locked by another writer (waited {} ms); nothing was changed, try "
          "again",
          path, db.busy_timeout().count()));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StoreError(fmt::format("database \"{}\" is corrupt or not an SQLite database", path));
    case SQLITE_READONLY:
      return StoreError(fmt::format(
          "database \"{}\" cannot be written ({}); check the file's and its folder's permissions",
          path, sqlite3_errstr(error.extended_code())));
    case SQLITE_FULL:
      return StoreError(
          fmt::format("disk full while writing database \"{}\"; nothing was changed", path));
    default:
      return StoreError(error.what());
  }
}

void RuleStore::Impl::require_writable() const {
  if (read_only) {
    throw StoreError(fmt::format("database \"{}\" was opened read-only", path));
  }
}

std::vector<Target> RuleStore::Impl::read_targets() {
  auto select = db.prepare(STRANGLER_SELECT_TARGETS " ORDER BY name");
  std::vector<Target> targets;
  while (select.step()) targets.push_back(target_from_row(select));
  return targets;
}

std::optional<Target> RuleStore::Impl::find_target(std::string_view name) {
  auto select = db.prepare(STRANGLER_SELECT_TARGETS " WHERE name = ?1");
  select.bind(1, name);
  if (!select.step()) return std::nullopt;
  return target_from_row(select);
}

Target RuleStore::Impl::require_target(std::string_view name, bool to_use) {
  if (auto target = find_target(name)) return *target;
  if (!to_use) {
    throw RuleError(fmt::format("unknown target \"{}\" (see: stranglerctl target list)", name));
  }
  throw RuleError(fmt::format("unknown target \"{}\" (add it with: stranglerctl target add {} URL)",
                              name, name));
}

std::vector<Route> RuleStore::Impl::read_routes() {
  auto select = db.prepare(STRANGLER_SELECT_ROUTES STRANGLER_ROUTE_ORDER);
  std::vector<Route> routes;
  while (select.step()) routes.push_back(route_from_row(select));
  attach_ignores(routes);
  return routes;
}

std::int64_t RuleStore::Impl::read_change_seq() {
  auto select = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?1");
  select.bind(1, "route_changes");
  return select.step() ? select.int64(0) : 0;
}

bool RuleStore::Impl::change_log_reaches(std::int64_t change_seq, std::int64_t last) {
  if (change_seq == last) return true;
  if (change_seq > last) return false;  // another file, or a log that was reset
  auto select = db.prepare("SELECT MIN(seq) FROM route_changes");
  select.step();
  const auto first = select.optional_int64(0);
  return first && *first <= change_seq + 1;
}

std::vector<std::int64_t> RuleStore::Impl::read_touched_ids(std::int64_t change_seq) {
  auto select = db.prepare("SELECT DISTINCT route_id FROM route_changes WHERE seq > ?1 ORDER BY 1");
  select.bind(1, change_seq);
  std::vector<std::int64_t> ids;
  while (select.step()) ids.push_back(select.int64(0));
  return ids;
}

std::vector<Route> RuleStore::Impl::read_routes_touched(std::int64_t change_seq) {
  auto select = db.prepare(
      STRANGLER_SELECT_ROUTES
      " WHERE id IN (SELECT route_id FROM route_changes WHERE seq > ?1)" STRANGLER_ROUTE_ORDER);
  select.bind(1, change_seq);
  std::vector<Route> routes;
  while (select.step()) routes.push_back(route_from_row(select));
  attach_ignores(routes);
  return routes;
}

std::vector<Route> RuleStore::Impl::read_routes_with_pattern(const std::string& pattern) {
  auto select =
      db.prepare(STRANGLER_SELECT_ROUTES " WHERE pattern = ?1 ORDER BY exact DESC, methods");
  select.bind(1, pattern);
  std::vector<Route> routes;
  while (select.step()) routes.push_back(route_from_row(select));
  attach_ignores(routes);
  return routes;
}

std::optional<Route> RuleStore::Impl::find_route(std::int64_t id) {
  auto select = db.prepare(STRANGLER_SELECT_ROUTES " WHERE id = ?1");
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  std::vector<Route> found{route_from_row(select)};
  attach_ignores(found);
  return found[0];
}

void RuleStore::Impl::require_unused(const std::string& name, std::string_view prefix) {
  auto select = db.prepare(STRANGLER_SELECT_ROUTES
                           " WHERE target = ?1 OR split_target = ?1 OR fallback_target = ?1 OR "
                           "shadow_target = ?1" STRANGLER_ROUTE_ORDER);
  select.bind(1, name);
  std::vector<std::string> users;
  while (select.step()) {
    Route route = route_from_row(select);
    if (route.target == name) {
      users.push_back(route_label(route));
    } else if (route.split_target == name) {
      users.push_back(fmt::format("{} ({}% split)", route_label(route), route.split_percent));
    } else if (route.shadow && route.shadow->target == name) {
      users.push_back(fmt::format("{} (as shadow)", route_label(route)));
    } else {
      users.push_back(fmt::format("{} (as fallback)", route_label(route)));
    }
  }
  if (users.empty()) return;
  if (users.size() == 1) {
    throw RuleError(
        fmt::format("{}target \"{}\" is used by route {}; flip or remove that route first", prefix,
                    name, users[0]));
  }
  std::string shown = users[0] + ", " + users[1];
  if (users.size() > 2) shown += fmt::format(" and {} more", users.size() - 2);
  throw RuleError(
      fmt::format("{}target \"{}\" is used by routes {}; flip or remove those routes first", prefix,
                  name, shown));
}

std::int64_t RuleStore::Impl::read_version() {
  if (!version_statement) {
    version_statement.emplace(db, "SELECT value FROM meta WHERE key = ?1");
  }
  auto& select = *version_statement;
  select.reset();
  select.bind(1, kVersionKey);
  if (!select.step()) {
    throw StoreError(fmt::format("database \"{}\" has no rules version: not a rule set", path));
  }
  std::int64_t version = select.int64(0);
  select.reset();  // ends the statement's implicit read transaction
  return version;
}

void RuleStore::Impl::delete_target(const std::string& name) {
  auto remove = db.prepare("DELETE FROM targets WHERE name = ?1");
  remove.bind(1, name);
  remove.run();
}

void RuleStore::Impl::delete_route(std::int64_t id) {
  auto remove = db.prepare("DELETE FROM routes WHERE id = ?1");
  remove.bind(1, id);
  remove.run();
}

std::int64_t RuleStore::Impl::record(const ChangeContext& ctx, std::string_view kind,
                                     std::string_view entity, const Json& before, const Json& after,
                                     std::optional<std::int64_t> undoes) {
  auto insert = db.prepare(
      "INSERT INTO changes (at, user, command, kind, entity, before_json, after_json, undoes) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  insert.bind(1, utc_now_rfc3339()).bind(2, ctx.user).bind(3, ctx.command).bind(4, kind);
  insert.bind(5, entity).bind(6, before.dump()).bind(7, after.dump()).bind(8, undoes);
  insert.run();
  std::int64_t id = db.last_insert_rowid();
  auto bump = db.prepare("UPDATE meta SET value = value + 1 WHERE key = ?1");
  bump.bind(1, kVersionKey);
  bump.run();
  auto trim = db.prepare("DELETE FROM route_changes WHERE seq <= ?1");
  trim.bind(1, read_change_seq() - kRouteChangesKept);
  trim.run();
  return id;
}

RuleStore::RuleStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleStore::RuleStore(RuleStore&&) noexcept = default;
RuleStore& RuleStore::operator=(RuleStore&&) noexcept = default;
RuleStore::~RuleStore() = default;

RuleStore RuleStore::open(const std::string& path, bool read_only) {
  if (!std::filesystem::exists(path)) {
    throw StoreError(fmt::format("database \"{}\" does not exist ({})", path, init_hint(path)));
  }
  auto mode = read_only ? sqlite::Database::Mode::kReadOnly : sqlite::Database::Mode::kReadWrite;
  auto impl = std::make_unique<Impl>(path, sqlite::Database(path, mode), read_only);
  impl->db.set_busy_timeout(kDefaultBusyTimeout);
  impl->guard([&] {
    check_schema(impl->db, path, read_only);
    if (!read_only) ensure_wal(impl->db);
  });
  return RuleStore(std::move(impl));
}

RuleStore RuleStore::create(const std::string& path, const std::string& legacy_url,
                            const ChangeContext& ctx) {
  Target legacy{kDefaultTarget, legacy_url};
  validate_target(legacy);  // before the file is touched: a bad URL creates nothing
  // Remove what we created if anything below fails, but never a file that someone else made.
  bool created_here = !std::filesystem::exists(path);
  try {
    auto impl = std::make_unique<Impl>(
        path, sqlite::Database(path, sqlite::Database::Mode::kReadWriteCreate), false);
    impl->db.set_busy_timeout(kDefaultBusyTimeout);
    auto refuse_existing = [&] {
      if (schema::is_rule_set(impl->db)) {
        created_here = false;
        throw StoreError(fmt::format("\"{}\" already holds a rule set", path));
      }
      if (!schema::is_empty(impl->db)) {
        throw StoreError(fmt::format(
            "\"{}\" is an SQLite database but not a rule set; pick another path", path));
      }
    };
    refuse_existing();
    impl->db.exec("PRAGMA journal_mode = WAL");  // persistent; not allowed inside a transaction
    impl->write([&] {
      refuse_existing();  // again inside the lock: another init may have won the race
      schema::migrate(impl->db);
      impl->insert_target(legacy);
      impl->record(ctx, "init", "target", nullptr, target_to_json(legacy));
    });
    return RuleStore(std::move(impl));
  } catch (const sqlite::SqliteError& error) {
    if (created_here) remove_database_files(path);
    if (error.code() == SQLITE_NOTADB || error.code() == SQLITE_CORRUPT) {
      throw StoreError(
          fmt::format("\"{}\" exists and is not an SQLite database; pick another path", path));
    }
    throw;
  } catch (...) {
    if (created_here) remove_database_files(path);
    throw;
  }
}

const std::string& RuleStore::path() const {
  return impl_->path;
}

void RuleStore::set_busy_timeout(std::chrono::milliseconds timeout) {
  impl_->db.set_busy_timeout(timeout);
}

std::vector<Target> RuleStore::targets() {
  return impl_->read([&] { return impl_->read_targets(); });
}

std::vector<Route> RuleStore::routes() {
  return impl_->read([&] { return impl_->read_routes(); });
}

std::vector<ChangeRecord> RuleStore::history(std::size_t limit) {
  return impl_->read([&] {
    auto select = impl_->db.prepare(
        "SELECT id, at, user, command, kind, entity, before_json, after_json, undoes, undone_by "
        "FROM changes ORDER BY id DESC LIMIT ?1");
    select.bind(1, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<ChangeRecord> changes;
    while (select.step()) changes.push_back(change_from_row(select));
    return changes;
  });
}

RuleSet RuleStore::load_rule_set() {
  return impl_->read([&] {
    RuleSet rules;
    rules.version = impl_->read_version();
    rules.change_seq = impl_->read_change_seq();
    rules.targets = impl_->read_targets();
    rules.routes = impl_->read_routes();
    return rules;
  });
}

std::optional<RuleSetChanges> RuleStore::load_changes_since(std::int64_t change_seq) {
  return impl_->read([&]() -> std::optional<RuleSetChanges> {
    const std::int64_t last = impl_->read_change_seq();
    if (!impl_->change_log_reaches(change_seq, last)) return std::nullopt;
    RuleSetChanges changes;
    changes.version = impl_->read_version();
    changes.change_seq = last;
    changes.targets = impl_->read_targets();
    changes.touched_ids = impl_->read_touched_ids(change_seq);
    changes.routes = impl_->read_routes_touched(change_seq);
    return changes;
  });
}

std::int64_t RuleStore::rules_version() {
  return impl_->guard([&] { return impl_->read_version(); });
}

}  // namespace strangler
