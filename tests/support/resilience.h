// Helpers of the resilience integration tests (circuit breakers, fallback, bulkheads): reading
// the router's /admin/breakers, checking timestamps and the router's transition log lines.
//
// Header-only on purpose: it only builds on Cluster (cluster.h).
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cluster.h"

namespace strangler::test {

// GET `path` on the admin port; REQUIREs 200 and a JSON body.
inline nlohmann::json admin_json(const Cluster& c, const std::string& path) {
  auto admin = c.admin_client();
  auto res = admin.Get(path);
  REQUIRE_MESSAGE(res, "GET " << path << " on the admin port failed");
  INFO("GET " << path << " -> " << res->status << " " << res->body);
  REQUIRE(res->status == 200);
  REQUIRE(nlohmann::json::accept(res->body));
  return nlohmann::json::parse(res->body);
}

// The /admin/breakers entry of `target` on `route` (its label, "/orders"; "": the first entry
// of the target, for a target that serves one route), or null when it is not listed.
inline nlohmann::json breaker_entry(const Cluster& c, const std::string& target,
                                    const std::string& route = "") {
  auto all = admin_json(c, "/admin/breakers");
  INFO(all.dump());
  REQUIRE(all.contains("targets"));
  REQUIRE(all["targets"].is_array());
  for (const auto& t : all["targets"]) {
    if (t.value("name", "") == target && (route.empty() || t.value("route", "") == route)) {
      return t;
    }
  }
  return nullptr;
}

// The breaker state of `target` on `route` as /admin/breakers shows it ("closed", "open",
// "half_open"), or "" when it is not listed.
inline std::string breaker_state(const Cluster& c, const std::string& target,
                                 const std::string& route = "") {
  auto entry = breaker_entry(c, target, route);
  if (!entry.is_object() || !entry.contains("state") || !entry["state"].is_string()) return "";
  return entry["state"].get<std::string>();
}

// An RFC 3339 date-time ("2024-05-01T12:00:00Z", "...T12:00:00.123+02:00").
inline bool is_rfc3339(const std::string& text) {
  static const std::regex pattern(
      R"(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))");
  return std::regex_match(text, pattern);
}

// Whether one line of `log` reports a breaker transition of `target` from `from` to `to`: it
// contains "breaker TARGET", then the word `from`, then the word `to`
// ("breaker orders on /orders: closed -> open"). Half-open may be spelled half_open or half-open.
inline bool logged_transition(const std::string& log, const std::string& target,
                              const std::string& from, const std::string& to) {
  auto is_word_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
  };
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> words;
    std::string word;
    for (char ch : line + " ") {
      if (is_word_char(ch)) {
        word += ch;
      } else if (!word.empty()) {
        if (word == "half-open") word = "half_open";
        words.push_back(word);
        word.clear();
      }
    }
    std::size_t i = 0;
    while (i + 1 < words.size() && !(words[i] == "breaker" && words[i + 1] == target)) ++i;
    if (i + 1 >= words.size()) continue;
    for (i += 2; i < words.size() && words[i] != from; ++i) {
    }
    for (++i; i < words.size(); ++i) {
      if (words[i] == to) return true;
    }
  }
  return false;
}

}  // namespace strangler::test
