// ComparisonWriter: batches by size and time, keeps a batch the sink refused for the next flush,
// sums tallies per route, and drops (counting) past its pending cap.
#include <doctest/doctest.h>

#include <stdexcept>

#include "router/shadow/comparison_writer.h"

using namespace strangler;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

Comparison comparison(std::int64_t route_id) {
  Comparison c;
  c.route_id = route_id;
  c.route = "/r" + std::to_string(route_id);
  return c;
}

struct FakeSink {
  int calls = 0;
  bool fail = false;
  std::vector<Comparison> rows;
  std::vector<ShadowTally> tallies;
  std::vector<NoisyPath> noise;
  RetentionCaps caps;

  BatchSink sink() {
    return [this](const std::vector<Comparison>& c, const std::vector<ShadowTally>& t,
                  const std::vector<NoisyPath>& n, const RetentionCaps& r) {
      ++calls;
      if (fail) throw std::runtime_error("database is locked");
      rows.insert(rows.end(), c.begin(), c.end());
      tallies.insert(tallies.end(), t.begin(), t.end());
      noise.insert(noise.end(), n.begin(), n.end());
      caps = r;
    };
  }
};

}  // namespace

TEST_CASE("comparison writer: due when the batch is full or the interval has passed") {
  auto t0 = Clock::now();
  WriterSettings settings;
  settings.batch_rows = 3;
  settings.flush_interval = 250ms;
  ComparisonWriter writer(settings, t0);
  CHECK_FALSE(writer.due(t0 + 1s));  // nothing waiting
  writer.add(comparison(1));
  CHECK_FALSE(writer.due(t0 + 100ms));
  CHECK(writer.due(t0 + 250ms));
  writer.add(comparison(1));
  writer.add(comparison(2));
  CHECK(writer.due(t0 + 1ms));  // full
}

TEST_CASE("comparison writer: a refused batch is kept and written whole on the next flush") {
  auto t0 = Clock::now();
  WriterSettings settings;
  settings.retention = {7, 70};
  ComparisonWriter writer(settings, t0);
  FakeSink sink;
  writer.add(comparison(1));
  writer.add(comparison(2));
  writer.add_noise({1, "$.meta.at"});
  sink.fail = true;
  std::string error;
  CHECK_FALSE(writer.flush(sink.sink(), t0 + 1s, error));
  CHECK(error == "database is locked");
  CHECK(writer.pending() == 2);
  CHECK(writer.written() == 0);

  sink.fail = false;
  writer.add(comparison(3));
  CHECK(writer.flush(sink.sink(), t0 + 2s, error));
  CHECK(sink.rows.size() == 3);
  CHECK(sink.rows[2].route_id == 3);
  REQUIRE(sink.noise.size() == 1);
  CHECK(sink.noise[0].path == "$.meta.at");
  CHECK(sink.caps.per_route == 7);
  CHECK(sink.caps.total == 70);
  CHECK(writer.pending() == 0);
  CHECK(writer.written() == 3);
  CHECK_FALSE(writer.due(t0 + 10s));
}

TEST_CASE("comparison writer: tallies of one route are summed into one row") {
  auto t0 = Clock::now();
  ComparisonWriter writer({}, t0);
  writer.add_tally({1, "/a", 1, 0});
  writer.add_tally({1, "/a", 2, 5});
  writer.add_tally({2, "/b", 0, 1});
  FakeSink sink;
  std::string error;
  REQUIRE(writer.flush(sink.sink(), t0 + 1s, error));
  REQUIRE(sink.tallies.size() == 2);
  CHECK(sink.tallies[0].route_id == 1);
  CHECK(sink.tallies[0].dropped == 3);
  CHECK(sink.tallies[0].skipped == 5);
  CHECK(sink.tallies[1].skipped == 1);
}

TEST_CASE("comparison writer: past the pending cap new comparisons are dropped and counted") {
  auto t0 = Clock::now();
  WriterSettings settings;
  settings.max_pending = 2;
  ComparisonWriter writer(settings, t0);
  for (int i = 1; i <= 5; ++i) writer.add(comparison(i));
  CHECK(writer.pending() == 2);
  CHECK(writer.dropped() == 3);
  FakeSink sink;
  std::string error;
  REQUIRE(writer.flush(sink.sink(), t0 + 1s, error));
  CHECK(sink.rows[0].route_id == 1);
  CHECK(sink.rows[1].route_id == 2);
}
