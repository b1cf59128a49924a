// Shadow sampling: deterministic per request, close to the percent, monotonic in the percent.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "router/shadow/compare/shadow_sampler.h"

using namespace strangler;

TEST_CASE("the same request always gets the same bucket, within range") {
  for (int i = 0; i < 1000; ++i) {
    const std::string path = "/orders/" + std::to_string(i);
    const int bucket = shadow_bucket("GET", path, "x=1");
    CHECK(bucket >= 0);
    CHECK(bucket < 10000);
    CHECK(shadow_bucket("GET", path, "x=1") == bucket);
  }
}

TEST_CASE("method, path and query all count, with separators between them") {
  CHECK(shadow_bucket("GET", "/a", "b=1") != shadow_bucket("GET", "/a", "b=2"));
  CHECK(shadow_bucket("GET", "/a", "") != shadow_bucket("HEAD", "/a", ""));
  CHECK(shadow_bucket("GET", "/ab", "") != shadow_bucket("GET", "/a", "b"));
  // Queries of one path spread over the buckets.
  int sampled = 0;
  for (int i = 0; i < 2000; ++i) {
    if (shadow_sampled("GET", "/orders", "customer=" + std::to_string(i), 50)) ++sampled;
  }
  CHECK(sampled > 900);
  CHECK(sampled < 1100);
}

TEST_CASE("the sampled share is close to the percent") {
  const int n = 20000;
  for (int percent : {1, 30, 75}) {
    int sampled = 0;
    for (int i = 0; i < n; ++i) {
      if (shadow_sampled("GET", "/p/" + std::to_string(i), "", percent)) ++sampled;
    }
    CAPTURE(percent);
    CHECK(std::abs(100.0 * sampled / n - percent) < 2.0);
  }
  CHECK(shadow_sampled("POST", "/anything", "q", 100));
  CHECK_FALSE(shadow_sampled("GET", "/anything", "q", 0));
}

TEST_CASE("raising the percent only adds requests") {
  for (int i = 0; i < 5000; ++i) {
    const std::string path = "/m/" + std::to_string(i);
    if (shadow_sampled("GET", path, "", 30)) CHECK(shadow_sampled("GET", path, "", 60));
    bool was_in = false;
    for (int percent = 0; percent <= 100; percent += 10) {
      const bool now_in = shadow_sampled("GET", path, "", percent);
      CHECK_FALSE((was_in && !now_in));
      was_in = now_in;
    }
  }
}
