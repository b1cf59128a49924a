// The client behind trusted proxies, and the Forwarded element; see forwarded_client.h.
#include "router/http/forwarded_client.h"

#include <optional>

#include "router/http/hop_by_hop.h"

namespace strangler {

namespace {

// The address of one X-Forwarded-For entry without brackets or port, or nullopt.
std::optional<std::string_view> entry_address(std::string_view entry) {
  if (!entry.empty() && entry.front() == '[') {
    auto close = entry.find(']');
    if (close == std::string_view::npos) return {};
    auto rest = entry.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return {};
    entry = entry.substr(1, close - 1);
  } else if (auto colon = entry.find(':'); colon != std::string_view::npos &&
                                           entry.find(':', colon + 1) == std::string_view::npos) {
    entry = entry.substr(0, colon);  // "a.b.c.d:port"
  }
  if (!parse_ip_address(entry)) return {};
  return entry;
}

// RFC 9110 tchar: what a Forwarded parameter value may hold without quotes.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!tchar) return false;
  }
  return true;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

}  // namespace

std::string resolve_client_address(std::string_view peer, std::string_view forwarded_for,
                                   const TrustedProxies& trusted) {
  if (!trusted.trusts(peer)) return std::string(peer);
  std::string_view client = peer;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    auto comma = rest.rfind(',');
    auto entry = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (entry.empty()) continue;
    auto address = entry_address(entry);
    if (!address) break;
    client = *address;
    if (!trusted.trusts(*address)) break;
  }
  return std::string(client);
}

std::string forwarded_element(std::string_view peer, std::string_view host) {
  std::string element = "for=";
  if (peer.find(':') != std::string_view::npos) {
    element += quoted("[" + std::string(peer) + "]");
  } else {
    element += is_token(peer) ? std::string(peer) : quoted(peer);
  }
  element += ";proto=http";
  if (!host.empty()) element += ";host=" + (is_token(host) ? std::string(host) : quoted(host));
  return element;
}

}  // namespace strangler
