// ResponseComparator: see response_comparator.h. Differences flow through one Collector that
// drops ignored places, flags noisy ones, counts what is left and keeps the first
// `max_differences`; once the list is full and a counted difference was seen the outcome cannot
// change, so the walk stops early (a huge, entirely different body costs no more than needed).
#include "router/shadow/compare/response_comparator.h"

#include <algorithm>
#include <optional>

#include "router/shadow/compare/byte_diff.h"
#include "router/shadow/compare/json_differ.h"

namespace strangler {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The header's values (case-insensitive name), several joined with ", "; nullopt when absent.
std::optional<std::string> header_value(const CapturedResponse& response, const std::string& name) {
  std::optional<std::string> value;
  for (const auto& [n, v] : response.headers) {
    if (lower(n) != name) continue;
    value = value ? *value + ", " + std::string(trim(v)) : std::string(trim(v));
  }
  return value;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool any_matches(const std::vector<JsonPathPattern>& patterns, const std::string& path) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const JsonPathPattern& p) { return p.matches(path); });
}

class Collector {
 public:
  Collector(const CompareRules& rules, std::size_t max) : rules_(rules), max_(max) {}

  // Returns false when nothing more can change the result.
  bool add(Difference d) {
    const bool json_path = !d.path.empty() && d.path[0] == '$';
    if (json_path && any_matches(rules_.ignore_paths, d.path)) return true;
    d.noisy =
        json_path ? any_matches(rules_.noisy_paths, d.path) : contains(rules_.noisy_places, d.path);
    if (!d.noisy || d.path == "status") counted_ = true;
    if (result_.differences.size() < max_) result_.differences.push_back(std::move(d));
    return !(counted_ && result_.differences.size() >= max_);
  }

  CompareResult finish() {
    result_.outcome = counted_ ? ComparisonOutcome::mismatch : ComparisonOutcome::match;
    return std::move(result_);
  }

 private:
  const CompareRules& rules_;
  std::size_t max_;
  bool counted_ = false;
  CompareResult result_;
};

bool compare_headers(const CapturedResponse& p, const CapturedResponse& s,
                     const CompareRules& rules, Collector& out) {
  std::vector<std::string> ignored, done;
  for (const auto& name : rules.ignore_headers) ignored.push_back(lower(name));
  for (const auto& header : rules.compare_headers) {
    const std::string name = lower(header);
    if (contains(ignored, name) || contains(done, name)) continue;
    done.push_back(name);
    const auto pv = header_value(p, name), sv = header_value(s, name);
    if (pv == sv) continue;
    const DiffKind kind = !sv ? DiffKind::missing : !pv ? DiffKind::extra : DiffKind::changed;
    if (!out.add({"header:" + name, kind, pv.value_or(""), sv.value_or("")})) return false;
  }
  return true;
}

void compare_bodies(const CapturedResponse& p, const CapturedResponse& s, const CompareRules& rules,
                    Collector& out) {
  if (!p.body_truncated && !s.body_truncated && p.body == s.body) return;
  // An ignore of "$" leaves the whole body out, whatever it holds.
  if (any_matches(rules.ignore_paths, "$")) return;
  if (!p.body_truncated && !s.body_truncated) {
    auto pj = parse_json_body(p.body);
    auto sj = pj ? parse_json_body(s.body) : std::nullopt;
    if (pj && sj) {
      diff_json(
          *pj, *sj,
          [&](const std::string& path, DiffKind kind, const nlohmann::json* a,
              const nlohmann::json* b) { return out.add(make_json_difference(path, kind, a, b)); });
      return;
    }
  }
  if (auto d = diff_bytes(p.body, s.body)) {
    out.add(std::move(*d));
  } else if (p.body_truncated != s.body_truncated) {
    out.add({"body", DiffKind::changed, p.body_truncated ? "truncated" : "complete",
             s.body_truncated ? "truncated" : "complete"});
  }
}

}  // namespace

CompareRules CompareRules::from_route(const Route& route, const std::vector<std::string>& noise) {
  static const ShadowConfig kDefaults;
  CompareRules rules;
  rules.compare_headers = (route.shadow ? *route.shadow : kDefaults).compare_headers;
  for (const auto& ignore : route.ignores) {
    if (ignore.kind == DiffIgnore::Kind::header) {
      rules.ignore_headers.push_back(ignore.expr);
    } else {
      rules.ignore_paths.push_back(JsonPathPattern::parse(ignore.expr));
    }
  }
  for (const auto& place : noise) {
    if (!place.empty() && place[0] == '$') {
      rules.noisy_paths.push_back(JsonPathPattern::parse(place));
    } else {
      rules.noisy_places.push_back(place.rfind("header:", 0) == 0 ? lower(place) : place);
    }
  }
  return rules;
}

CompareResult compare_responses(const CapturedResponse& primary, const CapturedResponse& shadow,
                                const CompareRules& rules, std::size_t max_differences) {
  Collector out(rules, max_differences);
  bool go_on = true;
  if (primary.status != shadow.status) {
    go_on = out.add({"status", DiffKind::changed, std::to_string(primary.status),
                     std::to_string(shadow.status)});
  }
  if (go_on && compare_headers(primary, shadow, rules, out)) {
    compare_bodies(primary, shadow, rules, out);
  }
  return out.finish();
}

std::vector<std::string> find_noise(const CapturedResponse& first, const CapturedResponse& second,
                                    const CompareRules& rules) {
  // Answers with different statuses (an error and a document) are not noise of one another: the
  // bodies would mark every field noisy.
  if (first.status != second.status) return {"status"};
  CompareRules plain = rules;
  plain.noisy_paths.clear();
  plain.noisy_places.clear();
  constexpr std::size_t kMaxNoisyPlaces = 100;
  std::vector<std::string> places;
  for (auto& d : compare_responses(first, second, plain, kMaxNoisyPlaces).differences) {
    if (!contains(places, d.path)) places.push_back(std::move(d.path));
  }
  return places;
}

}  // namespace strangler
