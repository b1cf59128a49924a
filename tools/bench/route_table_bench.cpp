// route_table_bench: how long RouteTable::match() takes with 10, 1,000 and 100,000 routes, how
// long RouteTable::build() takes for 100,000 routes, and how long a reload after a flip takes
// (the changed route merged into the previous set, the trie shared).
//
// Routes are generated from a few realistic shapes ("/svc123/items/*/sub", "/api/svc7/orders/*",
// depth 2 to 5, some exact, some limited to methods); request paths are a fixed mix of hits (a
// route's pattern with its '*' filled in, sometimes with more segments below) and misses (unknown
// services, or a known service with an unknown sub-path). Run it from a release build:
//   cmake -B build/rules-rel -DCMAKE_BUILD_TYPE=Release -DSTRANGLER_BUILD_TESTS=OFF
//   cmake --build build/rules-rel --target route_table_bench &&
//   build/rules-rel/tools/route_table_bench
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "rules/route_table.h"
#include "rules/rule_set_changes.h"

namespace {

using strangler::MethodSet;
using strangler::Route;
using strangler::RouteTable;
using strangler::RuleSet;

constexpr const char* kShapes[] = {
    "/svc{}/items",        "/svc{}/items/*",
    "/svc{}/items/*/sub",  "/svc{}/v2/orders/*/lines",
    "/api/svc{}/orders/*", "/api/svc{}/customers/*/orders/*",
};

std::string fill(std::string shape, const std::string& value) {
  return shape.replace(shape.find("{}"), 2, value);
}

RuleSet make_rules(std::size_t count) {
  std::mt19937 rng(7);
  RuleSet rules;
  rules.targets.push_back({"legacy", "http://127.0.0.1:9001"});
  for (int t = 0; t < 8; ++t) {
    rules.targets.push_back({"svc" + std::to_string(t), "http://10.0.0." + std::to_string(t + 1)});
  }
  static const char* const kMethods[] = {"", "", "", "GET", "GET,HEAD", "POST"};
  for (std::size_t i = 0; i < count; ++i) {
    Route route;
    route.id = static_cast<std::int64_t>(i + 1);
    const std::string text = fill(kShapes[rng() % std::size(kShapes)], std::to_string(i));
    route.pattern = strangler::parse_pattern(text, rng() % 4 == 0);
    route.methods = MethodSet::parse(kMethods[rng() % std::size(kMethods)]);
    route.target = "svc" + std::to_string(rng() % 8);
    rules.routes.push_back(std::move(route));
  }
  return rules;
}

// A path for a route: its pattern with every '*' filled in, sometimes with a segment below it.
std::string hit_path(const Route& route, std::mt19937& rng) {
  std::string path;
  for (const auto& segment : route.pattern.segments) {
    path += '/';
    path += segment.wildcard ? std::to_string(rng() % 100000) : segment.literal;
  }
  if (!route.pattern.exact && rng() % 2 == 0) path += "/detail";
  return path;
}

std::vector<std::string> make_paths(const RuleSet& rules, std::size_t count) {
  std::mt19937 rng(11);
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < count; ++i) {
    const Route& route = rules.routes[rng() % rules.routes.size()];
    switch (rng() % 4) {
      case 0:
        paths.push_back("/svc" + std::to_string(rng()) + "/items/42/sub");
        break;
      case 1:  // a known service, an unknown sub-path
        paths.push_back(fill(rng() % 2 ? "/api/svc{}/invoices/9" : "/svc{}/other/x/y",
                             std::to_string(route.id - 1)));
        break;
      default:
        paths.push_back(hit_path(route, rng));
        break;
    }
  }
  return paths;
}

struct Fixture {
  std::shared_ptr<const RouteTable> table;
  std::vector<std::string> paths;
};

const Fixture& fixture(std::size_t routes) {
  static std::map<std::size_t, Fixture> cache;
  auto& entry = cache[routes];
  if (!entry.table) {
    auto rules = make_rules(routes);
    entry.paths = make_paths(rules, 4096);
    entry.table = RouteTable::build(std::move(rules));
  }
  return entry;
}

void BM_Match(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  static const char* const kRequestMethods[] = {"GET", "GET", "POST", "HEAD"};
  std::size_t i = 0;
  std::size_t hits = 0;
  for (auto _ : state) {
    const auto& result = f.table->match(kRequestMethods[i & 3], f.paths[i & 4095]);
    benchmark::DoNotOptimize(&result);
    hits += result.route != nullptr;
    ++i;
  }
  state.counters["hit_ratio"] = static_cast<double>(hits) / static_cast<double>(i ? i : 1);
}
BENCHMARK(BM_Match)->Arg(10)->Arg(1000)->Arg(100000);

void BM_Build(benchmark::State& state) {
  const RuleSet rules = make_rules(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    RuleSet copy = rules;
    state.ResumeTiming();
    auto table = RouteTable::build(std::move(copy));
    benchmark::DoNotOptimize(table.get());
    state.PauseTiming();
    table.reset();  // freeing the trie is not part of building it
    state.ResumeTiming();
  }
}
BENCHMARK(BM_Build)->Arg(100000)->Unit(benchmark::kMillisecond);

// A reload after a flip: one route's target changed, everything merged from the previous set
// (what RulesReloader does with the store's change log) and the previous trie shared.
void BM_RebuildAfterFlip(benchmark::State& state) {
  const RuleSet rules = make_rules(static_cast<std::size_t>(state.range(0)));
  const auto previous = RouteTable::build(rules);
  strangler::RuleSetChanges flip;
  flip.targets = rules.targets;
  Route flipped = rules.routes[rules.routes.size() / 2];
  flipped.target = flipped.target == "svc0" ? "svc1" : "svc0";
  flip.touched_ids = {flipped.id};
  flip.routes = {flipped};
  for (auto _ : state) {
    auto table =
        RouteTable::build(strangler::apply_changes(previous->rules(), flip), previous.get());
    benchmark::DoNotOptimize(table.get());
    state.PauseTiming();
    table.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_RebuildAfterFlip)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
