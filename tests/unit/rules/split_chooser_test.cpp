// Gradual-flip bucketing: stable, roughly uniform, monotonic in the percent.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "rules/split_chooser.h"

using namespace strangler;

TEST_CASE("fnv1a64 matches the published test vectors") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("the bucket of a key is stable and within range") {
  for (int i = 0; i < 1000; ++i) {
    auto key = "user-" + std::to_string(i);
    int bucket = split_bucket(key, 7);
    CHECK(bucket >= 0);
    CHECK(bucket < 100);
    CHECK(split_bucket(key, 7) == bucket);
  }
}

TEST_CASE("the share in the split is close to the percent") {
  for (int percent : {1, 20, 50, 99}) {
    int in = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      if (in_split("client-" + std::to_string(i), 3, percent)) ++in;
    }
    double share = 100.0 * in / n;
    CHECK(std::abs(share - percent) < 1.5);
  }
}

TEST_CASE("raising the percent never moves a client back") {
  for (int i = 0; i < 2000; ++i) {
    auto key = "k" + std::to_string(i);
    bool was_in = false;
    for (int percent = 1; percent < 100; ++percent) {
      bool now_in = in_split(key, 11, percent);
      CHECK_FALSE((was_in && !now_in));
      was_in = now_in;
    }
  }
}

TEST_CASE("different routes split different clients") {
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    auto key = "c" + std::to_string(i);
    if (in_split(key, 1, 50) != in_split(key, 2, 50)) ++differ;
  }
  CHECK(differ > 300);
  CHECK(differ < 700);
}
