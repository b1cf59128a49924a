// ComparisonStore::report and read_gate_evidence: matches and mismatches recounted from the stored
// differences with the route's CURRENT ignores and noisy paths, so that an ignore added today also
// cleans yesterday's comparisons. A difference counts unless it is flagged noisy, lies at or below
// a noisy path, or an ignore covers it; a status difference always counts.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "rules/ascii_case.h"
#include "rules/json_path_pattern.h"
#include "rules/method_set.h"
#include "rules/pattern.h"
#include "rules/rule_text.h"
#include "rules/store/comparison_store_impl.h"
#include "rules/store/gate_evidence.h"

namespace strangler {

namespace {

constexpr std::size_t kTopDifferences = 10;

// What decides whether a stored difference still counts.
struct DifferenceFilter {
  std::vector<JsonPathPattern> paths;
  std::set<std::string> headers;  // lower-case names
  std::vector<std::string> noisy_paths;

  bool below(std::string_view path, std::string_view place) const {
    if (path.substr(0, place.size()) != place) return false;
    return path.size() == place.size() || path[place.size()] == '.' || path[place.size()] == '[';
  }

  bool counts(std::string_view path, bool noisy) const {
    if (path == "status") return true;
    if (noisy) return false;
    for (const auto& place : noisy_paths) {
      if (below(path, place)) return false;
    }
    if (path.substr(0, 7) == "header:") return !headers.count(ascii_lowercase(path.substr(7)));
    for (const auto& pattern : paths) {
      if (pattern.matches(path)) return false;
    }
    return true;
  }
};

DifferenceFilter load_filter(sqlite::Database& db, std::int64_t route_id) {
  DifferenceFilter filter;
  auto ignores = db.prepare("SELECT kind, expr FROM diff_ignores WHERE route_id = ?1");
  ignores.bind(1, route_id);
  while (ignores.step()) {
    if (ignores.text(0) == "header") {
      filter.headers.insert(ascii_lowercase(ignores.text(1)));
    } else {
      try {
        filter.paths.push_back(JsonPathPattern::parse(ignores.text(1)));
      } catch (const std::exception&) {
        // Validated when added; a pattern this build cannot read ignores nothing.
      }
    }
  }
  auto noise = db.prepare("SELECT path FROM diff_noise WHERE route_id = ?1 ORDER BY 1");
  noise.bind(1, route_id);
  while (noise.step()) filter.noisy_paths.push_back(noise.text(0));
  return filter;
}

// "$.items[3].price" → "$.items[*].price": one line of the report for every element of an array
// (quoted keys are copied as they are).
std::string generalized(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '[' && i + 1 < path.size() && path[i + 1] == '"') {
      std::size_t end = i + 2;
      while (end < path.size() && path[end] != '"') end += path[end] == '\\' ? 2 : 1;
      end = std::min(end + 1, path.size());
      out.append(path.substr(i, end - i));
      i = end - 1;
    } else if (path[i] == '[' && i + 1 < path.size() && std::isdigit(path[i + 1])) {
      std::size_t end = path.find(']', i);
      if (end == std::string_view::npos) end = path.size() - 1;
      out += "[*]";
      i = end;
    } else {
      out += path[i];
    }
  }
  return out;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
  return values[std::max<std::size_t>(rank, 1) - 1];
}

struct StoredComparison {
  std::int64_t id = 0;
  bool shadow_error = false;
  bool status_differs = false;
  double primary_ms = 0, shadow_ms = 0;
  std::vector<std::pair<std::string, std::string>> counted;  // (path, kind) still counting
  std::set<std::string> flagged_noisy;
};

// A route's comparisons since `since_ms` (to `shadow_target` only, when given), with the
// differences that still count under `filter`.
std::vector<StoredComparison> load_comparisons(sqlite::Database& db, std::int64_t route_id,
                                               std::int64_t since_ms,
                                               const std::optional<std::string>& shadow_target,
                                               const DifferenceFilter& filter) {
  auto rows = db.prepare(
      "SELECT id, outcome, primary_status, shadow_status, primary_ms, shadow_ms FROM comparisons "
      "WHERE route_id = ?1 AND at_ms >= ?2 AND (?3 IS NULL OR shadow_target = ?3) ORDER BY id");
  rows.bind(1, route_id).bind(2, since_ms).bind(3, shadow_target);
  std::vector<StoredComparison> out;
  std::unordered_map<std::int64_t, std::size_t> index;
  while (rows.step()) {
    StoredComparison c{rows.int64(0),
                       rows.text(1) == "shadow_error",
                       rows.int64(2) != rows.int64(3),
                       rows.real(4),
                       rows.real(5),
                       {},
                       {}};
    index[c.id] = out.size();
    out.push_back(std::move(c));
  }
  auto differences = db.prepare(
      "SELECT d.comparison_id, d.path, d.kind, d.noisy FROM comparison_differences d "
      "JOIN comparisons c ON c.id = d.comparison_id WHERE c.route_id = ?1 AND c.at_ms >= ?2 "
      "AND (?3 IS NULL OR c.shadow_target = ?3)");
  differences.bind(1, route_id).bind(2, since_ms).bind(3, shadow_target);
  while (differences.step()) {
    auto it = index.find(differences.int64(0));
    if (it == index.end()) continue;
    StoredComparison& c = out[it->second];
    std::string path = differences.text(1);
    bool noisy = differences.int64(3) != 0;
    if (noisy) c.flagged_noisy.insert(path);
    if (path == "status") c.status_differs = true;
    if (filter.counts(path, noisy)) c.counted.emplace_back(path, differences.text(2));
  }
  return out;
}

bool mismatches(const StoredComparison& c) {
  return c.status_differs || !c.counted.empty();
}

std::vector<DifferenceSummary> top_differences(const std::vector<StoredComparison>& comparisons) {
  std::map<std::pair<std::string, std::string>, DifferenceSummary> by_place;
  for (const auto& c : comparisons) {
    std::set<std::pair<std::string, std::string>> seen;  // count each comparison once per place
    for (const auto& [path, kind] : c.counted) {
      auto key = std::make_pair(generalized(path), kind);
      if (!seen.insert(key).second) continue;
      auto& summary = by_place[key];
      summary.path = key.first;
      parse_diff_kind(kind, summary.kind);
      ++summary.count;
      summary.example_id = std::max(summary.example_id, c.id);
    }
  }
  std::vector<DifferenceSummary> top;
  for (auto& [key, summary] : by_place) top.push_back(summary);
  std::stable_sort(top.begin(), top.end(),
                   [](const auto& a, const auto& b) { return a.count > b.count; });
  if (top.size() > kTopDifferences) top.resize(kTopDifferences);
  return top;
}

// The label of the route as it is now ("/orders (exact) [GET]"), or the text its comparisons
// were stored under when it no longer exists.
std::string route_name(sqlite::Database& db, std::int64_t route_id) {
  auto current = db.prepare("SELECT pattern, exact, methods FROM routes WHERE id = ?1");
  current.bind(1, route_id);
  if (current.step()) {
    Route route;
    route.pattern = parse_pattern(current.text(0), current.int64(1) != 0);
    route.methods = MethodSet::parse(current.text(2));
    return route_label(route);
  }
  auto stored = db.prepare(
      "SELECT route FROM comparisons WHERE route_id = ?1 UNION ALL "
      "SELECT route FROM shadow_tallies WHERE route_id = ?1 LIMIT 1");
  stored.bind(1, route_id);
  return stored.step() ? stored.text(0) : fmt::format("#{}", route_id);
}

RouteReport route_report(sqlite::Database& db, std::int64_t route_id, std::int64_t since_ms) {
  RouteReport report;
  report.route_id = route_id;
  report.route = route_name(db, route_id);
  DifferenceFilter filter = load_filter(db, route_id);
  auto comparisons = load_comparisons(db, route_id, since_ms, std::nullopt, filter);
  std::vector<double> primary, shadow;
  std::vector<StoredComparison> mismatched;
  std::set<std::string> noisy(filter.noisy_paths.begin(), filter.noisy_paths.end());
  for (auto& c : comparisons) {
    noisy.insert(c.flagged_noisy.begin(), c.flagged_noisy.end());
    primary.push_back(c.primary_ms);
    if (c.shadow_error) {
      ++report.shadow_errors;
      continue;
    }
    shadow.push_back(c.shadow_ms);
    ++report.comparisons;
    if (c.status_differs) ++report.status_mismatches;
    if (mismatches(c)) {
      ++report.mismatches;
      mismatched.push_back(std::move(c));
    } else {
      ++report.matches;
    }
  }
  if (report.comparisons > 0) {
    report.match_rate =
        static_cast<double>(report.matches) / static_cast<double>(report.comparisons);
  }
  report.primary_p50_ms = percentile(primary, 0.50);
  report.primary_p99_ms = percentile(primary, 0.99);
  report.shadow_p50_ms = percentile(shadow, 0.50);
  report.shadow_p99_ms = percentile(shadow, 0.99);
  report.noisy_paths.assign(noisy.begin(), noisy.end());
  report.top_differences = top_differences(mismatched);
  auto tallies = db.prepare(
      "SELECT coalesce(sum(dropped), 0), coalesce(sum(skipped), 0) FROM shadow_tallies "
      "WHERE route_id = ?1 AND minute >= ?2");
  tallies.bind(1, route_id).bind(2, since_ms / 60000);
  if (tallies.step()) {
    report.dropped = tallies.int64(0);
    report.skipped = tallies.int64(1);
  }
  return report;
}

// Routes with anything to report since `since_ms`, and the routes shadowed now.
std::vector<std::int64_t> reported_routes(sqlite::Database& db, std::int64_t since_ms) {
  auto select = db.prepare(
      "SELECT route_id FROM comparisons WHERE at_ms >= ?1 "
      "UNION SELECT route_id FROM shadow_tallies WHERE minute >= ?2 "
      "UNION SELECT id FROM routes WHERE shadow_target IS NOT NULL ORDER BY 1");
  select.bind(1, since_ms).bind(2, since_ms / 60000);
  std::vector<std::int64_t> ids;
  while (select.step()) ids.push_back(select.int64(0));
  return ids;
}

std::int64_t since_ms(const std::optional<std::chrono::seconds>& since) {
  if (!since) return std::numeric_limits<std::int64_t>::min();
  return now_unix_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(*since).count();
}

}  // namespace

std::vector<RouteReport> ComparisonStore::report(const ReportFilter& filter) {
  return impl_->read([&] {
    std::int64_t from = since_ms(filter.since);
    std::vector<std::int64_t> ids = reported_routes(impl_->db, from);
    if (filter.route) {
      auto named = impl_->route_ids_named(*filter.route);
      std::vector<std::int64_t> kept;
      for (auto id : ids) {
        if (std::find(named.begin(), named.end(), id) != named.end()) kept.push_back(id);
      }
      ids = kept;
    }
    std::vector<RouteReport> reports;
    for (auto id : ids) reports.push_back(route_report(impl_->db, id, from));
    std::sort(reports.begin(), reports.end(),
              [](const auto& a, const auto& b) { return a.route < b.route; });
    return reports;
  });
}

GateEvidence read_gate_evidence(sqlite::Database& db, std::int64_t route_id,
                                const std::string& target, std::chrono::seconds window) {
  GateEvidence evidence;
  auto shadowed = db.prepare(
      "SELECT EXISTS (SELECT 1 FROM routes WHERE id = ?1 AND shadow_target = ?2) OR "
      "EXISTS (SELECT 1 FROM comparisons WHERE route_id = ?1 AND shadow_target = ?2)");
  shadowed.bind(1, route_id).bind(2, target);
  evidence.shadowed = shadowed.step() && shadowed.int64(0) != 0;
  if (!evidence.shadowed) return evidence;
  DifferenceFilter filter = load_filter(db, route_id);
  for (const auto& c : load_comparisons(db, route_id, since_ms(window),
                                        std::optional<std::string>(target), filter)) {
    if (c.shadow_error) continue;
    ++evidence.comparisons;
    if (!mismatches(c)) ++evidence.matches;
  }
  if (evidence.comparisons > 0) {
    evidence.match_rate =
        static_cast<double>(evidence.matches) / static_cast<double>(evidence.comparisons);
  }
  return evidence;
}

}  // namespace strangler
