// Integration: a target slower than its --timeout-ms. An idempotent, body-less request is served
// by the route's fallback once the attempts (retries included) have timed out, marked
// "X-Strangler-Fallback: upstream-failed"; without a fallback, or for a request with a body that
// already reached the target, the client gets a 504 naming the target — all within the time the
// target's timeouts allow.
#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/cluster.h"
#include "tests/support/resilience.h"

using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kTimeoutMs = 300;
constexpr int kRetries = 1;
constexpr int kBackoffMs = 10;
// The longest a request may take: every attempt times out, plus the backoffs (capped at a few
// times the base) and slack for a shared machine.
constexpr auto kLongest =
    std::chrono::milliseconds((kRetries + 1) * kTimeoutMs + kRetries * 8 * kBackoffMs + 700);

void check_504(const httplib::Result& res, Clock::duration took, const std::string& target) {
  REQUIRE(res);
  INFO(res->status << " " << res->body);
  CHECK(res->status == 504);
  CHECK(took >= std::chrono::milliseconds(kTimeoutMs - 50));
  CHECK(took < kLongest);
  CHECK(served_by(res).empty());  // not an answer of any stub
  CHECK(res->get_header_value("X-Strangler-Fallback").empty());
  REQUIRE(nlohmann::json::accept(res->body));
  CHECK(res->body.find('"' + target + '"') != std::string::npos);
}

}  // namespace

TEST_CASE("timeout fallback: a slow target's GET is served by legacy, without a fallback 504") {
  Cluster c;
  c.init_with_monolith();
  auto& slow = c.start_stub("slow-svc", {"--latency-ms", "3000"});
  // A wide window: a handful of timeouts must not open the breaker here.
  c.ctl_ok({"target", "add", "slowpoke", slow.url, "--timeout-ms", std::to_string(kTimeoutMs),
            "--retries", std::to_string(kRetries), "--backoff-ms", std::to_string(kBackoffMs),
            "--window", "50", "--min-calls", "50"});
  c.ctl_ok({"route", "add", "/orders", "--to", "slowpoke"});  // default fallback: legacy
  c.ctl_ok({"route", "add", "/customers", "--to", "slowpoke", "--fallback", "none"});
  c.start_router();
  auto client = c.client();

  {
    INFO("GET with a fallback: legacy answers, marked upstream-failed");
    auto start = Clock::now();
    auto res = client.Get("/orders/1");
    auto took = Clock::now() - start;
    REQUIRE(res);
    INFO(res->status << " " << res->body);
    CHECK(res->status == 200);
    CHECK(served_by(res) == "monolith");
    CHECK(header_of(res, "X-Strangler-Target") == "legacy");
    CHECK(header_of(res, "X-Strangler-Fallback") == "upstream-failed");
    CHECK(took >= std::chrono::milliseconds(kTimeoutMs - 50));
    CHECK(took < kLongest);
    CHECK(breaker_state(c, "slowpoke") == "closed");
  }

  {
    INFO("GET without a fallback: 504 naming the target");
    auto start = Clock::now();
    auto res = client.Get("/customers/1");
    check_504(res, Clock::now() - start, "slowpoke");
  }

  {
    INFO("POST with a body that reached the target: never replayed to the fallback, 504");
    auto start = Clock::now();
    auto res = client.Post("/orders", R"({"customer_id":1,"items":[{"sku":"A-1","qty":1}]})",
                           "application/json");
    check_504(res, Clock::now() - start, "slowpoke");
  }

  // The router is still fine for everything else.
  auto ok = client.Get("/payments/order/1");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(served_by(ok) == "monolith");
}
