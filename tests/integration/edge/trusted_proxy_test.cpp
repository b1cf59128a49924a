// Integration: behind a load balancer. With --trusted-proxy naming the peer (here 127.0.0.1, the
// test playing the load balancer), X-Forwarded-Proto and X-Forwarded-Host pass as the balancer
// set them, X-Forwarded-For and Forwarded are both appended with the router's hop, and the client
// address that the split hashes and the access log shows is the one X-Forwarded-For names.
// Without it, the router sets X-Forwarded-Proto/-Host itself, replaces Forwarded, and the client
// is the peer. A bad --trusted-proxy stops the start with a one-line error.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/raw_http.h"
#include "tests/support/recording_cluster.h"
#include "tests/support/router_files.h"

using namespace strangler::test;
using namespace std::chrono_literals;

namespace {

// What a TLS-terminating load balancer sends with X-Forwarded-For `chain` (its Forwarded names
// the first address of the chain).
std::string balanced_request(const std::string& path, const std::string& chain,
                             const std::string& request_id) {
  auto client = chain.substr(0, chain.find(','));
  return "GET " + path + " HTTP/1.1\r\nHost: router.internal:8080\r\nX-Forwarded-For: " + chain +
         "\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: www.example\r\nForwarded: for=" +
         client + ";proto=https;host=www.example\r\nX-Request-Id: " + request_id + "\r\n\r\n";
}

std::string joined(const HttpHead& head, const std::string& name) {
  std::string out;
  for (const auto& v : head.get_all(name)) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

TEST_CASE("trusted proxy: X-Forwarded-Proto/-Host kept, both lists appended, client logged") {
  TempDir logs;
  auto log = logs.path() / "access.log";
  RecordingCluster rc({}, {"--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", "10.0.0.0/8",
                           "--access-log", log.string()});
  auto response = raw_request(rc.c.router_port(),
                              balanced_request("/app", "198.51.100.7, 10.1.1.1", "lb-req-1"));
  CHECK(response.status == 200);
  auto head = rc.upstream.wait_for_requests(1).at(0).head;
  INFO(head.raw);
  CHECK(head.get_all("X-Forwarded-Proto") == std::vector<std::string>{"https"});
  CHECK(head.get_all("X-Forwarded-Host") == std::vector<std::string>{"www.example"});
  CHECK(joined(head, "X-Forwarded-For") == "198.51.100.7, 10.1.1.1, 127.0.0.1");
  CHECK(joined(head, "Forwarded") ==
        "for=198.51.100.7;proto=https;host=www.example, "
        "for=127.0.0.1;proto=http;host=\"router.internal:8080\"");

  // 10.1.1.1 is trusted too, so the client is the address before it.
  auto line = wait_for_log_line(log, "lb-req-1");
  CHECK(line["client"] == "198.51.100.7");
  CHECK(line["peer"] == "127.0.0.1");
}

TEST_CASE(
    "untrusted peer: X-Forwarded-Proto/-Host set, Forwarded replaced, the peer is the client") {
  TempDir logs;
  auto log = logs.path() / "access.log";
  RecordingCluster rc({}, {"--trusted-proxy", "10.0.0.0/8", "--access-log", log.string()});
  auto response =
      raw_request(rc.c.router_port(), balanced_request("/app", "198.51.100.7", "lb-req-2"));
  CHECK(response.status == 200);
  auto head = rc.upstream.wait_for_requests(1).at(0).head;
  INFO(head.raw);
  CHECK(head.get_all("X-Forwarded-Proto") == std::vector<std::string>{"http"});
  CHECK(head.get_all("X-Forwarded-Host") == std::vector<std::string>{"router.internal:8080"});
  CHECK(joined(head, "X-Forwarded-For") == "198.51.100.7, 127.0.0.1");
  CHECK(joined(head, "Forwarded") == "for=127.0.0.1;proto=http;host=\"router.internal:8080\"");

  auto line = wait_for_log_line(log, "lb-req-2");
  CHECK(line["client"] == "127.0.0.1");
  CHECK(line["peer"] == "127.0.0.1");
}

TEST_CASE("trusted proxy: the split hashes the X-Forwarded-For client, not the balancer") {
  RecordingUpstream legacy;
  RecordingUpstream fresh;
  // Each router on its own cluster, with the same rules: a 50 % split of /split without a
  // sticky header.
  auto split_cluster = [&](Cluster& c, const std::vector<std::string>& router_args) {
    c.ctl_ok({"init", "--legacy", legacy.url()});
    c.ctl_ok({"target", "add", "fresh", fresh.url()});
    c.ctl_ok({"route", "add", "/split", "--to", "legacy"});
    c.ctl_ok({"route", "flip", "/split", "--to", "fresh", "--percent", "50"});
    c.start_router(router_args);
  };
  std::vector<std::string> clients;
  for (int i = 1; i <= 24; ++i) clients.push_back("198.51.100." + std::to_string(i));
  int n = 0;
  auto side_of = [&](const Cluster& c, const std::string& client) {
    auto id = "split-" + std::to_string(n++);
    auto response = raw_request(c.router_port(), balanced_request("/split/x", client, id));
    REQUIRE(response.status == 200);
    return response.header("X-Strangler-Target").value_or("");
  };

  Cluster trusting;
  split_cluster(trusting, {"--trusted-proxy", "127.0.0.1"});
  std::map<std::string, std::string> first;
  for (const auto& client : clients) first[client] = side_of(trusting, client);
  std::set<std::string> sides;
  for (const auto& [client, side] : first) sides.insert(side);
  CHECK(sides == std::set<std::string>{"fresh", "legacy"});  // both halves of the split reached
  for (int round = 0; round < 2; ++round) {
    for (const auto& client : clients) {
      CAPTURE(client);
      CHECK(side_of(trusting, client) == first[client]);  // each client stays on its side
    }
  }

  // Without trusting the balancer every request is the balancer's: all on one side.
  Cluster not_trusting;
  split_cluster(not_trusting, {});
  std::set<std::string> untrusted_sides;
  for (const auto& client : clients) untrusted_sides.insert(side_of(not_trusting, client));
  CHECK(untrusted_sides.size() == 1);
}

TEST_CASE("trusted proxy: a bad block stops the start like any bad option, saying why") {
  Cluster c;
  RecordingUpstream upstream;
  c.ctl_ok({"init", "--legacy", upstream.url()});
  auto start = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--db",        c.db(),    "--listen",
                                     "127.0.0.1:0", "--admin", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(STRANGLER_ROUTER_BIN, args);
  };
  auto other_bad_option = start({"--threads", "999"});
  REQUIRE(other_bad_option.exit_code != 0);
  for (const char* bad : {"10.0.0.0/33", "10.0.0.1/8", "example.com", "2001:db8::/129", ""}) {
    CAPTURE(std::string(bad));
    auto result = start({"--trusted-proxy", bad});
    CHECK(result.exit_code == other_bad_option.exit_code);
    CHECK(result.out.empty());
    auto first_line = result.err.substr(0, result.err.find('\n'));
    CHECK(first_line.rfind("--trusted-proxy: ", 0) == 0);
    CHECK(first_line.find(bad) != std::string::npos);
  }
}
