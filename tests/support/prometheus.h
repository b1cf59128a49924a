// Parsing the router's /metrics with a real Prometheus parser rather than by substring matching:
// the scraped text goes to a file, Debian's python3 reads it with prometheus_client's
// text_string_to_metric_families (package python3-prometheus-client, see tools/install-deps.sh)
// and prints the families and samples as JSON, which the test then queries.
//
// Header-only on purpose: it only builds on run_process (child_process.h).
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace strangler::test {

// Debian's interpreter, which sees the python3-* packages (a python3 earlier on PATH, such as a
// pyenv shim, may not); execv does no PATH search anyway.
inline std::string python3_binary() {
  for (const char* candidate : {"/usr/bin/python3", "/usr/local/bin/python3"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "/usr/bin/python3";
}

// Runs `python3 -c SCRIPT args...` with a deadline.
inline ProcessResult run_python(const std::string& script,
                                const std::vector<std::string>& args = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  std::vector<std::string> full = {"-c", script};
  full.insert(full.end(), args.begin(), args.end());
  return run_process(python3_binary(), full, timeout);
}

struct PromSample {
  std::string name;  // as exposed: "strangler_requests_total", "..._bucket", "..._count"
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromScrape {
  // Family name (as the parser reports it: counters without "_total") -> declared type.
  std::map<std::string, std::string> family_types;
  std::vector<PromSample> samples;

  // Samples called `name` whose labels include every pair of `labels`.
  std::vector<PromSample> select(const std::string& name,
                                 const std::map<std::string, std::string>& labels = {}) const {
    std::vector<PromSample> out;
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) {
          match = false;
          break;
        }
      }
      if (match) out.push_back(s);
    }
    return out;
  }
  // The sum of the selected samples (0 when none match).
  double sum(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    double total = 0;
    for (const auto& s : select(name, labels)) total += s.value;
    return total;
  }
  bool has(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    return !select(name, labels).empty();
  }
};

inline constexpr const char* kPrometheusParseScript = R"PY(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
families, samples = {}, []
for family in text_string_to_metric_families(text):
    families[family.name] = family.type
    for s in family.samples:
        samples.append({"name": s.name, "labels": dict(s.labels), "value": s.value})
print(json.dumps({"families": families, "samples": samples}, allow_nan=False))
)PY";

// Parses exposition text; REQUIREs that the parser accepts it.
inline PromScrape parse_prometheus(const std::string& text, const std::filesystem::path& dir) {
  static int counter = 0;
  auto file = dir / ("metrics-" + std::to_string(++counter) + ".txt");
  {
    std::ofstream out(file, std::ios::binary);
    out << text;
    REQUIRE_MESSAGE(out.good(), "cannot write " << file.string());
  }
  auto result = run_python(kPrometheusParseScript, {file.string()});
  INFO(result.describe());
  INFO("exposition text:\n" << text);
  REQUIRE_MESSAGE(result.exit_code == 0, "prometheus_client rejected the exposition text");
  REQUIRE(nlohmann::json::accept(result.out));
  auto json = nlohmann::json::parse(result.out);
  PromScrape scrape;
  for (const auto& [name, type] : json["families"].items()) {
    scrape.family_types[name] = type.get<std::string>();
  }
  for (const auto& s : json["samples"]) {
    PromSample sample;
    sample.name = s["name"].get<std::string>();
    for (const auto& [k, v] : s["labels"].items()) sample.labels[k] = v.get<std::string>();
    sample.value = s["value"].get<double>();
    scrape.samples.push_back(std::move(sample));
  }
  return scrape;
}

}  // namespace strangler::test
