// Hop-by-hop header rules; see hop_by_hop.h.
#include "router/http/hop_by_hop.h"

#include <array>
#include <cctype>

namespace strangler {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_hop_by_hop_header(std::string_view name) {
  // HTTP2-Settings belongs to an h2c upgrade (RFC 7540 section 3.2.1), which is per hop.
  static constexpr std::array<std::string_view, 8> kNames = {
      "connection", "keep-alive",        "proxy-connection", "te",
      "trailer",    "transfer-encoding", "upgrade",          "http2-settings"};
  for (auto fixed : kNames) {
    if (iequals(name, fixed)) return true;
  }
  return name.size() > 6 && iequals(name.substr(0, 6), "proxy-");
}

std::vector<std::string_view> connection_tokens(std::string_view value) {
  std::vector<std::string_view> tokens;
  while (!value.empty()) {
    auto comma = value.find(',');
    auto token = trim(value.substr(0, comma));
    if (!token.empty()) tokens.push_back(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return tokens;
}

std::string append_to_list(std::string_view existing, std::string_view item) {
  auto base = trim(existing);
  if (base.empty()) return std::string(item);
  std::string out;
  out.reserve(base.size() + 2 + item.size());
  out.append(base).append(", ").append(item);
  return out;
}

}  // namespace strangler
