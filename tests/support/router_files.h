// What the router wrote, read back in the integration tests: a whole text file, the access-log
// line of one request, and the admin API's /metrics page.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/cluster.h"

namespace strangler::test {

inline std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The access-log line that carries `request_id`, parsed; null when there is none (yet).
inline nlohmann::json log_line_of(const std::filesystem::path& log, const std::string& request_id) {
  std::istringstream lines(read_text_file(log));
  for (std::string line; std::getline(lines, line);) {
    if (line.find(request_id) != std::string::npos) return nlohmann::json::parse(line);
  }
  return nullptr;
}

// The same, once it is written (REQUIREd within 5 s).
inline nlohmann::json wait_for_log_line(const std::filesystem::path& log,
                                        const std::string& request_id) {
  nlohmann::json found;
  auto written = wait_until(
      [&] {
        found = log_line_of(log, request_id);
        return !found.is_null();
      },
      std::chrono::seconds(5));
  REQUIRE_MESSAGE(written, "no access-log line for " << request_id);
  return found;
}

inline std::string metrics_text(const Cluster& c) {
  auto result = c.admin_client().Get("/metrics");
  REQUIRE(result);
  return result->body;
}

}  // namespace strangler::test
