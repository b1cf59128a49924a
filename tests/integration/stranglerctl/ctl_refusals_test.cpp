// Integration: stranglerctl refuses bad input with one line on stderr, exit status 1 (usage
// errors: 2), and leaves the database exactly as it was — listings and file bytes alike.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/cluster.h"

using namespace strangler::test;

namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Everything a refusal must leave untouched.
struct Snapshot {
  std::string routes, targets, history, db_bytes;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const Cluster& c) {
  return {c.ctl_ok({"route", "list", "--json"}).out, c.ctl_ok({"target", "list", "--json"}).out,
          c.ctl_ok({"history", "--json"}).out, file_bytes(c.db())};
}

// A rule set with a target "orders" in use by /orders and a wildcard route.
void populate(Cluster& c) {
  c.ctl_ok({"init", "--legacy", "http://127.0.0.1:9001"});
  c.ctl_ok({"target", "add", "orders", "http://127.0.0.1:9002"});
  c.ctl_ok({"target", "add", "spare", "http://127.0.0.1:9003"});
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  c.ctl_ok({"route", "add", "/x/*", "--to", "legacy"});
}

// A refusal: exit status 1, one line on stderr, nothing on stdout, nothing changed. A usage error
// (`usage`): exit status 2 and nothing changed (CLI11 may add a "Run with --help" line).
void check_refused(const Cluster& c, const std::vector<std::string>& args, bool usage = false) {
  auto before = snapshot(c);
  auto r = c.ctl(args);
  INFO(r.describe());
  if (usage) {
    CHECK(r.exit_code == 2);
    CHECK_FALSE(r.err.empty());
  } else {
    CHECK(r.exit_code == 1);
    CHECK(is_one_line(r.err));
    CHECK(r.out.empty());
  }
  auto after = snapshot(c);
  CHECK(after.routes == before.routes);
  CHECK(after.targets == before.targets);
  CHECK(after.history == before.history);
  CHECK_MESSAGE(after.db_bytes == before.db_bytes, "database file bytes changed");
}

}  // namespace

TEST_CASE("stranglerctl: the JSON listings reflect the commands") {
  Cluster c;
  populate(c);
  auto routes = nlohmann::json::parse(c.ctl_ok({"route", "list", "--json"}).out);
  auto targets = nlohmann::json::parse(c.ctl_ok({"target", "list", "--json"}).out);
  auto history = nlohmann::json::parse(c.ctl_ok({"history", "--json"}).out);
  INFO(routes.dump(), targets.dump(), history.dump());
  CHECK(routes.dump().find("/orders") != std::string::npos);
  CHECK(routes.dump().find("/x/*") != std::string::npos);
  CHECK(targets.dump().find("http://127.0.0.1:9002") != std::string::npos);
  CHECK(targets.dump().find("\"legacy\"") != std::string::npos);
  REQUIRE(history.is_array());
  CHECK(history.size() >= 5);  // init, two target adds, two route adds
  CHECK(c.ctl_ok({"route", "list"}).out.find("/orders") != std::string::npos);
}

TEST_CASE("stranglerctl: bad URLs are refused") {
  Cluster c;
  populate(c);
  check_refused(c, {"target", "add", "bad", "not a url"});
  check_refused(c, {"target", "add", "bad", "ftp://127.0.0.1:21"});
  check_refused(c, {"target", "add", "bad", "http://127.0.0.1:9000/some/path"});
  check_refused(c, {"target", "add", "bad", "http://"});
  check_refused(c, {"target", "set", "orders", "--url", "mailto:x@example.com"});
}

TEST_CASE("stranglerctl: unknown and duplicate targets are refused") {
  Cluster c;
  populate(c);
  check_refused(c, {"target", "add", "orders", "http://127.0.0.1:9010"});
  check_refused(c, {"route", "add", "/payments", "--to", "nosuch"});
  check_refused(c, {"route", "flip", "/orders", "--to", "nosuch"});
  check_refused(c, {"target", "rm", "nosuch"});
}

TEST_CASE("stranglerctl: malformed patterns are refused") {
  Cluster c;
  populate(c);
  for (const char* bad : {"orders", "/a//b", "/a/", "/a/b*", "/a/../b", "/a/./b", "/a b"}) {
    CAPTURE(bad);
    check_refused(c, {"route", "add", bad, "--to", "legacy"});
  }
}

TEST_CASE("stranglerctl: duplicate and ambiguous routes are refused") {
  Cluster c;
  populate(c);
  check_refused(c, {"route", "add", "/orders", "--to", "legacy"});
  // "/x/*" and "/*/y" are equally specific and both match "/x/y".
  check_refused(c, {"route", "add", "/*/y", "--to", "orders"});
}

TEST_CASE("stranglerctl: removing a target in use is refused") {
  Cluster c;
  populate(c);
  check_refused(c, {"target", "rm", "orders"});
  check_refused(c, {"target", "rm", "legacy"});  // the default for unmatched requests
  c.ctl_ok({"target", "rm", "spare"});           // unused: fine
}

TEST_CASE("stranglerctl: unknown routes and bad percentages are refused") {
  Cluster c;
  populate(c);
  check_refused(c, {"route", "rm", "/nosuch"});
  check_refused(c, {"route", "flip", "/nosuch", "--to", "orders"});
  // Out of range: a refusal (1) or a usage error (2), either way nothing changes.
  auto before = snapshot(c);
  auto r = c.ctl({"route", "flip", "/x/*", "--to", "orders", "--percent", "150"});
  INFO(r.describe());
  CHECK((r.exit_code == 1 || r.exit_code == 2));
  CHECK_FALSE(r.err.empty());
  CHECK(snapshot(c) == before);
}

TEST_CASE("stranglerctl: usage errors exit 2 and change nothing") {
  Cluster c;
  populate(c);
  check_refused(c, {"frobnicate"}, true);
  check_refused(c, {"route", "add", "/payments"}, true);  // no --to
  check_refused(c, {"target", "add", "only-a-name"}, true);
}

TEST_CASE("stranglerctl: a missing database is refused and not created") {
  Cluster c;
  auto missing = (c.dir() / "missing.db").string();
  auto r = run_process(STRANGLER_CTL_BIN, {"--db", missing, "route", "list"});
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  CHECK(is_one_line(r.err));
  CHECK_FALSE(std::filesystem::exists(missing));
}
