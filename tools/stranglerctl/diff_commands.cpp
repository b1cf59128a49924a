// stranglerctl diff report|show|clear, and the durations of --since and --window; see
// commands.h. They read and clear the comparisons that the router's writer stores in the rules
// database (rules/store/comparison_store.h); none of them is a rule change, so none has history.
#include <fmt/format.h>

#include <cmath>

#include "rules/rule_error.h"
#include "rules/rule_json.h"
#include "rules/store/comparison_store.h"
#include "tools/stranglerctl/body_diff.h"
#include "tools/stranglerctl/commands.h"
#include "tools/stranglerctl/table_printer.h"

namespace strangler::ctl {

namespace {

double rounded(double ms) {
  return std::round(ms * 100) / 100;
}

Json report_to_json(const RouteReport& r) {
  auto top = Json::array();
  for (const auto& d : r.top_differences) {
    top.push_back({{"path", d.path},
                   {"kind", diff_kind_name(d.kind)},
                   {"count", d.count},
                   {"example_id", d.example_id}});
  }
  return {{"route", r.route},
          {"comparisons", r.comparisons},
          {"matches", r.matches},
          {"mismatches", r.mismatches},
          {"match_rate", r.match_rate},
          {"status_mismatches", r.status_mismatches},
          {"shadow_errors", r.shadow_errors},
          {"dropped", r.dropped},
          {"skipped", r.skipped},
          {"primary_p50_ms", rounded(r.primary_p50_ms)},
          {"primary_p99_ms", rounded(r.primary_p99_ms)},
          {"shadow_p50_ms", rounded(r.shadow_p50_ms)},
          {"shadow_p99_ms", rounded(r.shadow_p99_ms)},
          {"noisy_paths", r.noisy_paths},
          {"top_differences", top}};
}

std::string rate(const RouteReport& r) {
  if (r.comparisons == 0) return "-";
  return fmt::format("{:.1f}%", r.match_rate * 100);
}

std::string latency(double p50, double p99) {
  return fmt::format("{:.1f} / {:.1f} ms", p50, p99);
}

void print_details(const RouteReport& r, std::ostream& out) {
  if (!r.top_differences.empty()) {
    out << fmt::format("\ntop differences of {}:\n", r.route);
    TablePrinter table({"COUNT", "KIND", "PATH", "EXAMPLE"});
    for (const auto& d : r.top_differences) {
      table.add_row({std::to_string(d.count), diff_kind_name(d.kind), d.path,
                     fmt::format("diff show {}", d.example_id)});
    }
    table.print(out);
  }
  if (!r.noisy_paths.empty()) {
    out << fmt::format("noisy (not counted) on {}: {}\n", r.route, fmt::join(r.noisy_paths, ", "));
  }
}

std::string status_text(int status) {
  return status == 0 ? std::string("-") : std::to_string(status);
}

}  // namespace

std::chrono::seconds parse_duration(std::string_view text, std::string_view option) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::int64_t unit = 0;
  if (digits > 0 && digits <= 9 && digits + 1 == text.size()) {
    switch (text.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        break;
    }
  }
  std::int64_t count = unit == 0 ? 0 : std::stoll(std::string(text.substr(0, digits)));
  if (count <= 0) {
    throw RuleError(
        fmt::format("{} \"{}\" is not a duration: give a number and s, m, h or d "
                    "(30m, 24h, 2d)",
                    option, text));
  }
  return std::chrono::seconds(count * unit);
}

int diff_report(const DiffReportArgs& args, RuleStore& store, std::ostream& out) {
  ReportFilter filter{args.route, std::nullopt};
  if (args.since) filter.since = parse_duration(*args.since, "--since");
  auto reports = ComparisonStore::open(store.path()).report(filter);
  if (args.json) {
    auto routes = Json::array();
    for (const auto& r : reports) routes.push_back(report_to_json(r));
    out << Json{{"routes", routes}}.dump(2) << '\n';
    return 0;
  }
  if (reports.empty()) {
    out << "no comparisons" << (args.route ? " for route " + *args.route : std::string())
        << " (shadow a route with: stranglerctl route shadow PATTERN --to TARGET)\n";
    return 0;
  }
  TablePrinter table({"ROUTE", "COMPARED", "MATCHED", "MISMATCHES", "STATUS≠", "ERRORS", "DROPPED",
                      "SKIPPED", "PRIMARY p50 / p99", "SHADOW p50 / p99"});
  for (const auto& r : reports) {
    table.add_row({r.route, std::to_string(r.comparisons), rate(r), std::to_string(r.mismatches),
                   std::to_string(r.status_mismatches), std::to_string(r.shadow_errors),
                   std::to_string(r.dropped), std::to_string(r.skipped),
                   latency(r.primary_p50_ms, r.primary_p99_ms),
                   latency(r.shadow_p50_ms, r.shadow_p99_ms)});
  }
  table.print(out);
  for (const auto& r : reports) print_details(r, out);
  return 0;
}

int diff_show(const DiffShowArgs& args, RuleStore& store, std::ostream& out) {
  auto found = ComparisonStore::open(store.path()).find(args.id);
  if (!found) {
    throw RuleError(fmt::format(
        "no comparison #{} (it may have been cleared or aged out; see: stranglerctl diff report)",
        args.id));
  }
  const Comparison& c = *found;
  out << fmt::format("comparison #{} at {}, route {}: {}\n", c.id, c.at, c.route,
                     outcome_name(c.outcome));
  out << fmt::format("request  {} {}\n", c.method, c.target);
  out << fmt::format("primary  {}  {}  {:.1f} ms\n", c.primary_target,
                     status_text(c.primary_status), c.primary_ms);
  out << fmt::format("shadow   {}  {}  {:.1f} ms{}\n", c.shadow_target,
                     status_text(c.shadow_status), c.shadow_ms,
                     c.error.empty() ? std::string() : " (" + c.error + ")");
  if (!c.differences.empty()) {
    out << fmt::format("\ndifferences ({}):\n", c.differences.size());
    TablePrinter table({"PATH", "KIND", "PRIMARY", "SHADOW", ""});
    for (const auto& d : c.differences) {
      table.add_row({d.path, diff_kind_name(d.kind), d.primary.empty() ? "-" : d.primary,
                     d.shadow.empty() ? "-" : d.shadow, d.noisy ? "noisy" : ""});
    }
    table.print(out);
  }
  if (!c.primary_headers.empty() || !c.shadow_headers.empty()) {
    out << "\nheaders (- primary, + shadow):\n" << body_diff(c.primary_headers, c.shadow_headers);
  }
  if (!c.primary_body.empty() || !c.shadow_body.empty()) {
    out << "\nbody (- primary, + shadow):\n" << body_diff(c.primary_body, c.shadow_body);
  } else if (c.outcome == ComparisonOutcome::mismatch) {
    out << "\n(bodies were not kept)\n";
  }
  return 0;
}

int diff_clear(const DiffClearArgs& args, RuleStore& store, std::ostream& out) {
  std::int64_t deleted = ComparisonStore::open(store.path()).clear(args.route);
  out << fmt::format("deleted {} comparison{} of {}\n", deleted, deleted == 1 ? "" : "s",
                     args.route ? "route " + *args.route : std::string("every route"));
  return 0;
}

}  // namespace strangler::ctl
