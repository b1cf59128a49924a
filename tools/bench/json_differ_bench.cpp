// json_differ_bench: how long compare_responses() takes on a ~10 KB JSON order document — equal
// bytes (the fast path), equal JSON written differently (keys reordered, other whitespace: a full
// parse and walk of both), and a few real differences (the --variant extracted kind, plus one
// ignored and one noisy path). Also the byte comparison of two ~10 KB non-JSON bodies.
// Run it from a release build:
//   cmake --preset release && cmake --build build/release --target json_differ_bench &&
//   build/release/tools/json_differ_bench
#include <benchmark/benchmark.h>

#include <string>

#include <nlohmann/json.hpp>

#include "router/shadow/compare/response_comparator.h"

namespace {

using nlohmann::json;
using strangler::CapturedResponse;
using strangler::CompareRules;
using strangler::JsonPathPattern;

// An order with 60 lines, about 10 KB of compact JSON.
json make_order() {
  json order = {{"id", 123456},
                {"status", "shipped"},
                {"customer", {{"id", 42}, {"email", "c42@example.com"}, {"name", "Ada Lovelace"}}},
                {"meta", {{"generated_at", "2026-11-27T03:58:27.123456Z"}}}};
  json items = json::array();
  for (int i = 0; i < 60; ++i) {
    items.push_back({{"sku", "SKU-" + std::to_string(i)},
                     {"name", "Item number " + std::to_string(i) + " with a descriptive name"},
                     {"quantity", i % 5 + 1},
                     {"price", 12.5 + i},
                     {"tags", {"red", "large", "warehouse-" + std::to_string(i % 3)}},
                     {"dimensions", {{"w", 10 + i}, {"h", 20}, {"d", 5.5}}}});
  }
  order["items"] = items;
  order["total"] = 1234.5;
  return order;
}

CapturedResponse answer(std::string body) {
  return {200, {{"Content-Type", "application/json"}}, std::move(body)};
}

CompareRules rules() {
  CompareRules r;
  r.compare_headers = {"Content-Type"};
  r.ignore_paths.push_back(JsonPathPattern::parse("$.customer.name"));
  r.noisy_paths.push_back(JsonPathPattern::parse("$.meta.generated_at"));
  return r;
}

void run(benchmark::State& state, const CapturedResponse& a, const CapturedResponse& b) {
  const CompareRules r = rules();
  std::size_t differences = 0;
  for (auto _ : state) {
    auto result = strangler::compare_responses(a, b, r);
    differences = result.differences.size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["differences"] = static_cast<double>(differences);
  state.counters["body_bytes"] = static_cast<double>(a.body.size());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(a.body.size()));
}

void BM_EqualBytes(benchmark::State& state) {
  const auto body = make_order().dump();
  run(state, answer(body), answer(body));
}
BENCHMARK(BM_EqualBytes);

void BM_EqualJsonReformatted(benchmark::State& state) {
  const json order = make_order();
  // Same document, pretty-printed: different bytes, equal JSON.
  run(state, answer(order.dump()), answer(order.dump(2)));
}
BENCHMARK(BM_EqualJsonReformatted);

void BM_FewDifferences(benchmark::State& state) {
  const json order = make_order();
  json changed = order;
  changed["status"] = "SHIPPED";
  changed["api_version"] = "2";
  changed["customer"]["name"] = "ignored";
  changed["meta"]["generated_at"] = "2026-11-27T03:58:28.000001Z";
  changed["items"][3]["price"] = "15.50";
  changed["items"][17]["quantity"] = 9;
  run(state, answer(order.dump()), answer(changed.dump()));
}
BENCHMARK(BM_FewDifferences);

void BM_BytesDiffer(benchmark::State& state) {
  std::string a(10000, 'x');
  std::string b = a;
  b[9000] = 'y';
  run(state, answer("<html>" + a), answer("<html>" + b));
}
BENCHMARK(BM_BytesDiffer);

}  // namespace

BENCHMARK_MAIN();
