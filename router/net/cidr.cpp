// Address and CIDR parsing by hand (RFC 791 dotted quads, RFC 4291 section 2.2 IPv6 text); see
// cidr.h.
#include "router/net/cidr.h"

#include <algorithm>

#include <fmt/format.h>

namespace strangler {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A decimal number of 1-3 digits with no leading zero, at most `max`.
std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3 || (text.size() > 1 && text.front() == '0')) return {};
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return {};
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return {};
  return value;
}

bool parse_ipv4_into(std::string_view text, std::uint8_t* out) {
  for (int part = 0; part < 4; ++part) {
    auto dot = text.find('.');
    if ((part < 3) != (dot != std::string_view::npos)) return false;
    auto value = parse_decimal(text.substr(0, dot), 255);
    if (!value) return false;
    out[part] = static_cast<std::uint8_t>(*value);
    text = part < 3 ? text.substr(dot + 1) : std::string_view();
  }
  return true;
}

// Parses colon-separated 16-bit groups (an IPv4 tail allowed when `v4_tail`) into `out`; returns
// the number of bytes written, or -1.
int parse_groups(std::string_view text, std::uint8_t* out, int room, bool v4_tail) {
  if (text.empty()) return 0;
  int written = 0;
  while (true) {
    auto colon = text.find(':');
    auto group = text.substr(0, colon);
    if (colon == std::string_view::npos && v4_tail && group.find('.') != std::string_view::npos) {
      if (written + 4 > room || !parse_ipv4_into(group, out + written)) return -1;
      return written + 4;
    }
    if (group.empty() || group.size() > 4 || written + 2 > room) return -1;
    unsigned value = 0;
    for (char c : group) {
      int digit = hex_digit(c);
      if (digit < 0) return -1;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    out[written++] = static_cast<std::uint8_t>(value >> 8);
    out[written++] = static_cast<std::uint8_t>(value & 0xFF);
    if (colon == std::string_view::npos) return written;
    text = text.substr(colon + 1);
  }
}

std::optional<IpAddress> parse_ipv6(std::string_view text) {
  IpAddress address;
  address.v6 = true;
  auto gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (parse_groups(text, address.bytes.data(), 16, true) != 16) return {};
    return address;
  }
  auto head = text.substr(0, gap);
  auto tail = text.substr(gap + 2);
  if (tail.find("::") != std::string_view::npos) return {};
  std::array<std::uint8_t, 16> back{};
  int front_bytes = parse_groups(head, address.bytes.data(), 14, false);
  if (front_bytes < 0) return {};
  int back_bytes = parse_groups(tail, back.data(), 14 - front_bytes, true);
  if (back_bytes < 0) return {};
  std::copy_n(back.begin(), back_bytes, address.bytes.end() - back_bytes);
  return address;
}

bool is_mapped_ipv4(const IpAddress& address) {
  return address.v6 &&
         std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes.begin());
}

IpAddress unmapped(const IpAddress& address) {
  IpAddress v4;
  std::copy_n(address.bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

// Whether the first `prefix` bits of a and b agree.
bool same_prefix(const IpAddress& a, const IpAddress& b, std::size_t prefix) {
  std::size_t full = prefix / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + static_cast<long>(full), b.bytes.begin())) {
    return false;
  }
  std::size_t rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a.bytes[full] & mask) == (b.bytes[full] & mask);
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    IpAddress address;
    if (!parse_ipv4_into(text, address.bytes.data())) return {};
    return address;
  }
  auto address = parse_ipv6(text);
  if (address && is_mapped_ipv4(*address)) return unmapped(*address);
  return address;
}

bool CidrBlock::contains(const IpAddress& address) const {
  return address.v6 == base.v6 && same_prefix(address, base, prefix);
}

CidrParse parse_cidr(std::string_view text) {
  CidrParse result;
  auto slash = text.find('/');
  auto address = parse_ip_address(text.substr(0, slash));
  if (!address) {
    result.error = fmt::format("{:?} is not an IPv4 or IPv6 address or CIDR block", text);
    return result;
  }
  CidrBlock block{*address, address->bit_count()};
  if (slash != std::string_view::npos) {
    const bool written_v6 = text.substr(0, slash).find(':') != std::string_view::npos;
    const unsigned bits = written_v6 ? 128 : 32;
    auto prefix = parse_decimal(text.substr(slash + 1), bits);
    if (!prefix) {
      result.error = fmt::format("{:?}: the prefix length must be 0-{}", text, bits);
      return result;
    }
    block.prefix = *prefix;
    // An IPv4-mapped block written in IPv6 form counts its prefix over 128 bits.
    if (written_v6 && !address->v6) {
      if (block.prefix < 96) {
        result.error = fmt::format("{:?}: an IPv4-mapped block needs a prefix of 96-128", text);
        return result;
      }
      block.prefix -= 96;
    }
  }
  IpAddress zeroed = block.base;
  for (std::size_t bit = block.prefix; bit < zeroed.bit_count(); ++bit) {
    zeroed.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (!(zeroed == block.base)) {
    result.error = fmt::format("{:?}: bits are set below the /{} prefix", text, block.prefix);
    return result;
  }
  result.block = block;
  return result;
}

bool TrustedProxies::trusts(const IpAddress& address) const {
  return std::any_of(blocks_.begin(), blocks_.end(),
                     [&](const CidrBlock& block) { return block.contains(address); });
}

bool TrustedProxies::trusts(std::string_view address) const {
  auto parsed = parse_ip_address(address);
  return parsed && trusts(*parsed);
}

}  // namespace strangler
