// IP addresses and CIDR blocks as plain values, parsed from text without the network stack, for
// --trusted-proxy and for reading X-Forwarded-For.
//
// Accepted: dotted-quad IPv4 ("192.0.2.7", each part 0-255, no leading zeros, which some parsers
// read as octal), IPv6 in RFC 4291 text form ("2001:db8::1", "::", "::ffff:192.0.2.7"; no zone
// ids, no brackets). A block is an address with an optional "/prefix" (0-32 or 0-128); without
// one it is the single address. The bits below the prefix must be zero ("10.0.0.1/8" is refused:
// it is more likely a typo than a meaning). An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the
// IPv4 address it maps, so a dual-stack listener's peers match IPv4 blocks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strangler {

struct IpAddress {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4: the first 4

  std::size_t bit_count() const { return v6 ? 128 : 32; }
  bool operator==(const IpAddress&) const = default;
};

// nullopt when `text` is not an address (mapped IPv6 comes back as IPv4).
std::optional<IpAddress> parse_ip_address(std::string_view text);

struct CidrBlock {
  IpAddress base;
  std::size_t prefix = 0;  // leading bits that must match

  bool contains(const IpAddress& address) const;
};

struct CidrParse {
  std::optional<CidrBlock> block;
  std::string error;  // one line when !block
};

CidrParse parse_cidr(std::string_view text);

// The blocks given with --trusted-proxy.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  explicit TrustedProxies(std::vector<CidrBlock> blocks) : blocks_(std::move(blocks)) {}

  bool empty() const { return blocks_.empty(); }
  bool trusts(const IpAddress& address) const;
  // False for text that is not an address.
  bool trusts(std::string_view address) const;

 private:
  std::vector<CidrBlock> blocks_;
};

}  // namespace strangler
