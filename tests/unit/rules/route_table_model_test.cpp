// RouteTable against a reference model: random rule sets (routes that find_conflict refuses are
// skipped) and random paths over a small alphabet; match() must agree with a plain linear scan
// that checks every route and keeps the best one by compare_specificity.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "rules/route_precedence.h"
#include "rules/route_table.h"
#include "rules/rule_error.h"

using strangler::compare_specificity;
using strangler::find_conflict;
using strangler::MethodSet;
using strangler::parse_pattern;
using strangler::Route;
using strangler::RouteTable;
using strangler::RuleSet;
using strangler::Target;

namespace {

// "/" has no segments; otherwise split after the leading '/', keeping a trailing empty one.
std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> segments;
  if (path == "/") return segments;
  std::size_t start = 1;
  while (true) {
    const auto slash = path.find('/', start);
    segments.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool model_matches(const Route& route, const std::vector<std::string>& path) {
  const auto& pattern = route.pattern.segments;
  if (path.size() < pattern.size()) return false;
  if (route.pattern.exact && path.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].wildcard ? path[i].empty() : pattern[i].literal != path[i]) return false;
  }
  return true;
}

// The reference: every matching route, the best one by compare_specificity; 0 for none.
std::int64_t model_match(const std::vector<Route>& routes, const std::string& method,
                         const std::string& path) {
  const auto segments = split(path);
  const Route* best = nullptr;
  for (const auto& route : routes) {
    if (!route.methods.admits(method) || !model_matches(route, segments)) continue;
    if (best) REQUIRE(compare_specificity(route, *best) != 0);  // the winner must be unique
    if (!best || compare_specificity(route, *best) < 0) best = &route;
  }
  return best ? best->id : 0;
}

struct Generator {
  std::mt19937 rng;

  std::size_t pick(std::size_t n) { return rng() % n; }

  std::string pattern_text() {
    static const char* const kSegments[] = {"a", "b", "c", "*", "*"};
    const std::size_t depth = pick(4);
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += std::string("/") + kSegments[pick(5)];
    return text.empty() ? "/" : text;
  }

  Route route(std::int64_t id) {
    static const char* const kMethods[] = {"", "", "GET", "POST", "GET,HEAD", "PUT,DELETE"};
    Route r;
    r.id = id;
    r.pattern = parse_pattern(pattern_text(), pick(3) == 0);
    r.methods = MethodSet::parse(kMethods[pick(6)]);
    r.target = pick(2) ? "new" : "legacy";
    return r;
  }

  std::string path() {
    static const char* const kSegments[] = {"a", "b", "c", "d"};
    const std::size_t depth = pick(5);
    std::string path;
    for (std::size_t i = 0; i < depth; ++i) path += std::string("/") + kSegments[pick(4)];
    if (path.empty() || pick(4) == 0) path += '/';
    return path;
  }

  std::string method() {
    static const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "get", "PURGE"};
    return kMethods[pick(7)];
  }
};

}  // namespace

TEST_CASE("match() agrees with a linear scan over random rule sets and paths") {
  Generator gen{std::mt19937(1234567)};
  int rule_sets = 0;
  int matched_some_route = 0;
  int refused_candidates = 0;
  for (; rule_sets < 300; ++rule_sets) {
    RuleSet rules;
    rules.targets = {Target{"legacy", "http://127.0.0.1:1"}, Target{"new", "http://127.0.0.1:2"}};
    const std::size_t wanted = 1 + gen.pick(40);
    for (std::size_t i = 0; i < wanted; ++i) {
      Route candidate = gen.route(static_cast<std::int64_t>(i + 1));
      if (find_conflict(rules.routes, candidate)) {
        ++refused_candidates;
        continue;
      }
      rules.routes.push_back(std::move(candidate));
    }
    const auto table = RouteTable::build(rules);
    for (int n = 0; n < 60; ++n) {
      const std::string method = gen.method();
      const std::string path = gen.path();
      CAPTURE(rule_sets);
      CAPTURE(method);
      CAPTURE(path);
      const std::int64_t expected = model_match(rules.routes, method, path);
      const auto& got = table->match(method, path);
      CHECK((got.route ? got.route->id : 0) == expected);
      if (expected != 0) ++matched_some_route;
      if (got.route) CHECK(table->target(got.target_index).target.name == got.route->target);
    }
  }
  // The generator must exercise both outcomes and the conflict check.
  CHECK(matched_some_route > 5000);
  CHECK(refused_candidates > 100);
}

TEST_CASE("build() refuses exactly the sets that find_conflict would refuse") {
  Generator gen{std::mt19937(42)};
  int refused = 0;
  for (int n = 0; n < 500; ++n) {
    RuleSet rules;
    rules.targets = {Target{"legacy", "http://127.0.0.1:1"}, Target{"new", "http://127.0.0.1:2"}};
    bool conflict = false;
    const std::size_t count = 1 + gen.pick(12);
    for (std::size_t i = 0; i < count; ++i) {
      Route candidate = gen.route(static_cast<std::int64_t>(i + 1));
      conflict = conflict || find_conflict(rules.routes, candidate).has_value();
      rules.routes.push_back(std::move(candidate));
    }
    CAPTURE(n);
    if (conflict) {
      ++refused;
      CHECK_THROWS_AS(RouteTable::build(rules), strangler::RuleError);
    } else {
      CHECK_NOTHROW(RouteTable::build(rules));
    }
  }
  CHECK(refused > 50);
  CHECK(refused < 500);
}
