// Integration: today's URLs keep working. A monolith and an extracted service that serve
// GitLab-style paths (/api/v4/projects/group%2Fproject) get exactly the raw target the client
// sent, through the default legacy route and through a route to the service, and the shadow copy
// carries the same target. --encoded-slash reject restores the strict 400, counted and logged as
// "encoded-slash"; NUL, malformed escapes and ".." above the root are refused either way,
// counted and logged as "bad-target".
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/cluster.h"
#include "tests/support/raw_http.h"
#include "tests/support/recording_upstream.h"
#include "tests/support/router_files.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// A GitLab-like upstream: project paths answer 200 with the raw target they arrived with.
std::string gitlab_like(const RecordedRequest& request) {
  if (request.target.rfind("/api/v4/", 0) != 0) return RecordingUpstream::response(404, {}, "");
  return RecordingUpstream::response(200, {}, request.target);
}

std::string get(const std::string& target, const std::string& request_id) {
  return "GET " + target + " HTTP/1.1\r\nHost: git.example\r\nX-Request-Id: " + request_id +
         "\r\n\r\n";
}

// A monolith, an extracted "projects" service with a shadow recorder, and the router.
struct GitCluster {
  explicit GitCluster(const std::vector<std::string>& router_args)
      : monolith(gitlab_like), projects(gitlab_like), shadow(gitlab_like) {
    c.ctl_ok({"init", "--legacy", monolith.url()});
    c.ctl_ok({"target", "add", "projects", projects.url()});
    c.ctl_ok({"target", "add", "recorder", shadow.url()});
    c.ctl_ok({"route", "add", "/api/v4/projects/*", "--to", "projects"});
    c.ctl_ok({"route", "shadow", "/api/v4/projects/*", "--to", "recorder"});
    std::vector<std::string> args = router_args;
    args.insert(args.end(), {"--access-log", log().string()});
    c.start_router(args);
  }
  std::filesystem::path log() const { return logs.path() / "access.log"; }

  TempDir logs;
  RecordingUpstream monolith;  // declared before the cluster: outlive the router
  RecordingUpstream projects;
  RecordingUpstream shadow;
  Cluster c;
};

struct Refusal {
  std::string target;
  std::string reason;  // the metrics and access-log label
};

// Sends each refused target, and checks the 400, the access log and the count in /metrics.
void check_refusals(GitCluster& g, const std::vector<Refusal>& refusals) {
  std::map<std::string, int> counted;
  for (std::size_t i = 0; i < refusals.size(); ++i) {
    const auto& refusal = refusals[i];
    CAPTURE(refusal.target);
    auto id = "refused-" + std::to_string(i);
    auto response = raw_request(g.c.router_port(), get(refusal.target, id));
    CHECK(response.status == 400);
    CHECK(response.header("X-Request-Id") == id);
    auto line = wait_for_log_line(g.log(), id);
    CHECK(line["status"] == 400);
    CHECK(line["refusal"] == refusal.reason);
    auto sample = "strangler_refusals_total{code=\"400\",reason=\"" + refusal.reason + "\"} " +
                  std::to_string(++counted[refusal.reason]) + "\n";
    CHECK_MESSAGE(
        wait_until([&] { return metrics_text(g.c).find(sample) != std::string::npos; }, 5s),
        sample);
  }
}

}  // namespace

TEST_CASE("encoded path: %2F, %5C, %3B reach legacy and a service exactly as sent") {
  GitCluster g({});
  struct Case {
    std::string target;
    std::string served_by;  // X-Strangler-Target
  };
  const std::vector<Case> cases = {
      {"/api/v4/projects/group%2Fproject", "projects"},
      {"/api/v4/projects/group%2Fsub%2Fproject/repository/files/a%2Fb.txt?ref=main%2Fx",
       "projects"},
      {"/api/v4/projects/a%5Cb%3Bc", "projects"},
      // a kept %2F never makes a segment boundary: these are not below /api/v4/projects
      {"/api/v4/projects%2Fgroup", "legacy"},
      {"/api/v4/groups/group%2Fsub/projects", "legacy"},
      {"/api/v4/users/me%3Bv=1/keys%5C1", "legacy"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    CAPTURE(c.target);
    auto response = raw_request(g.c.router_port(), get(c.target, "kept-" + std::to_string(i)));
    CHECK(response.status == 200);
    CHECK(response.header("X-Strangler-Target") == c.served_by);
    CHECK(response.body == c.target);  // the upstream saw exactly the raw target
  }
  // The shadow copies of the projects requests carry the primary's targets, byte for byte.
  auto copies = g.shadow.wait_for_requests(3);
  std::multiset<std::string> shadowed;
  for (const auto& copy : copies) shadowed.insert(copy.target);
  CHECK(shadowed == std::multiset<std::string>{cases[0].target, cases[1].target, cases[2].target});
  CHECK(g.projects.requests().size() == 3);
  CHECK(g.monolith.requests().size() == 3);

  // Lower-case hex is written upper-case, as for every escape the router keeps.
  auto lower = raw_request(g.c.router_port(), get("/api/v4/projects/group%2fproject", "lower"));
  CHECK(lower.body == "/api/v4/projects/group%2Fproject");

  // What never has a safe meaning is still refused, counted and logged.
  check_refusals(g, {{"/api/v4/projects/a%00b", "bad-target"},
                     {"/api/v4/projects/a%zzb", "bad-target"},
                     {"/../..", "bad-target"},
                     {"/api/v4/projects/x/../../../../../etc", "bad-target"}});
}

TEST_CASE("encoded path: --encoded-slash reject answers 400, counted and logged") {
  GitCluster g({"--encoded-slash", "reject"});
  check_refusals(g, {{"/api/v4/projects/group%2Fproject", "encoded-slash"},
                     {"/api/v4/groups/a%2fb", "encoded-slash"},
                     {"/a%5Cb", "encoded-slash"},
                     {"/a%3bb", "encoded-slash"},
                     {"/a%00b", "bad-target"},
                     {"/a%zz", "bad-target"},
                     {"/../..", "bad-target"}});
  CHECK(g.monolith.bytes_received() == 0);
  CHECK(g.projects.bytes_received() == 0);
  auto plain = raw_request(g.c.router_port(), get("/api/v4/projects/7", "plain"));
  CHECK(plain.status == 200);
  CHECK(plain.body == "/api/v4/projects/7");
}
