// Integration: shadow traffic end to end — a route shadowed from the monolith (legacy-stub) to an
// extracted service (legacy-stub --variant extracted), the comparisons written by the router's
// background writer into the real rules database, and read back with `stranglerctl diff report`.
#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/support/cluster.h"
#include "tests/support/prometheus.h"
#include "tests/support/recording_upstream.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

// Starts the usual migration with the orders service playing the extracted variant.
Stub& init_extracted_orders(Cluster& c) {
  c.init_with_monolith();
  auto& orders = c.start_stub("orders-svc", {"--variant", "extracted"});
  c.ctl_ok({"target", "add", "orders", orders.url});
  c.ctl_ok({"route", "add", "/orders", "--to", "legacy"});
  return orders;
}

Json report(const Cluster& c, const std::string& route) {
  auto result = c.ctl_ok({"diff", "report", "--route", route, "--json"});
  auto json = Json::parse(result.out);
  REQUIRE(json.contains("routes"));
  for (const auto& entry : json["routes"]) {
    if (entry.value("route", "") == route) return entry;
  }
  return Json::object({{"comparisons", 0}, {"shadow_errors", 0}, {"skipped", 0}});
}

// Waits until the route's report counts `count` comparisons plus shadow errors (the writer
// flushes every quarter second); returns the report. The shadow threads run at idle priority, so
// while other tests keep both cores busy the copies trickle (16 of 20 in 8 s once, in CI).
Json wait_for_report(const Cluster& c, const std::string& route, std::int64_t count,
                     std::chrono::milliseconds timeout = 30s) {
  Json last;
  wait_until(
      [&] {
        last = report(c, route);
        return last.value("comparisons", 0) + last.value("shadow_errors", 0) >= count;
      },
      timeout);
  return last;
}

std::set<std::string> difference_paths(const Json& route_report) {
  std::set<std::string> paths;
  for (const auto& d : route_report["top_differences"]) paths.insert(d["path"].get<std::string>());
  return paths;
}

void get_orders(httplib::Client& client, int count) {
  for (int i = 1; i <= count; ++i) {
    auto res = client.Get("/orders/" + std::to_string(i));
    REQUIRE(res);
    REQUIRE(res->status == 200);
    REQUIRE(served_by(res) == "monolith");
  }
}

}  // namespace

TEST_CASE("shadow: the extracted variant's documented differences are found by path") {
  Cluster c;
  init_extracted_orders(c);
  c.ctl_ok({"route", "shadow", "/orders", "--to", "orders"});
  c.start_router();
  auto client = c.client();
  get_orders(client, 20);

  auto r = wait_for_report(c, "/orders", 20);
  INFO("report: " << r.dump());
  CHECK(r["comparisons"] == 20);
  CHECK(r["mismatches"] == 20);
  CHECK(r["match_rate"] == 0.0);
  CHECK(r["status_mismatches"] == 0);
  auto paths = difference_paths(r);
  INFO("differences: " << r["top_differences"].dump());
  CHECK(paths.count("$.customer.email") == 1);          // renamed: missing in the shadow
  CHECK(paths.count("$.customer.email_address") == 1);  // ... and extra there
  CHECK(paths.count("$.status") == 1);                  // upper-cased
  CHECK(paths.count("$.api_version") == 1);             // extra field
  bool price_type =
      std::any_of(r["top_differences"].begin(), r["top_differences"].end(), [](const Json& d) {
        auto path = d["path"].get<std::string>();
        return path.find(".price") != std::string::npos && d["kind"] == "type";
      });
  CHECK(price_type);  // number became string
  for (const auto& d : r["top_differences"]) CHECK(d["example_id"].get<std::int64_t>() > 0);

  // `diff show` prints one of them with both statuses and the differing paths.
  auto id = r["top_differences"][0]["example_id"].get<std::int64_t>();
  auto shown = c.ctl_ok({"diff", "show", std::to_string(id)});
  CHECK(shown.out.find("/orders/") != std::string::npos);
  CHECK(shown.out.find("$.status") != std::string::npos);
}

TEST_CASE("shadow: ignored paths are gone from the next report") {
  Cluster c;
  init_extracted_orders(c);
  c.ctl_ok({"route", "shadow", "/orders", "--to", "orders"});
  c.start_router();
  auto client = c.client();
  get_orders(client, 5);
  auto before = difference_paths(wait_for_report(c, "/orders", 5));
  REQUIRE(before.count("$.status") == 1);
  REQUIRE(before.count("$.api_version") == 1);

  c.ctl_ok({"diff", "ignore", "/orders", "$.status"});
  c.ctl_ok({"diff", "ignore", "/orders", "$.api_version"});
  auto after = difference_paths(report(c, "/orders"));
  CHECK(after.count("$.status") == 0);
  CHECK(after.count("$.api_version") == 0);
  CHECK(after.count("$.customer.email") == 1);  // not ignored, still there
}

TEST_CASE("shadow: identical services match, and the gate opens only after enough samples") {
  Cluster c;
  c.init_with_monolith();
  auto& twin = c.start_stub("customers-svc");  // the legacy variant: answers alike
  c.ctl_ok({"target", "add", "customers", twin.url});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/customers", "--to", "customers"});
  // The stub stamps every answer with the time it was made: the one known difference.
  c.ctl_ok({"diff", "ignore", "/customers", "$.meta.generated_at"});
  c.start_router();
  auto client = c.client();
  for (int i = 1; i <= 10; ++i) REQUIRE(client.Get("/customers/" + std::to_string(i)));
  auto r = wait_for_report(c, "/customers", 10);
  CHECK(r["comparisons"] == 10);
  CHECK(r["matches"] == 10);
  CHECK(r["match_rate"] == 1.0);

  auto refused = c.ctl({"route", "flip", "/customers", "--to", "customers", "--min-samples", "30"});
  CHECK(refused.exit_code == 1);
  CHECK(is_one_line(refused.err));
  CHECK(refused.err.find("10") != std::string::npos);  // says how many it has
  CHECK(served_by(client.Get("/customers/1")) == "monolith");

  for (int i = 11; i <= 40; ++i) REQUIRE(client.Get("/customers/" + std::to_string(i)));
  wait_for_report(c, "/customers", 40);
  c.ctl_ok({"route", "flip", "/customers", "--to", "customers", "--min-samples", "30"});
  // Live at the reloader's next poll; the bound only ends a wait that failed (a loaded machine
  // running the sanitized suite took over 2 s).
  auto moved =
      wait_until([&] { return served_by(client.Get("/customers/1")) == "customers-svc"; }, 10s);
  CHECK(moved.has_value());
}

TEST_CASE("shadow: the gate refuses a low match rate unless forced, and history says forced") {
  Cluster c;
  init_extracted_orders(c);
  c.ctl_ok({"route", "shadow", "/orders", "--to", "orders"});
  c.start_router();
  auto client = c.client();
  get_orders(client, 10);
  wait_for_report(c, "/orders", 10);
  auto refused = c.ctl({"route", "flip", "/orders", "--to", "orders", "--min-samples", "5"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("match") != std::string::npos);
  c.ctl_ok({"route", "flip", "/orders", "--to", "orders", "--min-samples", "5", "--force"});
  auto history = c.ctl_ok({"history"});
  CHECK(history.out.find("force") != std::string::npos);
}

TEST_CASE("shadow: POST is not mirrored by default; copies carry X-Strangler-Shadow and Host") {
  Cluster c;
  c.init_with_monolith();
  RecordingUpstream shadow;
  c.ctl_ok({"target", "add", "recorder", shadow.url()});
  c.ctl_ok({"route", "add", "/echo", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/echo", "--to", "recorder"});
  c.start_router();
  auto client = c.client();
  auto post = client.Post("/echo/new", R"({"sku":"A-1"})", "application/json");
  REQUIRE(post);
  CHECK(post->status == 200);
  auto get = client.Get("/echo/thing?x=1", httplib::Headers{{"X-Trace", "t-1"}});
  REQUIRE(get);
  CHECK(get->status == 200);

  auto seen = shadow.wait_for_requests(1);
  // A grace period, not a proof: the router counts no request it declines to mirror for its
  // method, so there is no event to wait for that shows a POST copy was never made.
  std::this_thread::sleep_for(300ms);
  seen = shadow.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == "/echo/thing?x=1");
  CHECK(seen[0].head.get("X-Strangler-Shadow").value_or("") == "1");
  CHECK(seen[0].head.get("X-Trace").value_or("") == "t-1");
  CHECK(seen[0].head.get("Host").value_or("") == "127.0.0.1:" + std::to_string(c.router_port()));
}

TEST_CASE("shadow: named methods are mirrored with their bodies, and the CLI warns") {
  Cluster c;
  c.init_with_monolith();
  RecordingUpstream shadow;
  c.ctl_ok({"target", "add", "recorder", shadow.url()});
  c.ctl_ok({"route", "add", "/echo", "--to", "legacy"});
  auto shadowed =
      c.ctl_ok({"route", "shadow", "/echo", "--to", "recorder", "--methods", "GET,POST"});
  CHECK(shadowed.err.find("twice") != std::string::npos);
  c.start_router();
  auto client = c.client();
  auto post = client.Post("/echo/new", R"({"sku":"A-1"})", "application/json");
  REQUIRE(post);
  auto seen = shadow.wait_for_requests(1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].body == R"({"sku":"A-1"})");
}

TEST_CASE("shadow: a shadow target that is down or slow changes nothing for clients") {
  Cluster c;
  c.init_with_monolith();
  auto& slow = c.start_stub("slow-svc", {"--latency-ms", "1500"});
  c.ctl_ok({"target", "add", "slow", slow.url, "--timeout-ms", "3000"});
  c.ctl_ok({"target", "add", "down", "http://127.0.0.1:1", "--connect-timeout-ms", "200"});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.ctl_ok({"route", "add", "/inventory", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/customers", "--to", "slow"});
  c.ctl_ok({"route", "shadow", "/inventory", "--to", "down"});
  c.start_router();
  auto client = c.client();
  client.set_keep_alive(true);
  auto slowest = 0ms;
  for (int i = 1; i <= 10; ++i) {
    for (auto path : {"/customers/" + std::to_string(i),
                      "/inventory/reservations/order/" + std::to_string(i)}) {
      auto started = std::chrono::steady_clock::now();
      auto res = client.Get(path);
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(served_by(res) == "monolith");
      slowest = std::max(slowest, took);
    }
  }
  MESSAGE("slowest client request: " << slowest.count() << " ms (the slow shadow takes 1500 ms)");
  CHECK(slowest < 1000ms);
  auto down = wait_for_report(c, "/inventory", 10);
  CHECK(down["shadow_errors"] == 10);
  CHECK(down["comparisons"] == 0);
  auto slow_report = wait_for_report(c, "/customers", 10);
  CHECK(slow_report["comparisons"] == 10);
  CHECK(slow_report["shadow_p50_ms"].get<double>() >= 1400);
  CHECK(slow_report["primary_p99_ms"].get<double>() < 1000);
}

TEST_CASE("shadow: copies beyond the shadow's capacity are dropped and counted, never waited for") {
  Cluster c;
  c.init_with_monolith();
  auto& slow = c.start_stub("slow-svc", {"--latency-ms", "800"});
  c.ctl_ok({"target", "add", "slow", slow.url});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/customers", "--to", "slow"});
  c.start_router({"--shadow-queue", "2", "--shadow-max-in-flight", "1"});
  auto client = c.client();
  client.set_keep_alive(true);
  constexpr int kRequests = 20;
  auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= kRequests; ++i) {
    auto res = client.Get("/customers/" + std::to_string(i));
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  auto took = std::chrono::steady_clock::now() - started;
  MESSAGE("20 requests with one slow copy in flight at a time: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(took < 800ms);  // not even one shadow's latency
  // Every sampled request is accounted for: compared, or dropped (queue full or in-flight cap).
  Json last;
  wait_until(
      [&] {
        last = report(c, "/customers");
        return last.value("comparisons", 0) + last.value("dropped", 0) == kRequests;
      },
      8s);
  INFO(last.dump());
  CHECK(last.value("comparisons", 0) + last.value("dropped", 0) == kRequests);
  CHECK(last.value("comparisons", 0) >= 1);
  CHECK(last.value("dropped", 0) >= kRequests - 4);
  auto metrics = c.admin_client().Get("/metrics");
  REQUIRE(metrics);
  auto scrape = parse_prometheus(metrics->body, c.dir());
  CHECK(scrape.sum("strangler_shadow_dropped_total", {{"route", "/customers"}}) ==
        last.value("dropped", 0));
}

TEST_CASE("shadow: sampling is deterministic and near the percent") {
  Cluster c;
  c.init_with_monolith();
  RecordingUpstream shadow;
  c.ctl_ok({"target", "add", "recorder", shadow.url()});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/customers", "--to", "recorder", "--percent", "30"});
  c.start_router();
  auto client = c.client();
  client.set_keep_alive(true);
  constexpr int kRequests = 400;
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i <= kRequests; ++i) REQUIRE(client.Get("/customers/" + std::to_string(i)));
  }
  // Wait until the copies are settled: every request seen has both its copies, and the router
  // counts as finished (compared or failed) every copy the recorder received. Copies are sent in
  // order, so a first round still on its way leaves unpaired requests behind.
  std::vector<RecordedRequest> seen;
  std::map<std::string, int> per_target;
  auto settled = wait_until(
      [&] {
        seen = shadow.requests();
        per_target.clear();
        for (const auto& request : seen) ++per_target[request.target];
        if (seen.empty()) return false;
        for (const auto& [target, count] : per_target) {
          if (count != 2) return false;
        }
        auto metrics = c.admin_client().Get("/metrics");
        if (!metrics) return false;
        auto scrape = parse_prometheus(metrics->body, c.dir());
        auto finished =
            scrape.sum("strangler_shadow_comparisons_total", {{"route", "/customers"}}) +
            scrape.sum("strangler_shadow_errors_total", {{"route", "/customers"}});
        return finished == static_cast<double>(seen.size());
      },
      30s);
  CHECK(settled.has_value());
  double share = static_cast<double>(per_target.size()) / kRequests;
  MESSAGE("distinct requests shadowed at 30%: " << per_target.size() << " of " << kRequests);
  CHECK(share > 0.22);
  CHECK(share < 0.38);
  for (const auto& [target, count] : per_target) CHECK_MESSAGE(count == 2, target);
}

TEST_CASE("shadow: the noise check finds a field that changes on every call") {
  Cluster c;
  c.init_with_monolith();
  auto& twin = c.start_stub("orders-twin");
  c.ctl_ok({"target", "add", "twin", twin.url});
  c.ctl_ok({"route", "add", "/orders", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/orders", "--to", "twin", "--noise-check"});
  c.start_router();
  auto client = c.client();
  get_orders(client, 10);
  auto r = wait_for_report(c, "/orders", 10);
  INFO("report: " << r.dump());
  REQUIRE(r["noisy_paths"].size() >= 1);
  bool timestamp = false;
  for (const auto& path : r["noisy_paths"]) {
    timestamp |= path.get<std::string>().find("generated_at") != std::string::npos;
  }
  CHECK(timestamp);
  // Twins differ only in noise, so after the noise is known every comparison matches.
  CHECK(r["matches"] == r["comparisons"]);
}

TEST_CASE("shadow: retention keeps at most --shadow-keep-per-route comparisons") {
  Cluster c;
  c.init_with_monolith();
  auto& twin = c.start_stub("customers-svc");
  c.ctl_ok({"target", "add", "customers", twin.url});
  c.ctl_ok({"route", "add", "/customers", "--to", "legacy"});
  c.ctl_ok({"route", "shadow", "/customers", "--to", "customers"});
  c.start_router({"--shadow-keep-per-route", "15"});
  auto client = c.client();
  for (int i = 1; i <= 10; ++i) REQUIRE(client.Get("/customers/" + std::to_string(i)));
  wait_for_report(c, "/customers", 10);
  for (int i = 11; i <= 40; ++i) REQUIRE(client.Get("/customers/" + std::to_string(i)));
  // The metrics count every comparison; the table keeps only the newest 15. The bounds only end
  // a wait that failed: with both cores busy running other tests, 30 copies took over 5 s.
  std::string metrics_text;
  auto counted = wait_until(
      [&] {
        auto metrics = c.admin_client().Get("/metrics");
        metrics_text = metrics ? metrics->body : "";
        return metrics_text.find("strangler_shadow_comparisons_total{route=\"/customers\"} 40") !=
               std::string::npos;
      },
      30s);
  REQUIRE_MESSAGE(counted.has_value(), "40 comparisons never counted:\n" << metrics_text);
  // The 40th comparison is stored (ids count from 1 in a fresh database): the batch that wrote it
  // trimmed the table in the same transaction.
  auto stored = wait_until([&] { return c.ctl({"diff", "show", "40"}).exit_code == 0; }, 30s);
  REQUIRE_MESSAGE(stored.has_value(), "comparison #40 never reached the database");
  auto r = report(c, "/customers");
  CHECK(r["comparisons"] == 15);
}

TEST_CASE("shadow: /admin/traffic and status show each shadowed route's match rate") {
  Cluster c;
  init_extracted_orders(c);
  c.ctl_ok({"route", "shadow", "/orders", "--to", "orders"});
  c.start_router();
  auto client = c.client();
  get_orders(client, 4);
  wait_for_report(c, "/orders", 4);
  auto traffic = c.admin_client().Get("/admin/traffic");
  REQUIRE(traffic);
  auto json = Json::parse(traffic->body);
  REQUIRE(json["shadows"].size() == 1);
  CHECK(json["shadows"][0]["route"] == "/orders");
  CHECK(json["shadows"][0]["target"] == "orders");
  CHECK(json["shadows"][0]["compared"] == 4);
  CHECK(json["shadows"][0]["match_rate"] == 0.0);
  auto status =
      c.ctl_ok({"status", "--admin", "http://127.0.0.1:" + std::to_string(c.admin_port())});
  CHECK(status.out.find("/orders") != std::string::npos);
  CHECK(status.out.find("0.0% match") != std::string::npos);
}

namespace {

// Scheduling policy and nice value of the router's thread called `name` (from /proc): fields 41
// and 19 of its stat line.
std::pair<int, int> thread_policy_and_nice(pid_t pid, const std::string& name) {
  namespace fs = std::filesystem;
  for (const auto& task :
       fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // fields from the third on
    std::vector<std::string> fields{std::istream_iterator<std::string>(rest), {}};
    REQUIRE(fields.size() > 38);
    return {std::stoi(fields[41 - 3]), std::stoi(fields[19 - 3])};
  }
  FAIL("no thread named " << name);
  return {};
}

constexpr int kSchedOther = 0;
constexpr int kSchedIdle = 5;

}  // namespace

TEST_CASE(
    "shadow: shadow threads take only spare CPU by default; --shadow-priority low is nice 5") {
  auto help = run_process(STRANGLER_ROUTER_BIN, {"--help"});
  REQUIRE(help.exit_code == 0);
  auto line_start = help.out.find("--shadow-priority");
  REQUIRE(line_start != std::string::npos);
  auto line = help.out.substr(line_start, help.out.find('\n', line_start) - line_start);
  INFO(line);
  CHECK(line.find("[idle]") != std::string::npos);  // the default, as CLI11 prints it

  for (auto [priority, policy, nice] :
       {std::tuple{"idle", kSchedIdle, 0}, std::tuple{"low", kSchedOther, 5},
        std::tuple{"normal", kSchedOther, 0}}) {
    CAPTURE(priority);
    Cluster c;
    c.init_with_monolith();
    auto& router = c.start_router({"--shadow-priority", priority});
    for (const char* name : {"shadow-send", "shadow-compare"}) {
      CAPTURE(name);
      CHECK(thread_policy_and_nice(router.pid(), name) == std::pair{policy, nice});
    }
    // The I/O threads stay as they were.
    CHECK(thread_policy_and_nice(router.pid(), "strangler-route").first == kSchedOther);
  }
}
