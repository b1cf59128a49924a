// Integration: `stranglerctl status --admin URL [--json]` against a live router — the migration at
// a glance: every target, its routes, the share of recent requests served by extracted services,
// and each breaker with its state; the JSON form parses; a router that is not there is an error,
// not an empty report.
#include <doctest/doctest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/resilience.h"

using namespace strangler::test;

namespace {

// Whether one line of `text` contains both `a` and `b`.
bool line_with(const std::string& text, const std::string& a, const std::string& b) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("status: stranglerctl status shows every target and breaker of a live router") {
  Cluster c;
  c.init_with_monolith();
  auto& orders = c.start_stub("orders-svc");
  c.ctl_ok({"target", "add", "orders", orders.url});
  auto down = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
  c.ctl_ok({"target", "add", "ghost", down, "--connect-timeout-ms", "300", "--min-calls", "1",
            "--failure-threshold", "1", "--recovery-ms", "60000"});
  c.ctl_ok({"route", "add", "/orders", "--to", "orders"});
  c.ctl_ok({"route", "add", "/ghost", "--to", "ghost", "--fallback", "none"});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.start_router();
  auto client = c.client();
  for (int i = 0; i < 3; ++i) REQUIRE(served_by(client.Get("/orders/1")) == "orders-svc");
  for (int i = 0; i < 2; ++i) REQUIRE(served_by(client.Get("/customers/1")) == "monolith");
  const auto admin_url = "http://127.0.0.1:" + std::to_string(c.admin_port());

  // 3 of the 5 recent requests were served by an extracted service: 60 %, legacy 40 %.
  auto share = c.ctl({"status", "--admin", admin_url});
  INFO(share.describe());
  CHECK(share.exit_code == 0);
  CHECK(line_with(share.out, "extracted", "60"));
  CHECK(line_with(share.out, "legacy", "40"));

  for (int i = 0; i < 2; ++i) client.Get("/ghost/1");
  REQUIRE(breaker_state(c, "ghost") == "open");

  auto text = c.ctl({"status", "--admin", admin_url});
  INFO(text.describe());
  CHECK(text.exit_code == 0);
  for (const auto* name : {"legacy", "orders", "ghost"}) {
    CHECK_MESSAGE(text.out.find(name) != std::string::npos, "status does not mention " << name);
  }
  CHECK(line_with(text.out, "ghost", "open"));
  CHECK(line_with(text.out, "/ghost", "open"));  // breakers are per route
  CHECK(line_with(text.out, "orders", "closed"));

  auto json = c.ctl({"status", "--admin", admin_url, "--json"});
  INFO(json.describe());
  CHECK(json.exit_code == 0);
  REQUIRE(nlohmann::json::accept(json.out));
  auto parsed = nlohmann::json::parse(json.out);
  CHECK(parsed.is_object());
  const auto dump = parsed.dump();
  for (const auto* word : {"\"legacy\"", "\"orders\"", "\"ghost\"", "\"open\"", "\"closed\""}) {
    CHECK_MESSAGE(dump.find(word) != std::string::npos, "status --json lacks " << word);
  }

  // Nobody listening there: an error on stderr and a non-zero exit.
  auto nobody = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
  auto failed = c.ctl({"status", "--admin", nobody});
  INFO(failed.describe());
  CHECK(failed.exit_code != 0);
  CHECK(!failed.err.empty());
}
