// RuleSet: the plain data of a rule set as loaded from the store, before compilation into a
// RouteTable. Targets and routes are values; nothing here knows about SQLite or HTTP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules/method_set.h"
#include "rules/pattern.h"

namespace strangler {

inline constexpr const char* kDefaultTarget = "legacy";

struct Target {
  std::string name;
  std::string url;  // as given, validated by parse_target_url
  int connect_timeout_ms = 1000;
  int timeout_ms = 15000;
};

struct Route {
  std::int64_t id = 0;
  Pattern pattern;
  MethodSet methods;
  std::string target;
  // Gradual flip: split_percent % of the route's requests go to split_target, chosen by a hash
  // of sticky_header's value (empty: the client address). No split when split_target is empty.
  std::string split_target;
  int split_percent = 0;
  std::string sticky_header;
};

struct RuleSet {
  std::int64_t version = 0;
  std::vector<Target> targets;
  std::vector<Route> routes;
};

}  // namespace strangler
