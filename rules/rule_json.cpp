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

Json resilience_to_json(const TargetResilience& r) {
  return {{"breaker_window", r.breaker_window},
          {"breaker_min_calls", r.breaker_min_calls},
          {"breaker_failure_threshold", r.breaker_failure_threshold},
          {"breaker_failure_rate", r.breaker_failure_rate},
          {"breaker_recovery_ms", r.breaker_recovery_ms},
          {"breaker_half_open_probes", r.breaker_half_open_probes},
          {"count_5xx_as_failure", r.count_5xx_as_failure},
          {"max_concurrent", r.max_concurrent},
          {"retries", r.retries},
          {"backoff_ms", r.backoff_ms},
          {"health_path", r.health_path},
          {"health_interval_ms", r.health_interval_ms},
          {"health_timeout_ms", r.health_timeout_ms},
          {"healthy_threshold", r.healthy_threshold},
          {"unhealthy_threshold", r.unhealthy_threshold},
          {"max_connections", r.max_connections},
          {"queue_timeout_ms", r.queue_timeout_ms}};
}

// Missing keys keep their defaults (see rule_json.h); a key of the wrong type is an error.
template <typename T>
void read_optional(const Json& json, const char* key, T& value) {
  if (auto it = json.find(key); it != json.end()) value = it->template get<T>();
}

TargetResilience resilience_from_json(const Json& json) {
  TargetResilience r;
  if (json.is_null()) return r;
  read_optional(json, "breaker_window", r.breaker_window);
  read_optional(json, "breaker_min_calls", r.breaker_min_calls);
  read_optional(json, "breaker_failure_threshold", r.breaker_failure_threshold);
  read_optional(json, "breaker_failure_rate", r.breaker_failure_rate);
  read_optional(json, "breaker_recovery_ms", r.breaker_recovery_ms);
  read_optional(json, "breaker_half_open_probes", r.breaker_half_open_probes);
  read_optional(json, "count_5xx_as_failure", r.count_5xx_as_failure);
  read_optional(json, "max_concurrent", r.max_concurrent);
  read_optional(json, "retries", r.retries);
  read_optional(json, "backoff_ms", r.backoff_ms);
  read_optional(json, "health_path", r.health_path);
  read_optional(json, "health_interval_ms", r.health_interval_ms);
  read_optional(json, "health_timeout_ms", r.health_timeout_ms);
  read_optional(json, "healthy_threshold", r.healthy_threshold);
  read_optional(json, "unhealthy_threshold", r.unhealthy_threshold);
  read_optional(json, "max_connections", r.max_connections);
  read_optional(json, "queue_timeout_ms", r.queue_timeout_ms);
  return r;
}

Json shadow_to_json(const std::optional<ShadowConfig>& shadow) {
  if (!shadow) return nullptr;
  return {{"target", shadow->target},
          {"percent", shadow->percent},
          {"methods", methods_to_json(shadow->methods)},
          {"noise_check", shadow->noise_check},
          {"compare_headers", shadow->compare_headers}};
}

// Missing keys other than the target keep ShadowConfig's defaults (see rule_json.h).
std::optional<ShadowConfig> shadow_from_json(const Json& json) {
  if (json.is_null()) return std::nullopt;
  ShadowConfig shadow;
  shadow.target = json.at("target").get<std::string>();
  read_optional(json, "percent", shadow.percent);
  if (auto it = json.find("methods"); it != json.end()) {
    shadow.methods = MethodSet::parse(methods_from_json(*it));
  }
  read_optional(json, "noise_check", shadow.noise_check);
  read_optional(json, "compare_headers", shadow.compare_headers);
  return shadow;
}

Json ignores_to_json(const std::vector<DiffIgnore>& ignores) {
  auto list = Json::array();
  for (const auto& ignore : ignores) {
    list.push_back({{"kind", diff_ignore_kind_name(ignore.kind)}, {"expr", ignore.expr}});
  }
  return list;
}

std::vector<DiffIgnore> ignores_from_json(const Json& list) {
  std::vector<DiffIgnore> ignores;
  for (const auto& item : list) {
    DiffIgnore ignore;
    ignore.kind = parse_diff_ignore_kind(item.at("kind").get<std::string>());
    ignore.expr = item.at("expr").get<std::string>();
    ignores.push_back(ignore);
  }
  return ignores;
}

}  // namespace

const char* diff_ignore_kind_name(DiffIgnore::Kind kind) {
  return kind == DiffIgnore::Kind::header ? "header" : "json_path";
}

DiffIgnore::Kind parse_diff_ignore_kind(std::string_view name) {
  if (name == "json_path") return DiffIgnore::Kind::json_path;
  if (name == "header") return DiffIgnore::Kind::header;
  throw RuleError(fmt::format("unknown diff ignore kind \"{}\" (json_path or header)", name));
}

Json target_to_json(const Target& target) {
  return {{"name", target.name},
          {"url", target.url},
          {"connect_timeout_ms", target.connect_timeout_ms},
          {"timeout_ms", target.timeout_ms},
          {"resilience", resilience_to_json(target.resilience)}};
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
          {"split", split},
          {"fallback", route.fallback ? Json(*route.fallback) : Json(nullptr)},
          {"fallback_methods", methods_to_json(route.fallback_methods)},
          {"shadow", shadow_to_json(route.shadow)},
          {"ignores", ignores_to_json(route.ignores)}};
}

Target target_from_json(const Json& json) {
  try {
    Target target;
    target.name = json.at("name").get<std::string>();
    target.url = json.at("url").get<std::string>();
    target.connect_timeout_ms = json.at("connect_timeout_ms").get<int>();
    target.timeout_ms = json.at("timeout_ms").get<int>();
    if (auto it = json.find("resilience"); it != json.end()) {
      if (!it->is_object() && !it->is_null()) {
        throw RuleError("stored target is not valid JSON: \"resilience\" is not an object");
      }
      target.resilience = resilience_from_json(*it);
    }
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
    if (auto it = json.find("fallback"); it != json.end() && !it->is_null()) {
      route.fallback = it->get<std::string>();
    }
    if (auto it = json.find("fallback_methods"); it != json.end()) {  // absent before issue 15
      route.fallback_methods = MethodSet::parse(methods_from_json(*it));
    }
    if (auto it = json.find("shadow"); it != json.end()) route.shadow = shadow_from_json(*it);
    if (auto it = json.find("ignores"); it != json.end()) route.ignores = ignores_from_json(*it);
    return route;
  } catch (const nlohmann::json::exception& e) {
    throw RuleError(fmt::format("stored route is not valid JSON: {}", e.what()));
  }
}

}  // namespace strangler
