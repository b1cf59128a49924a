// stranglerctl status; see status.h. The fetch is the only part that does I/O; the summary and
// the rendering are plain functions over JSON, so that the table and --json always agree.
#include "tools/stranglerctl/status.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <map>
#include <vector>

#include "rules/rule_error.h"
#include "rules/rule_set.h"
#include "rules/target_url.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

namespace {

constexpr time_t kConnectTimeoutSeconds = 2;
constexpr time_t kReadTimeoutSeconds = 5;

TargetUrl parse_admin_url(const std::string& url) {
  TargetUrl parsed;
  try {
    parsed = parse_target_url(url);
  } catch (const RuleError& e) {
    throw AdminError(fmt::format("invalid --admin URL: {}", e.what()));
  }
  if (parsed.scheme != "http") {
    throw AdminError(fmt::format(
        "invalid --admin URL \"{}\": the admin API speaks plain http:// on loopback", url));
  }
  return parsed;
}

// What went wrong, in words (httplib's own names are terse: "Connection", "Read").
std::string failure_text(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection refused or failed";
    case httplib::Error::ConnectionTimeout:
      return fmt::format("no connection within {} s", kConnectTimeoutSeconds);
    case httplib::Error::Read:
      return fmt::format("no complete answer within {} s", kReadTimeoutSeconds);
    default:
      return httplib::to_string(error);
  }
}

// The error text of a refusal: the body's "error" when it is JSON that has one, else the status.
std::string refusal_text(const httplib::Response& response) {
  auto body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    return fmt::format("{} {}", response.status, body["error"].get<std::string>());
  }
  return std::to_string(response.status);
}

// GET `path` as a JSON object; null for a 404 when `optional` (an endpoint this router lacks).
Json get_json(httplib::Client& client, const httplib::Headers& headers, const std::string& url,
              const TargetUrl& parsed, const char* path, bool optional) {
  auto result = client.Get(path, headers);
  if (!result) {
    throw AdminError(fmt::format(
        "cannot reach the router's admin API at {} ({}); is strangler-router running with "
        "--admin {}?",
        url, failure_text(result.error()), parsed.authority));
  }
  if (result->status == 404 && optional) return nullptr;
  if (result->status == 401 || result->status == 403) {
    throw AdminError(fmt::format("the admin API at {} refused GET {} ({}); give --admin-token", url,
                                 path, refusal_text(*result)));
  }
  if (result->status != 200) {
    throw AdminError(fmt::format("the admin API at {} answered GET {} with {}", url, path,
                                 refusal_text(*result)));
  }
  auto json = Json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    throw AdminError(
        fmt::format("the admin API at {} answered GET {} with something other than a "
                    "JSON object; is {} a Strangler router's admin address?",
                    url, path, parsed.authority));
  }
  return json;
}

std::string percent(const Json& value) {
  return value.is_number() ? fmt::format("{:.1f}%", value.get<double>()) : "-";
}

// A field of a reported object as text, whatever its type: "-" when missing or null.
std::string field(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || object[key].is_null()) return "-";
  const Json& value = object[key];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

struct Counts {
  int routes = 0;
  int split_shares = 0;
};

// Route counts per target and the totals, from /admin/rules.
Json summarize_routes(const Json& rules, std::map<std::string, Counts>& per_target) {
  int on_legacy = 0, moved = 0, splitting = 0;
  const Json& routes = rules.at("routes");
  for (const auto& route : routes) {
    std::string target = route.at("target").get<std::string>();
    ++per_target[target].routes;
    const Json& split = route.at("split");
    std::string split_target = split.is_null() ? "" : split.at("target").get<std::string>();
    if (!split_target.empty()) ++per_target[split_target].split_shares;
    bool legacy_primary = target == kDefaultTarget;
    bool legacy_split = split_target == kDefaultTarget;
    if (split_target.empty()) {
      ++(legacy_primary ? on_legacy : moved);
    } else if (legacy_primary || legacy_split) {
      ++splitting;
    } else {
      ++moved;
    }
  }
  return {{"total", routes.size()},
          {"on_legacy", on_legacy},
          {"moved", moved},
          {"splitting", splitting}};
}

// The traffic totals from /admin/traffic, and each target's request count in `requests`.
Json summarize_traffic(const Json& traffic, std::map<std::string, std::int64_t>& requests) {
  if (traffic.is_null()) return nullptr;
  std::int64_t legacy = 0, extracted = 0;
  for (const auto& target : traffic.at("targets")) {
    auto name = target.at("name").get<std::string>();
    auto count = target.at("requests").get<std::int64_t>();
    requests[name] += count;
    (name == kDefaultTarget ? legacy : extracted) += count;
  }
  std::int64_t total = legacy + extracted;
  return {{"window_seconds", traffic.value("window_seconds", Json(nullptr))},
          {"requests", total},
          {"legacy_requests", legacy},
          {"extracted_requests", extracted},
          {"extracted_percent",
           total == 0 ? Json(nullptr)
                      : Json(100.0 * static_cast<double>(extracted) / static_cast<double>(total))}};
}

// The first "shadows" key that the admin API reported, in any of its answers.
const Json* reported_shadows(const AdminSnapshot& snapshot) {
  for (const Json* answer : {&snapshot.traffic, &snapshot.rules, &snapshot.breakers}) {
    if (answer->is_object() && answer->contains("shadows")) return &(*answer)["shadows"];
  }
  return nullptr;
}

void render_headline(const Json& summary, std::ostream& out) {
  out << fmt::format("router {}, rules version {}\n", summary["admin"].get<std::string>(),
                     field(summary, "rules_version"));
  const Json& rules = summary.value("rules", Json());
  if (rules.is_object() && rules.value("stale", false)) {
    out << fmt::format(
        "rules: STALE since {}: the router cannot read its database and serves its last good "
        "rules ({})\n",
        field(rules, "stale_since"), field(rules, "problem"));
  }
  const Json& routes = summary["routes"];
  out << fmt::format("routes: {} ({} on legacy, {} moved, {} splitting)\n", field(routes, "total"),
                     field(routes, "on_legacy"), field(routes, "moved"),
                     field(routes, "splitting"));
  const Json& traffic = summary["traffic"];
  if (traffic.is_null()) {
    out << "traffic: not reported by this router (no /admin/traffic)\n";
  } else if (traffic["extracted_percent"].is_null()) {
    out << fmt::format("traffic, last {} s: no requests\n", field(traffic, "window_seconds"));
  } else {
    double extracted = traffic["extracted_percent"].get<double>();
    out << fmt::format(
        "traffic, last {} s: {:.1f}% served by extracted services, {:.1f}% by legacy ({} "
        "requests)\n",
        field(traffic, "window_seconds"), extracted, 100.0 - extracted, field(traffic, "requests"));
  }
}

// The target's active health check verdict from /admin/breakers ("up", "down", "unchecked"), or
// null from a router that does not report one.
Json reported_health(const AdminSnapshot& snapshot, const std::string& name) {
  if (!snapshot.breakers.is_object() || !snapshot.breakers.contains("health")) return nullptr;
  for (const auto& entry : snapshot.breakers["health"]) {
    if (entry.value("name", "") == name) return entry.value("health", Json(nullptr));
  }
  return nullptr;
}

void render_targets(const Json& summary, std::ostream& out) {
  // HEALTH only when a target has active health checks, so it cannot be mistaken for a check.
  bool checked = false;
  for (const auto& target : summary["targets"]) {
    auto health = field(target, "health");
    checked = checked || (health != "-" && health != "unchecked");
  }
  std::vector<std::string> columns = {"TARGET", "ROUTES", "SPLIT SHARES", "REQUESTS", "SHARE"};
  if (checked) columns.push_back("HEALTH");
  TablePrinter table(columns);
  for (const auto& target : summary["targets"]) {
    std::vector<std::string> row = {field(target, "name"), field(target, "routes"),
                                    field(target, "split_shares"), field(target, "requests"),
                                    percent(target["share_percent"])};
    if (checked) row.push_back(field(target, "health"));
    table.add_row(row);
  }
  out << '\n';
  table.print(out);
}

void render_breakers(const Json& summary, std::ostream& out) {
  const Json& breakers = summary["breakers"];
  out << '\n';
  if (breakers.is_null()) {
    out << "breakers: not reported by this router (no /admin/breakers)\n";
    return;
  }
  if (breakers.empty()) {
    out << "breakers: none reported\n";
    return;
  }
  // One breaker per route and target; ROUTE is "-" from a router with per-target breakers.
  TablePrinter table({"BREAKER", "ROUTE", "STATE", "SINCE", "FAILURES/CALLS", "LAST FAILURE"});
  for (const auto& breaker : breakers) {
    const Json& window = breaker.is_object() ? breaker.value("window", Json()) : Json();
    table.add_row({field(breaker, "name"), field(breaker, "route"), field(breaker, "state"),
                   field(breaker, "since"),
                   fmt::format("{}/{}", field(window, "failures"), field(window, "calls")),
                   field(breaker, "last_failure")});
  }
  table.print(out);
}

// /admin/traffic's "shadows": each shadowed route with its comparisons since the router started.
void render_shadows(const Json& shadows, std::ostream& out) {
  out << "\nshadows:\n";
  if (!shadows.is_array()) {
    out << "  " << shadows.dump() << '\n';
    return;
  }
  if (shadows.empty()) out << "  none\n";
  for (const auto& shadow : shadows) {
    std::string rate = "no comparisons yet";
    if (shadow.is_object() && shadow.contains("match_rate") && shadow["match_rate"].is_number()) {
      rate = fmt::format("{:.1f}% match ({}/{})", shadow["match_rate"].get<double>() * 100,
                         field(shadow, "matched"), field(shadow, "compared"));
    }
    out << fmt::format("  {} → {} at {}%: {}; {} errors, {} dropped, {} skipped\n",
                       field(shadow, "route"), field(shadow, "target"), field(shadow, "percent"),
                       rate, field(shadow, "errors"), field(shadow, "dropped"),
                       field(shadow, "skipped"));
  }
}

}  // namespace

AdminSnapshot fetch_admin_snapshot(const StatusArgs& args) {
  TargetUrl parsed = parse_admin_url(args.admin_url);
  httplib::Client client(parsed.host, parsed.port);
  client.set_connection_timeout(kConnectTimeoutSeconds, 0);
  client.set_read_timeout(kReadTimeoutSeconds, 0);
  client.set_write_timeout(kReadTimeoutSeconds, 0);
  httplib::Headers headers;
  if (!args.admin_token.empty()) {
    headers.emplace("Authorization", "Bearer " + args.admin_token);
  }
  AdminSnapshot snapshot;
  snapshot.admin_url = args.admin_url;
  snapshot.rules = get_json(client, headers, args.admin_url, parsed, "/admin/rules", false);
  snapshot.breakers = get_json(client, headers, args.admin_url, parsed, "/admin/breakers", true);
  snapshot.traffic = get_json(client, headers, args.admin_url, parsed, "/admin/traffic", true);
  snapshot.health = get_json(client, headers, args.admin_url, parsed, "/healthz", true);
  return snapshot;
}

Json status_summary(const AdminSnapshot& snapshot) {
  try {
    std::map<std::string, Counts> counts;
    std::map<std::string, std::int64_t> requests;
    Json summary = {{"admin", snapshot.admin_url},
                    {"rules_version", snapshot.rules.value("version", Json(nullptr))},
                    {"routes", summarize_routes(snapshot.rules, counts)},
                    {"targets", Json::array()},
                    {"traffic", summarize_traffic(snapshot.traffic, requests)},
                    {"breakers", snapshot.breakers.is_null() ? Json(nullptr)
                                                             : snapshot.breakers.at("targets")}};
    std::vector<std::string> names;
    for (const auto& target : snapshot.rules.at("targets")) {
      names.push_back(target.at("name").get<std::string>());
    }
    for (const auto& [name, count] : requests) {  // traffic to a target the rules no longer have
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    const Json& traffic = summary["traffic"];
    for (const auto& name : names) {
      Json requests_of = nullptr, share = nullptr;
      if (!traffic.is_null()) {
        requests_of = requests.count(name) ? requests[name] : 0;
        auto total = traffic["requests"].get<std::int64_t>();
        if (total > 0) {
          share = 100.0 * requests_of.get<double>() / static_cast<double>(total);
        }
      }
      summary["targets"].push_back({{"name", name},
                                    {"routes", counts[name].routes},
                                    {"split_shares", counts[name].split_shares},
                                    {"requests", requests_of},
                                    {"share_percent", share}});
      if (auto health = reported_health(snapshot, name); !health.is_null()) {
        summary["targets"].back()["health"] = health;
      }
    }
    if (const Json* shadows = reported_shadows(snapshot)) summary["shadows"] = *shadows;
    if (snapshot.health.is_object() && snapshot.health.contains("rules")) {
      summary["rules"] = snapshot.health["rules"];
    }
    return summary;
  } catch (const nlohmann::json::exception& e) {
    throw AdminError(fmt::format("the admin API at {} answered in an unexpected form ({})",
                                 snapshot.admin_url, e.what()));
  }
}

void render_status(const Json& summary, std::ostream& out) {
  render_headline(summary, out);
  render_targets(summary, out);
  render_breakers(summary, out);
  if (summary.contains("shadows")) render_shadows(summary["shadows"], out);
}

int status(const StatusArgs& args, std::ostream& out) {
  Json summary = status_summary(fetch_admin_snapshot(args));
  if (args.json) {
    out << summary.dump(2) << '\n';
  } else {
    render_status(summary, out);
  }
  return 0;
}

}  // namespace strangler::ctl
