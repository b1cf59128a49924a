// Prometheus text exposition of the router's metrics; see prometheus_text.h.
#include "router/admin/prometheus_text.h"

#include <cmath>
#include <iterator>

#include <fmt/format.h>

namespace strangler {

namespace {

std::string count_text(std::uint64_t value) {
  return fmt::format_int(value).str();
}
std::string count_text(std::int64_t value) {
  return fmt::format_int(value).str();
}

void render_requests(PrometheusText& out, const MetricsSnapshot& s) {
  if (s.requests.empty()) return;
  out.family("strangler_requests_total",
             "Client requests answered, by route, serving target and status class.", "counter");
  for (const auto& [key, count] : s.requests) {
    out.sample("strangler_requests_total",
               {{"route", key.route}, {"target", key.target}, {"code_class", key.code_class}},
               count_text(count));
  }
}

void render_latency(PrometheusText& out, const MetricsSnapshot& s) {
  if (s.latency.empty()) return;
  constexpr std::string_view name = "strangler_upstream_request_duration_seconds";
  out.family(name, "Request latency in seconds, by the target that answered.", "histogram");
  const std::string bucket = std::string{name} + "_bucket";
  for (const auto& [target, histogram] : s.latency) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += histogram.buckets[i];
      out.sample(bucket, {{"target", target}, {"le", kLatencyBuckets[i].le}},
                 count_text(cumulative));
    }
    out.sample(bucket, {{"target", target}, {"le", "+Inf"}}, count_text(histogram.count));
    out.sample(std::string{name} + "_sum", {{"target", target}},
               format_sample_value(histogram.sum_seconds()));
    out.sample(std::string{name} + "_count", {{"target", target}}, count_text(histogram.count));
  }
}

void render_refusals(PrometheusText& out, const MetricsSnapshot& s) {
  if (s.refusals.empty()) return;
  out.family("strangler_refusals_total",
             "Requests the router refused itself (malformed, over a limit, too slow), by status "
             "code and reason.",
             "counter");
  for (const auto& [key, count] : s.refusals) {
    out.sample("strangler_refusals_total",
               {{"code", std::to_string(key.status)}, {"reason", key.reason}}, count_text(count));
  }
}

void render_fallbacks(PrometheusText& out, const MetricsSnapshot& s) {
  if (s.fallbacks.empty()) return;
  out.family("strangler_fallbacks_total",
             "Requests served by a route's fallback, by reason (breaker-open, target-down, "
             "connect-failed, bulkhead-full, upstream-failed).",
             "counter");
  for (const auto& [reason, count] : s.fallbacks) {
    out.sample("strangler_fallbacks_total", {{"reason", reason}}, count_text(count));
  }
}

// One counter family per TargetCounters field, every known target listed (zeros included).
void render_target_counter(PrometheusText& out, const MetricsSnapshot& s, std::string_view name,
                           std::string_view help, std::uint64_t TargetCounters::*field) {
  if (s.targets.empty()) return;
  out.family(name, help, "counter");
  for (const auto& [target, counters] : s.targets) {
    out.sample(name, {{"target", target}}, count_text(counters.*field));
  }
}

void render_shadow_counter(PrometheusText& out, const MetricsSnapshot& s, std::string_view name,
                           std::string_view help, std::uint64_t ShadowCounters::*field) {
  if (s.shadow.empty()) return;
  out.family(name, help, "counter");
  for (const auto& [route, counters] : s.shadow) {
    out.sample(name, {{"route", route}}, count_text(counters.*field));
  }
}

void render_per_target(PrometheusText& out, const MetricsSnapshot& s) {
  render_target_counter(out, s, "strangler_bulkhead_rejections_total",
                        "Requests refused because the target's concurrency limit was reached.",
                        &TargetCounters::bulkhead_rejections);
  render_target_counter(out, s, "strangler_retries_total", "Upstream retries sent, by target.",
                        &TargetCounters::retries);
  render_target_counter(out, s, "strangler_retry_budget_exhausted_total",
                        "Retries not sent because the target's retry budget was spent.",
                        &TargetCounters::retry_budget_exhausted);
  render_target_counter(out, s, "strangler_upstream_queue_timeouts_total",
                        "Requests answered 503 queue-timeout: no connection to the target came "
                        "free within its queue timeout (--max-connections).",
                        &TargetCounters::queue_timeouts);
  if (!s.upstream_queue_waiting.empty()) {
    out.family("strangler_upstream_queue_waiting",
               "Requests waiting for a connection to the target (--max-connections).", "gauge");
    for (const auto& [target, waiting] : s.upstream_queue_waiting) {
      out.sample("strangler_upstream_queue_waiting", {{"target", target}}, std::to_string(waiting));
    }
  }
}

void render_shadow(PrometheusText& out, const MetricsSnapshot& s) {
  render_shadow_counter(out, s, "strangler_shadow_comparisons_total",
                        "Shadow responses compared with the primary's, by route.",
                        &ShadowCounters::comparisons);
  render_shadow_counter(out, s, "strangler_shadow_mismatches_total",
                        "Shadow comparisons that found a difference, by route.",
                        &ShadowCounters::mismatches);
  render_shadow_counter(out, s, "strangler_shadow_errors_total",
                        "Shadow requests that failed (transport error or timeout), by route.",
                        &ShadowCounters::errors);
  render_shadow_counter(
      out, s, "strangler_shadow_dropped_total",
      "Shadow copies never sent (queue full, in-flight cap or breaker open), by route.",
      &ShadowCounters::dropped);
  render_shadow_counter(
      out, s, "strangler_shadow_skipped_total",
      "Requests of a shadowed route not mirrored (body over the mirror limit, or the "
      "primary failed), by route.",
      &ShadowCounters::skipped);
  if (s.shadow.empty() && s.shadow_write_drops == 0) return;
  out.family("strangler_shadow_write_dropped_total",
             "Comparisons not stored because the database could not take them in time.", "counter");
  out.sample("strangler_shadow_write_dropped_total", {}, count_text(s.shadow_write_drops));
}

// Enum style: one sample per possible state, 1 for the current one and 0 for the others.
void render_breakers(PrometheusText& out, const MetricsSnapshot& s) {
  constexpr BreakerState kStates[] = {BreakerState::closed, BreakerState::open,
                                      BreakerState::half_open};
  if (!s.breaker_state.empty()) {
    out.family("strangler_breaker_state",
               "Circuit breaker state per route and target: 1 for the current state, 0 for the "
               "others.",
               "gauge");
    for (const auto& [key, current] : s.breaker_state) {
      for (auto state : kStates) {
        out.sample("strangler_breaker_state",
                   {{"route", key.route}, {"target", key.target}, {"state", to_string(state)}},
                   state == current ? "1" : "0");
      }
    }
  }
  if (s.breaker_transitions.empty()) return;
  out.family("strangler_breaker_transitions_total",
             "Circuit breaker state changes, by route and target.", "counter");
  for (const auto& [key, count] : s.breaker_transitions) {
    out.sample("strangler_breaker_transitions_total",
               {{"route", key.route},
                {"target", key.target},
                {"from", to_string(key.from)},
                {"to", to_string(key.to)}},
               count_text(count));
  }
}

// Only targets with a health check: 1 up, 0 down (unchecked ones are not listed until checked).
void render_health(PrometheusText& out, const MetricsSnapshot& s) {
  if (!s.target_health.empty()) {
    out.family("strangler_target_healthy",
               "Whether the target's active health checks find it up (1) or down (0).", "gauge");
    for (const auto& [target, health] : s.target_health) {
      out.sample("strangler_target_healthy", {{"target", target}},
                 health == Health::down ? "0" : "1");
    }
  }
  if (s.health_checks.empty()) return;
  out.family("strangler_health_checks_total", "Active health checks, by target and result.",
             "counter");
  for (const auto& [key, count] : s.health_checks) {
    out.sample("strangler_health_checks_total",
               {{"target", key.target}, {"result", key.success ? "success" : "failure"}},
               count_text(count));
  }
}

void render_process(PrometheusText& out, const MetricsSnapshot& s) {
  out.family("strangler_rules_version", "Version of the rule table the router is serving.",
             "gauge");
  out.sample("strangler_rules_version", {}, count_text(s.rules_version));
  out.family("strangler_rules_reloads_total", "Rule tables loaded after a rules change.",
             "counter");
  out.sample("strangler_rules_reloads_total", {}, count_text(s.rules_reloads));
  out.family("strangler_rules_stale",
             "1 while the rules database cannot be read and the last good rules serve.", "gauge");
  out.sample("strangler_rules_stale", {}, s.rules_stale ? "1" : "0");
  out.family("strangler_in_flight_requests", "Client requests being served right now.", "gauge");
  out.sample("strangler_in_flight_requests", {}, count_text(s.in_flight));
  out.family("strangler_open_connections", "Client connections open right now.", "gauge");
  out.sample("strangler_open_connections", {}, count_text(s.open_connections));
  out.family("strangler_connections_refused_total",
             "Client connections closed at once because --max-connections were open.", "counter");
  out.sample("strangler_connections_refused_total", {}, count_text(s.connections_refused));
  out.family("strangler_upstream_idle_connections",
             "Upstream connections kept open for reuse (shadow copies' included).", "gauge");
  out.sample("strangler_upstream_idle_connections", {}, count_text(s.idle_upstream_connections));
  out.family("strangler_upstream_connections_opened_total",
             "Upstream connections opened (shadow copies' included).", "counter");
  out.sample("strangler_upstream_connections_opened_total", {}, count_text(s.upstream_connects));
  if (s.build_version.empty()) return;
  out.family("strangler_build_info", "Build of the running router; the value is always 1.",
             "gauge");
  out.sample("strangler_build_info", {{"version", s.build_version}}, "1");
}

void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  append_escaped(out, value, /*quote=*/true);
  return out;
}

std::string escape_help_text(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  append_escaped(out, help, /*quote=*/false);
  return out;
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void PrometheusText::family(std::string_view name, std::string_view help, std::string_view type) {
  auto out = std::back_inserter(text_);
  fmt::format_to(out, "# HELP {} {}\n# TYPE {} {}\n", name, escape_help_text(help), name, type);
}

void PrometheusText::sample(std::string_view name, std::initializer_list<PrometheusLabel> labels,
                            std::string_view value) {
  text_ += name;
  if (labels.size() != 0) {
    char separator = '{';
    for (const auto& label : labels) {
      text_ += separator;
      text_ += label.name;
      text_ += "=\"";
      append_escaped(text_, label.value, /*quote=*/true);
      text_ += '"';
      separator = ',';
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

std::string render_prometheus(const MetricsSnapshot& snapshot) {
  PrometheusText out;
  render_requests(out, snapshot);
  render_latency(out, snapshot);
  render_fallbacks(out, snapshot);
  render_refusals(out, snapshot);
  render_per_target(out, snapshot);
  render_shadow(out, snapshot);
  render_breakers(out, snapshot);
  render_health(out, snapshot);
  render_process(out, snapshot);
  return out.take();
}

}  // namespace strangler
