// Integration: the router's life — it refuses to start on a missing or unreadable database with
// one clear line, exits 0 on SIGTERM, and keeps serving its last good table when the database
// breaks under it: still ready (it can serve), the stale rules reported in /healthz, /readyz's
// body and a metric. SIGHUP and the SIGTERM drain: router_drain_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "tests/support/child_process.h"
#include "tests/support/cluster.h"
#include "tests/support/file_opens.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// Starts the router on `db` and expects it to give up: non-zero exit, one line on stderr naming
// the file, no "listening" line.
void check_refuses_to_start(Cluster& c, const std::filesystem::path& db) {
  ChildProcess router(STRANGLER_ROUTER_BIN,
                      {"--db", db.string(), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"},
                      c.log_path("router-refusing"));
  auto status = router.wait_exit(5s);
  auto err = router.stderr_text();
  INFO("stderr: " << err);
  INFO("stdout: " << router.stdout_text());
  REQUIRE_MESSAGE(status.has_value(), "router still running on a bad database after 5 s");
  CHECK(*status != 0);
  CHECK(is_one_line(err));
  CHECK(err.find(db.filename().string()) != std::string::npos);
  CHECK(router.stdout_text().find("listening") == std::string::npos);
}

}  // namespace

TEST_CASE("router: refuses to start on a missing database, and does not create it") {
  Cluster c;
  auto missing = c.dir() / "missing.db";
  check_refuses_to_start(c, missing);
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("router: refuses to start on a file that is not a rules database") {
  Cluster c;
  auto garbage = c.dir() / "garbage.db";
  std::ofstream(garbage) << "this is not an SQLite database, just some text\n";
  check_refuses_to_start(c, garbage);
}

TEST_CASE("router: exits 0 on SIGTERM") {
  Cluster c;
  c.init_with_monolith();
  auto& router = c.start_router();
  REQUIRE(c.client().Get("/orders/1"));
  CHECK(router.stop() == 0);
}

namespace {

// /readyz as JSON without its timestamp, and its status.
std::pair<int, nlohmann::json> readiness(Cluster& c) {
  auto res = c.admin_client().Get("/readyz");
  REQUIRE(res);
  INFO(res->body);
  REQUIRE(nlohmann::json::accept(res->body));
  auto j = nlohmann::json::parse(res->body);
  if (j.is_object()) j.erase("loaded_at");
  return {res->status, j};
}

std::size_t line_count(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("router: keeps serving the last good table when the database breaks, then recovers") {
  Cluster c;
  auto& monolith = c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/orders", "--to", "svc"});
  auto& router = c.start_router();
  auto client = c.client();
  REQUIRE(served_by(client.Get("/orders/1")) == "svc");
  auto healthy = readiness(c);
  REQUIRE(healthy.first == 200);

  // Replace the database with junk (a new file, as an editor or a bad deploy would).
  auto junk = c.dir() / "junk.tmp";
  std::ofstream(junk) << std::string(8192, 'x');
  std::filesystem::rename(junk, c.db());
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(c.db() + suffix);

  std::pair<int, nlohmann::json> broken;
  auto noticed = wait_until(
      [&] {
        broken = readiness(c);
        return broken != healthy;
      },
      1500ms);
  INFO("healthy /readyz: " << healthy.first << " " << healthy.second.dump());
  INFO("broken /readyz: " << broken.first << " " << broken.second.dump());
  CHECK_MESSAGE(noticed.has_value(), "/readyz does not report the unreadable database");
  CHECK(broken.first == 200);  // it still serves: pulling it out of rotation would not help
  CHECK(broken.second.value("rules_stale", false));
  CHECK(broken.second.value("reason", "").find("last good rules") != std::string::npos);
  CHECK(c.metric("strangler_rules_stale") == 1);
  auto stale_health = c.admin_client().Get("/healthz");
  REQUIRE(stale_health);
  auto stale_rules = nlohmann::json::parse(stale_health->body).at("rules");
  CHECK(stale_rules.at("stale") == true);
  CHECK(!stale_rules.at("stale_since").get<std::string>().empty());
  CHECK(!stale_rules.at("problem").get<std::string>().empty());
  // Several polls on the broken database: the problem is logged once, not once per poll. After a
  // failed read the reloader opens the file afresh on every poll (rules_reloader.cpp), so each
  // open it makes proves that the poll before it has finished, its log line written or not.
  FileOpens opens(c.dir(), std::filesystem::path(c.db()).filename().string());
  auto lines_when_noticed = line_count(router.stderr_text());
  for (int i = 0; i < 20; ++i) {
    CHECK(served_by(client.Get("/orders/" + std::to_string(i))) == "svc");
    CHECK(served_by(client.Get("/customers/" + std::to_string(i))) == "monolith");
  }
  auto polled = wait_until([&] { return opens.count() >= 6; }, 5s);
  REQUIRE_MESSAGE(polled.has_value(), "the router did not try the broken database 6 times in 5 s");
  CHECK(line_count(router.stderr_text()) == lines_when_noticed);
  CHECK(served_by(client.Get("/orders/1")) == "svc");
  auto health = c.admin_client().Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);

  // A good database again (no routes this time): picked up, and ready without a problem.
  auto fresh = c.dir() / "fresh.db";
  auto init =
      run_process(STRANGLER_CTL_BIN, {"--db", fresh.string(), "init", "--legacy", monolith.url});
  REQUIRE_MESSAGE(init.exit_code == 0, init.describe());
  std::filesystem::rename(fresh, c.db());
  auto recovered =
      wait_until([&] { return served_by(client.Get("/orders/1")) == "monolith"; }, 1500ms);
  CHECK(recovered.has_value());
  auto after = readiness(c);
  CHECK(after.first == 200);
  CHECK(c.metric("strangler_rules_stale") == 0);
  // The same report as before the breakage, but for the version number.
  auto strip_version = [](nlohmann::json j) {
    if (j.is_object()) j.erase("rules_version");
    return j;
  };
  CHECK(strip_version(after.second) == strip_version(healthy.second));
}

namespace {

// Waits for /readyz to report stale rules (still 200) with a reason containing `why`; REQUIREs
// it within `timeout`.
void require_stale(Cluster& c, const std::string& why, std::chrono::milliseconds timeout = 3000ms) {
  std::pair<int, nlohmann::json> state;
  auto noticed = wait_until(
      [&] {
        state = readiness(c);
        return state.first == 200 && state.second.value("rules_stale", false) &&
               state.second.value("reason", "").find(why) != std::string::npos;
      },
      timeout);
  INFO("/readyz: " << state.first << " " << state.second.dump());
  REQUIRE(noticed.has_value());
}

void require_fresh(Cluster& c) {
  auto ready = wait_until(
      [&] {
        auto state = readiness(c);
        return state.first == 200 && !state.second.contains("rules_stale");
      },
      3000ms);
  INFO("/readyz: " << readiness(c).second.dump());
  REQUIRE(ready.has_value());
}

}  // namespace

TEST_CASE("router: a database overwritten in place, then replaced by a locked one, recovers") {
  Cluster c;
  auto& monolith = c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/orders", "--to", "svc"});
  c.start_router({"--reload-interval-ms", "100"});
  auto client = c.client();
  REQUIRE(served_by(client.Get("/orders/1")) == "svc");

  // Overwritten in place (same inode, so no rename to notice): SQLite's cache would hide it.
  {
    std::ofstream junk(c.db(), std::ios::binary | std::ios::trunc);
    junk << std::string(16384, 'j');
  }
  require_stale(c, "corrupt");
  for (int i = 0; i < 5; ++i) {
    CHECK(served_by(client.Get("/orders/" + std::to_string(i))) == "svc");
    CHECK(served_by(client.Get("/customers/" + std::to_string(i))) == "monolith");
  }
  CHECK(c.admin_client().Get("/healthz")->status == 200);

  // A good database renamed over it, but held exclusively by a writer for 8 s (a long migration
  // with exclusive locking): still the last good rules, and /readyz says "locked" once opening
  // the file gave up (after SQLite's 5 s busy timeout). While the router has the file open, WAL
  // mode never lets a writer block its reads; opening it anew is where a lock can bite.
  auto fresh = c.dir() / "fresh.db";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"init", "--legacy", monolith.url},
        std::vector<std::string>{"target", "add", "svc", svc.url},
        std::vector<std::string>{"route", "add", "/customers", "--to", "svc"}}) {
    std::vector<std::string> full{"--db", fresh.string()};
    full.insert(full.end(), args.begin(), args.end());
    auto run = run_process(STRANGLER_CTL_BIN, full);
    REQUIRE_MESSAGE(run.exit_code == 0, run.describe());
  }
  ChildProcess locker("/bin/sh",
                      {"-c",
                       "(echo 'PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; "
                       "SELECT count(*) FROM routes;'; sleep 8; echo 'COMMIT;') | sqlite3 " +
                           fresh.string()},
                      c.log_path("locker"));
  REQUIRE(wait_until([&] { return line_count(locker.stdout_text()) >= 2; }, 2000ms));
  std::filesystem::rename(fresh, c.db());
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(c.db() + suffix);
  require_stale(c, "locked", 7000ms);
  CHECK(served_by(client.Get("/orders/9")) == "svc");
  CHECK(served_by(client.Get("/customers/9")) == "monolith");

  // The writer lets go: the new rules are served and /readyz no longer says stale.
  REQUIRE(locker.wait_exit(8s).has_value());
  require_fresh(c);
  CHECK(wait_until([&] { return served_by(client.Get("/customers/3")) == "svc"; }, 2000ms));
  CHECK(served_by(client.Get("/orders/3")) == "monolith");
}
