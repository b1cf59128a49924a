// Listen address parsing; see listen_address.h.
#include "router/net/listen_address.h"

#include <charconv>
#include <stdexcept>

namespace strangler {

ListenAddress parse_listen_address(std::string_view text) {
  auto fail = [&](const char* why) {
    return std::invalid_argument("invalid listen address \"" + std::string(text) + "\": " + why);
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw fail("expected HOST:PORT");
  auto host = text.substr(0, colon);
  auto port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    throw fail("write IPv6 addresses in brackets, e.g. [::1]:8080");
  }
  if (host.empty()) throw fail("missing host");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    throw fail("port must be a number from 0 to 65535");
  }
  return {std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace strangler
