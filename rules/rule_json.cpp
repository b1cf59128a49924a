// JSON forms of targets and routes; see rule_json.h.
#include "rules/rule_json.h"

#include <fmt/format.h>

#include "rules/rule_error.h"

namespace strangler {

namespace {

Json methods_to_json(const MethodSet& methods) {
  auto list = Json::array();
  std::string text = methods.text();
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    list.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return list;
}

std::string methods_from_json(const Json& list) {
  std::string text;
  for (const auto& method : list) {
    if (!text.empty()) text += ',';
    text += method.get<std::string>();
  }
  return text;
}

}  // namespace

Json target_to_json(const Target& target) {
  return {{"name", target.name},
          {"url", target.url},
          {"connect_timeout_ms", target.connect_timeout_ms},
          {"timeout_ms", target.timeout_ms}};
}

Json route_to_json(const Route& route) {
  Json split = nullptr;
  if (!route.split_target.empty()) {
    split = {
        {"target", route.split_target},
        {"percent", route.split_percent},
        {"sticky_header", route.sticky_header.empty() ? Json(nullptr) : Json(route.sticky_header)}};
  }
  return {{"id", route.id},
          {"pattern", route.pattern.text()},
          {"exact", route.pattern.exact},
          {"methods", methods_to_json(route.methods)},
          {"target", route.target},
          {"split", split}};
}

Target target_from_json(const Json& json) {
  try {
    Target target;
    target.name = json.at("name").get<std::string>();
    target.url = json.at("url").get<std::string>();
    target.connect_timeout_ms = json.at("connect_timeout_ms").get<int>();
    target.timeout_ms = json.at("timeout_ms").get<int>();
    return target;
  } catch (const nlohmann::json::exception& e) {
    throw RuleError(fmt::format("stored target is not valid JSON: {}", e.what()));
  }
}

Route route_from_json(const Json& json) {
  try {
    Route route;
    route.id = json.at("id").get<std::int64_t>();
    route.pattern =
        parse_pattern(json.at("pattern").get<std::string>(), json.at("exact").get<bool>());
    route.methods = MethodSet::parse(methods_from_json(json.at("methods")));
    route.target = json.at("target").get<std::string>();
    const auto& split = json.at("split");
    if (!split.is_null()) {
      route.split_target = split.at("target").get<std::string>();
      route.split_percent = split.at("percent").get<int>();
      const auto& sticky = split.at("sticky_header");
      if (!sticky.is_null()) route.sticky_header = sticky.get<std::string>();
    }
    return route;
  } catch (const nlohmann::json::exception& e) {
    throw RuleError(fmt::format("stored route is not valid JSON: {}", e.what()));
  }
}

}  // namespace strangler
