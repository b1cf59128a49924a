// Integration: the router's life — it refuses to start on a missing or unreadable database with
// one clear line, exits 0 on SIGTERM, and keeps serving its last good table when the database
// breaks under it.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/cluster.h"

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

TEST_CASE("router: keeps serving the last good table when the database breaks") {
  Cluster c;
  c.init_with_monolith();
  auto& svc = c.start_stub("svc");
  c.ctl_ok({"target", "add", "svc", svc.url});
  c.ctl_ok({"route", "add", "/orders", "--to", "svc"});
  c.start_router();
  auto client = c.client();
  REQUIRE(served_by(client.Get("/orders/1")) == "svc");

  // Overwrite the database with junk of the same size; the WAL and shm files go away.
  auto size = std::filesystem::file_size(c.db());
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(c.db() + suffix);
  {
    std::ofstream out(c.db(), std::ios::binary | std::ios::trunc);
    out << std::string(size, 'x');
  }
  std::this_thread::sleep_for(1s);  // several reload polls
  for (int i = 0; i < 20; ++i) {
    CHECK(served_by(client.Get("/orders/" + std::to_string(i))) == "svc");
    CHECK(served_by(client.Get("/customers/" + std::to_string(i))) == "monolith");
  }
  CHECK(c.admin_client().Get("/healthz")->status == 200);
  auto ready = c.admin_client().Get("/readyz");
  REQUIRE(ready);
  MESSAGE("/readyz with a broken database: " << ready->status << " " << ready->body);
}
