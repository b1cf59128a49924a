// The Prometheus text exposition format (version 0.0.4), as served by the admin `GET /metrics`.
//
// render_prometheus() turns a MetricsSnapshot into the whole page: every family named
// `strangler_...`, its `# HELP` and `# TYPE` lines once, then its samples in a stable order
// (families in a fixed order, samples sorted by label values), so two scrapes of the same state
// are byte-identical and tests can compare exact text. Families with labels but no samples yet
// are left out, as the Go client does; unlabelled ones are always present. The admin server sends
// the result with `Content-Type: text/plain; version=0.0.4; charset=utf-8`. PrometheusText is
// the small writer underneath, public for tests and for any other family the lead adds.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "router/admin/metrics_snapshot.h"

namespace strangler {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Label values escape backslash, double quote and newline; HELP text escapes backslash and
// newline only (the format's two different rules).
std::string escape_label_value(std::string_view value);
std::string escape_help_text(std::string_view help);

// A sample value: shortest text that reads back as the same double; "+Inf", "-Inf", "NaN".
std::string format_sample_value(double value);

struct PrometheusLabel {
  std::string_view name;   // must be a valid label name; not checked (ours are literals)
  std::string_view value;  // any bytes; escaped on output
};

class PrometheusText {
 public:
  // Starts a family: its `# HELP` and `# TYPE` lines. `type` is counter, gauge or histogram.
  void family(std::string_view name, std::string_view help, std::string_view type);

  // One sample line: `name{l1="v1",l2="v2"} value`, braces left out when there are no labels.
  void sample(std::string_view name, std::initializer_list<PrometheusLabel> labels,
              std::string_view value);

  const std::string& text() const { return text_; }
  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

std::string render_prometheus(const MetricsSnapshot& snapshot);

}  // namespace strangler
