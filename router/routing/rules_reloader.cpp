// RulesReloader; see rules_reloader.h.
#include "router/routing/rules_reloader.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "router/admin/log.h"
#include "rules/store/store_error.h"
#include "rules/utc_time.h"

namespace strangler {

RulesReloader::RulesReloader(std::string db_path, RouteSnapshot& snapshot, Readiness& readiness,
                             TargetRuntimes& runtimes, MetricsRegistry& metrics,
                             std::chrono::milliseconds interval)
    : db_path_(std::move(db_path)),
      snapshot_(snapshot),
      readiness_(readiness),
      runtimes_(runtimes),
      metrics_(metrics),
      interval_(interval),
      health_(metrics) {
  // A route's breaker appears in /metrics once the route has sent traffic to the target.
  runtimes_.breakers().on_create([&metrics](const RouteBreaker& breaker) {
    metrics.set_breaker_state(breaker.route, breaker.target.name, BreakerState::closed);
  });
}

RulesReloader::~RulesReloader() {
  stop();
}

namespace {

// The file's identity: an open SQLite connection keeps reading a deleted or replaced file's old
// inode without any error, so the path is checked on every poll.
FileIdentity identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw StoreError(fmt::format("database \"{}\" is gone ({})", path, std::strerror(errno)));
  }
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

constexpr std::chrono::milliseconds kLockWait{1000};

}  // namespace

void RulesReloader::open_store() {
  auto identity = identify(db_path_);
  if (identity.device != identity_.device || identity.inode != identity_.inode) {
    force_reload_ = true;
  }
  store_.emplace(RuleStore::open(db_path_, /*read_only=*/true));
  // A writer holding the database locked shows on /readyz within about a second, and the
  // reloader thread never waits long (the request path never waits at all).
  store_->set_busy_timeout(kLockWait);
  identity_ = identity;
}

void RulesReloader::load_initial() {
  open_store();
  auto started = std::chrono::steady_clock::now();
  publish({store_->load_rule_set(), std::nullopt}, started);
}

void RulesReloader::start() {
  health_.start();
  thread_ = std::thread([this] { run(); });
}

void RulesReloader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  health_.stop();
}

void RulesReloader::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    poll_once();
    lock.lock();
  }
}

void RulesReloader::poll_once() {
  try {
    // A failed read may mean the file was replaced or repaired: start from a fresh connection.
    if (store_ && identify(db_path_) != identity_) store_.reset();  // replaced or rewritten
    if (!store_) open_store();
    if (force_reload_ || store_->rules_version() != version_) {
      auto started = std::chrono::steady_clock::now();
      publish(read_rules(), started);
    }
    if (!problem_.empty()) report_problem("");
  } catch (const std::exception& e) {
    store_.reset();
    force_reload_ = true;
    report_problem(e.what());
  }
}

RulesReloader::Read RulesReloader::read_rules() {
  if (table_ && !force_reload_) {
    if (auto changes = store_->load_changes_since(table_->rules().change_seq)) {
      auto touched = changes->touched_ids.size();
      return {apply_changes(table_->rules(), std::move(*changes)), touched};
    }
  }
  return {store_->load_rule_set(), std::nullopt};
}

namespace {

long long ms_between(std::chrono::steady_clock::time_point from,
                     std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

void RulesReloader::publish(Read read, std::chrono::steady_clock::time_point started) {
  auto version = read.rules.version;
  auto built_from = std::chrono::steady_clock::now();
  auto state = std::make_shared<RoutingState>();
  state->table = RouteTable::build(std::move(read.rules), table_.get());
  state->runtimes = runtimes_.sync(*state->table, built_from);
  std::vector<std::shared_ptr<RouteBreaker>> gone_breakers;
  state->breakers = runtimes_.breakers().sync(*state->table, &gone_breakers);
  for (const auto& gone : gone_breakers) metrics_.drop_breaker(gone->route, gone->target.name);
  snapshot_.publish(state);
  health_.follow(state->runtimes);
  auto done = std::chrono::steady_clock::now();
  if (version_ >= 0) {
    log_line(fmt::format(
        "rules reloaded: version {} -> {} ({} routes; read {} in {} ms, built in {} ms{})",
        version_, version, state->table->rules().routes.size(),
        read.touched ? fmt::format("{} changed", *read.touched) : std::string("all"),
        ms_between(started, built_from), ms_between(built_from, done),
        table_ && state->table->shares_trie_with(*table_) ? ", trie reused" : ""));
    metrics_.record_rules_reload();
  }
  table_ = state->table;
  metrics_.set_rules_version(version);
  version_ = version;
  force_reload_ = false;
  auto ready = readiness_.get();
  ready.loaded = true;
  ready.version = version;
  ready.loaded_at = utc_now_rfc3339(/*millis=*/true);
  readiness_.set(ready);
}

void RulesReloader::report_problem(const std::string& problem) {
  if (problem == problem_) return;
  problem_ = problem;
  if (problem.empty()) {
    log_line(fmt::format("rules database readable again; serving version {}", version_));
  } else {
    log_line(fmt::format("cannot read rules, still serving version {}: {}", version_, problem));
  }
  metrics_.set_rules_stale(!problem.empty());
  auto state = readiness_.get();
  state.problem = problem;
  state.problem_since = problem.empty() ? "" : utc_now_rfc3339(/*millis=*/true);
  readiness_.set(state);
}

}  // namespace strangler
