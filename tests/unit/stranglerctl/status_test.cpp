// stranglerctl status against a canned admin API: a small cpp-httplib server on 127.0.0.1 port 0
// in this process serves fixed JSON for /admin/rules, /admin/breakers and /admin/traffic (the
// one fake these unit tests allow). Checks the summary, the table, --json, the token, endpoints
// that an older router lacks, shadows only when reported, and the one-line failures.
#include <doctest/doctest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "rules/rule_json.h"
#include "tools/stranglerctl/cli.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/status.h"

using namespace strangler;
using namespace strangler::ctl;

namespace {

// Serves `answers[path]` (status and body) for GET path; 404 for anything else.
class CannedAdmin {
 public:
  struct Answer {
    int status = 200;
    std::string body;
  };

  CannedAdmin() {
    server_.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      authorization_ = request.get_header_value("Authorization");
      auto it = answers_.find(request.path);
      if (it == answers_.end()) {
        response.status = 404;
        response.set_content(R"({"error":"not found"})", "application/json");
        return;
      }
      response.status = it->second.status;
      response.set_content(it->second.body, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~CannedAdmin() {
    server_.stop();
    thread_.join();
  }
  CannedAdmin(const CannedAdmin&) = delete;
  CannedAdmin& operator=(const CannedAdmin&) = delete;

  void answer(const std::string& path, const Json& body, int status = 200) {
    std::lock_guard lock(mutex_);
    answers_[path] = {status, body.dump()};
  }
  void answer_raw(const std::string& path, const std::string& body, int status = 200) {
    std::lock_guard lock(mutex_);
    answers_[path] = {status, body};
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string authorization() {
    std::lock_guard lock(mutex_);
    return authorization_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, Answer> answers_;
  std::string authorization_;
};

Route route(std::int64_t id, const std::string& pattern, const std::string& target,
            const std::string& split_target = "", int percent = 0) {
  Route r;
  r.id = id;
  r.pattern = parse_pattern(pattern, false);
  r.target = target;
  r.split_target = split_target;
  r.split_percent = percent;
  return r;
}

// A migration under way: two routes on legacy, one moved to orders, one split 20% to payments,
// one moved to orders with a share on payments.
Json canned_rules() {
  Json targets = Json::array();
  for (const char* name : {"legacy", "orders", "payments"}) {
    targets.push_back(target_to_json(Target{name, "http://127.0.0.1:9001"}));
  }
  Json routes = Json::array();
  routes.push_back(route_to_json(route(1, "/", "legacy")));
  routes.push_back(route_to_json(route(2, "/customers", "legacy")));
  routes.push_back(route_to_json(route(3, "/orders", "orders")));
  routes.push_back(route_to_json(route(4, "/pay", "legacy", "payments", 20)));
  routes.push_back(route_to_json(route(5, "/refunds", "orders", "payments", 50)));
  return {{"version", 12}, {"targets", targets}, {"routes", routes}};
}

Json canned_breakers() {
  return {{"targets",
           {{{"name", "orders"},
             {"route", "/orders"},
             {"route_id", 3},
             {"state", "open"},
             {"since", "2024-05-01T12:00:00Z"},
             {"window", {{"calls", 20}, {"failures", 7}}},
             {"last_failure", "connect refused"}},
            {{"name", "payments"},
             {"route", "/pay"},
             {"route_id", 4},
             {"state", "closed"},
             {"since", "2024-05-01T11:00:00Z"},
             {"window", {{"calls", 12}, {"failures", 0}}},
             {"last_failure", nullptr}}}}};
}

Json canned_traffic() {
  return {{"window_seconds", 300},
          {"targets",
           {{{"name", "legacy"}, {"requests", 600}},
            {{"name", "orders"}, {"requests", 300}},
            {{"name", "payments"}, {"requests", 100}}}}};
}

struct AdminFixture {
  CannedAdmin admin;
  AdminFixture() {
    admin.answer("/admin/rules", canned_rules());
    admin.answer("/admin/breakers", canned_breakers());
    admin.answer("/admin/traffic", canned_traffic());
  }
  std::string run(StatusArgs args = {}) {
    if (args.admin_url.empty()) args.admin_url = admin.url();
    std::ostringstream out;
    CHECK(status(args, out) == 0);
    return out.str();
  }
};

struct CliResult {
  int status;
  std::string out;
  std::string err;
};

CliResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), "stranglerctl");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  int status =
      run_cli(static_cast<int>(argv.size()), argv.data(), CliEnvironment{{}, "tester"}, out, err);
  return {status, out.str(), err.str()};
}

// A loopback port that nothing listens on any more: a server's, stopped (which closes it).
std::string closed_port_url() {
  std::string url;
  { url = CannedAdmin().url(); }
  return url;
}

}  // namespace

TEST_CASE("status summarizes routes per target, the traffic share and the breakers") {
  AdminSnapshot snapshot{"http://127.0.0.1:8081", canned_rules(), canned_breakers(),
                         canned_traffic()};
  Json summary = status_summary(snapshot);
  CHECK(summary["admin"] == "http://127.0.0.1:8081");
  CHECK(summary["rules_version"] == 12);
  CHECK(summary["routes"] ==
        Json({{"total", 5}, {"on_legacy", 2}, {"moved", 2}, {"splitting", 1}}));
  REQUIRE(summary["targets"].size() == 3);
  CHECK(summary["targets"][0] == Json({{"name", "legacy"},
                                       {"routes", 3},
                                       {"split_shares", 0},
                                       {"requests", 600},
                                       {"share_percent", 60.0}}));
  CHECK(summary["targets"][1]["routes"] == 2);
  CHECK(summary["targets"][2]["split_shares"] == 2);
  CHECK(summary["targets"][2]["share_percent"] == 10.0);
  CHECK(summary["traffic"] == Json({{"window_seconds", 300},
                                    {"requests", 1000},
                                    {"legacy_requests", 600},
                                    {"extracted_requests", 400},
                                    {"extracted_percent", 40.0}}));
  CHECK(summary["breakers"] == canned_breakers()["targets"]);
  CHECK_FALSE(summary.contains("shadows"));
}

TEST_CASE("status prints the migration at a glance") {
  AdminFixture f;
  CHECK(f.run() == "router " + f.admin.url() +
                       ", rules version 12\n"
                       "routes: 5 (2 on legacy, 2 moved, 1 splitting)\n"
                       "traffic, last 300 s: 40.0% served by extracted services, 60.0% by legacy "
                       "(1000 requests)\n"
                       "\n"
                       "TARGET    ROUTES  SPLIT SHARES  REQUESTS  SHARE\n"
                       "legacy    3       0             600       60.0%\n"
                       "orders    2       0             300       30.0%\n"
                       "payments  0       2             100       10.0%\n"
                       "\n"
                       "BREAKER   ROUTE    STATE   SINCE                 FAILURES/CALLS  LAST "
                       "FAILURE\n"
                       "orders    /orders  open    2024-05-01T12:00:00Z  7/20            connect "
                       "refused\n"
                       "payments  /pay     closed  2024-05-01T11:00:00Z  0/12            -\n");
}

TEST_CASE("status --json prints the summary as one JSON object") {
  AdminFixture f;
  auto result = cli({"status", "--admin", f.admin.url(), "--json"});
  CHECK(result.status == 0);
  CHECK(result.err.empty());
  Json json = Json::parse(result.out);
  CHECK(json.is_object());
  CHECK(json["routes"]["splitting"] == 1);
  CHECK(json["traffic"]["extracted_percent"] == 40.0);
  CHECK(json["breakers"][0]["state"] == "open");
  CHECK(json["targets"][1]["name"] == "orders");
  // The global --json before the command works too, and no --db is needed.
  CHECK(Json::parse(cli({"--json", "status", "--admin", f.admin.url()}).out)["rules_version"] ==
        12);
}

TEST_CASE("status sends --admin-token as a bearer token, and says so when refused") {
  AdminFixture f;
  f.run({f.admin.url(), "s3cret"});
  CHECK(f.admin.authorization() == "Bearer s3cret");
  f.run();
  CHECK(f.admin.authorization().empty());
  f.admin.answer("/admin/breakers", {{"error", "admin token required"}}, 401);
  std::ostringstream refused;
  CHECK_THROWS_WITH_AS(status({f.admin.url()}, refused),
                       ("the admin API at " + f.admin.url() +
                        " refused GET /admin/breakers (401 admin token required); give "
                        "--admin-token")
                           .c_str(),
                       AdminError);
}

TEST_CASE("status reports endpoints that this router does not serve, and no requests yet") {
  CannedAdmin admin;
  admin.answer("/admin/rules", canned_rules());
  StatusArgs args{admin.url()};
  std::ostringstream out;
  status(args, out);
  CHECK(out.str().find("traffic: not reported by this router (no /admin/traffic)\n") !=
        std::string::npos);
  CHECK(out.str().find("breakers: not reported by this router (no /admin/breakers)\n") !=
        std::string::npos);
  CHECK(out.str().find("legacy    3       0             -         -\n") != std::string::npos);
  Json summary = status_summary(fetch_admin_snapshot(args));
  CHECK(summary["traffic"].is_null());
  CHECK(summary["breakers"].is_null());
  CHECK(summary["targets"][0]["requests"].is_null());

  admin.answer("/admin/traffic", {{"window_seconds", 300}, {"targets", Json::array()}});
  admin.answer("/admin/breakers", {{"targets", Json::array()}});
  std::ostringstream quiet;
  status(args, quiet);
  CHECK(quiet.str().find("traffic, last 300 s: no requests\n") != std::string::npos);
  CHECK(quiet.str().find("breakers: none reported\n") != std::string::npos);
  CHECK(quiet.str().find("payments  0       2             0         -\n") != std::string::npos);
}

TEST_CASE("status shows shadows only when the admin API reports them") {
  AdminFixture f;
  CHECK(f.run().find("shadow") == std::string::npos);
  Json traffic = canned_traffic();
  traffic["shadows"] = {{{"route", "/orders"},
                         {"target", "orders-v2"},
                         {"percent", 100},
                         {"match_rate", 0.975},
                         {"compared", 200},
                         {"matched", 195},
                         {"errors", 3},
                         {"dropped", 0},
                         {"skipped", 1}},
                        {{"route", "/pay"},
                         {"target", "payments"},
                         {"percent", 10},
                         {"match_rate", nullptr},
                         {"compared", 0},
                         {"matched", 0},
                         {"errors", 0},
                         {"dropped", 0},
                         {"skipped", 0}}};
  f.admin.answer("/admin/traffic", traffic);
  std::string text = f.run();
  CHECK(
      text.find("\nshadows:\n"
                "  /orders → orders-v2 at 100%: 97.5% match (195/200); 3 errors, 0 dropped, 1 "
                "skipped\n"
                "  /pay → payments at 10%: no comparisons yet; 0 errors, 0 dropped, 0 skipped\n") !=
      std::string::npos);
  CHECK(Json::parse(cli({"status", "--admin", f.admin.url(), "--json"}).out)["shadows"] ==
        traffic["shadows"]);
}

TEST_CASE("an unreachable router is one line and exit 1") {
  std::string url = closed_port_url();
  auto port = url.substr(url.rfind(':') + 1);
  auto result = cli({"status", "--admin", url});
  CHECK(result.status == 1);
  CHECK(result.out.empty());
  CHECK(result.err == "stranglerctl: cannot reach the router's admin API at " + url +
                          " (connection refused or failed); is strangler-router running with "
                          "--admin 127.0.0.1:" +
                          port + "?\n");
}

TEST_CASE("status refuses other URLs, answers that are not the admin API's, and usage errors") {
  CHECK_THROWS_WITH_AS(fetch_admin_snapshot({"https://127.0.0.1:8081"}),
                       doctest::Contains("the admin API speaks plain http:// on loopback"),
                       AdminError);
  CHECK_THROWS_WITH_AS(fetch_admin_snapshot({"127.0.0.1:8081"}),
                       doctest::Contains("invalid --admin URL"), AdminError);

  CannedAdmin admin;
  admin.answer("/admin/rules", {{"error", "no rule set loaded yet"}}, 503);
  CHECK_THROWS_WITH_AS(fetch_admin_snapshot({admin.url()}),
                       ("the admin API at " + admin.url() +
                        " answered GET /admin/rules with 503 no rule set loaded yet")
                           .c_str(),
                       AdminError);
  admin.answer_raw("/admin/rules", "<html>hello</html>");
  CHECK_THROWS_WITH_AS(fetch_admin_snapshot({admin.url()}),
                       doctest::Contains("with something other than a JSON object"), AdminError);
  admin.answer("/admin/rules", {{"version", 1}, {"targets", "?"}});
  CHECK_THROWS_WITH_AS(status_summary(fetch_admin_snapshot({admin.url()})),
                       doctest::Contains("answered in an unexpected form"), AdminError);

  auto missing = cli({"status"});
  CHECK(missing.status == 2);
  CHECK(missing.err == "stranglerctl: --admin is required (see: stranglerctl --help)\n");
}

TEST_CASE("status says when the router serves stale rules") {
  Json health = {{"status", "alive"},
                 {"draining", false},
                 {"rules",
                  {{"version", 12},
                   {"loaded_at", "2024-05-01T12:00:00.000Z"},
                   {"stale", true},
                   {"stale_since", "2024-05-01T12:05:00.000Z"},
                   {"problem", "database is locked"}}}};
  AdminSnapshot snapshot{"http://127.0.0.1:8081", canned_rules(), canned_breakers(),
                         canned_traffic(), health};
  Json summary = status_summary(snapshot);
  CHECK(summary["rules"]["stale"] == true);
  std::ostringstream out;
  render_status(summary, out);
  CHECK(out.str().find("rules: STALE since 2024-05-01T12:05:00.000Z: the router cannot read its "
                       "database and serves its last good rules (database is locked)\n") !=
        std::string::npos);

  SUBCASE("fresh rules, or a router without the report, add no line") {
    snapshot.health["rules"]["stale"] = false;
    std::ostringstream fresh;
    render_status(status_summary(snapshot), fresh);
    CHECK(fresh.str().find("STALE") == std::string::npos);
    snapshot.health = nullptr;
    CHECK_FALSE(status_summary(snapshot).contains("rules"));
  }
}
