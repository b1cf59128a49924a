// stranglerctl check, called as a function: "ok" for a sound rule set, one line per problem and
// exit status 1 for rules the router could not compile or a damaged file.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/rules/store/store_test_support.h"
#include "tools/stranglerctl/commands.h"

using namespace strangler;
using namespace strangler::ctl;
using namespace strangler::testing;

namespace {

// Changes the file behind the store's back, as a hand edit with the sqlite3 shell would.
void edit_behind_the_store(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace

TEST_CASE("check says ok for a sound rule set") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  std::ostringstream out;
  CHECK(check(f.store, out) == 0);
  CHECK(out.str() == "ok\n");
}

TEST_CASE("check reports a stored rule the router could not compile, in one line") {
  StoreFixture f;
  f.store.add_target({"orders", "http://127.0.0.1:9002"}, test_ctx());
  f.store.add_route({"/orders", false, "", "orders"}, test_ctx());
  edit_behind_the_store(f.path, "UPDATE routes SET pattern = '/orders//x'");
  auto store = RuleStore::open(f.path, /*read_only=*/true);
  std::ostringstream out;
  CHECK(check(store, out) == 1);
  auto text = out.str();
  INFO(text);
  CHECK(text.rfind("rules: ", 0) == 0);
  CHECK(text.find("/orders//x") != std::string::npos);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
}

TEST_CASE("check reports damaged pages found by quick_check") {
  StoreFixture f;
  for (int i = 0; i < 200; ++i) {
    f.store.add_target({"t" + std::to_string(i), "http://127.0.0.1:9002"}, test_ctx());
  }
  edit_behind_the_store(f.path, "PRAGMA wal_checkpoint(TRUNCATE)");
  // Overwrite the middle of the file (table and index pages), not its header.
  auto size = std::filesystem::file_size(f.path);
  {
    std::fstream file(f.path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    std::string junk(8192, '\xA5');
    file.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  std::ostringstream out;
  int status = 0;
  try {
    auto store = RuleStore::open(f.path, /*read_only=*/true);
    status = check(store, out);
  } catch (const StoreError& e) {
    out << e.what();  // opening may already fail: also a one-line refusal
    status = 1;
  }
  INFO(out.str());
  CHECK(status == 1);
  CHECK(out.str().find("ok\n") == std::string::npos);
}
