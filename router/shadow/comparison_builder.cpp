// ComparisonBuilder; see comparison_builder.h.
#include "router/shadow/comparison_builder.h"

#include <utility>

namespace strangler {

namespace {

std::string header_lines(const CapturedResponse& response) {
  std::string out;
  for (const auto& [name, value] : response.headers)
    out.append(name).append(": ").append(value) += '\n';
  return out.substr(0, kStoredExcerptLimit);
}

Comparison describe_request(const ShadowJob& job) {
  Comparison c;
  c.at = job.at;
  c.route_id = job.route->id;
  c.route = job.route->pattern.text();
  c.method = job.request.method;
  c.target = job.request.target;
  c.primary_target = job.state->table->target(job.primary_index).target.name;
  c.shadow_target = job.state->table->target(job.shadow_index).target.name;
  c.primary_status = job.primary.status;
  c.primary_ms = job.primary.latency_ms;
  return c;
}

}  // namespace

ComparisonBuilder::ComparisonBuilder(
    std::function<std::vector<std::string>(std::int64_t)> seed_noise)
    : seed_noise_(std::move(seed_noise)) {}

std::set<std::string>& ComparisonBuilder::noise_for(std::int64_t route_id) {
  auto found = noise_.find(route_id);
  if (found != noise_.end()) return found->second;
  auto seeded = seed_noise_ ? seed_noise_(route_id) : std::vector<std::string>{};
  return noise_.emplace(route_id, std::set<std::string>(seeded.begin(), seeded.end()))
      .first->second;
}

// Compiled once per route and rules version, and again when the route learns new noise.
const CompareRules& ComparisonBuilder::rules_for(const ShadowJob& job) {
  auto& noise = noise_for(job.route->id);
  auto& entry = rules_[job.route->id];
  auto version = job.state->table->version();
  if (entry.rules_version != version || entry.noise_seen != noise.size()) {
    entry.rules =
        CompareRules::from_route(*job.route, std::vector<std::string>(noise.begin(), noise.end()));
    entry.rules_version = version;
    entry.noise_seen = noise.size();
  }
  return entry.rules;
}

ComparisonBuilder::Built ComparisonBuilder::build(const ShadowResult& result) {
  Built built;
  const auto& job = result.job;
  auto& c = built.comparison;
  c = describe_request(job);
  if (!result.shadow) {
    c.outcome = ComparisonOutcome::shadow_error;
    c.error = result.error;
    return built;
  }
  if (result.primary_again) {
    auto& known = noise_for(job.route->id);
    for (auto& path : find_noise(job.primary, *result.primary_again, rules_for(job))) {
      if (known.insert(path).second) built.new_noise.push_back(std::move(path));
    }
  }
  const auto& shadow = *result.shadow;
  c.shadow_status = shadow.status;
  c.shadow_ms = shadow.latency_ms;
  auto compared = compare_responses(job.primary, shadow, rules_for(job));
  c.outcome = compared.outcome;
  c.differences = std::move(compared.differences);
  if (c.outcome == ComparisonOutcome::mismatch) {
    c.primary_headers = header_lines(job.primary);
    c.shadow_headers = header_lines(shadow);
    c.primary_body = job.primary.body.substr(0, kStoredExcerptLimit);
    c.shadow_body = shadow.body.substr(0, kStoredExcerptLimit);
  }
  return built;
}

}  // namespace strangler
