// "HOST:PORT" and "[IPv6]:PORT" listen addresses, as given on the command line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strangler {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;  // 0: let the kernel pick
};

// Throws std::invalid_argument with a one-line reason.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace strangler
