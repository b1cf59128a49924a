// IP address and CIDR block parsing and matching: tables of accepted and refused text, and of
// addresses inside and outside blocks.
#include <doctest/doctest.h>

#include <string>

#include "router/net/cidr.h"

using namespace strangler;

namespace {

IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress address;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

IpAddress v6(std::initializer_list<std::uint16_t> groups) {
  IpAddress address;
  address.v6 = true;
  std::size_t i = 0;
  for (auto group : groups) {
    address.bytes[i++] = static_cast<std::uint8_t>(group >> 8);
    address.bytes[i++] = static_cast<std::uint8_t>(group & 0xFF);
  }
  return address;
}

}  // namespace

TEST_CASE("addresses: accepted text and the address it means") {
  struct Row {
    const char* text;
    IpAddress address;
  };
  const Row rows[] = {
      {"127.0.0.1", v4(127, 0, 0, 1)},
      {"0.0.0.0", v4(0, 0, 0, 0)},
      {"255.255.255.255", v4(255, 255, 255, 255)},
      {"10.20.30.40", v4(10, 20, 30, 40)},
      {"::", v6({0, 0, 0, 0, 0, 0, 0, 0})},
      {"::1", v6({0, 0, 0, 0, 0, 0, 0, 1})},
      {"2001:db8::7", v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 7})},
      {"2001:DB8:0:0:0:0:0:7", v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 7})},
      {"fe80::", v6({0xfe80, 0, 0, 0, 0, 0, 0, 0})},
      {"1:2:3:4:5:6:7::", v6({1, 2, 3, 4, 5, 6, 7, 0})},
      {"::2:3:4:5:6:7:8", v6({0, 2, 3, 4, 5, 6, 7, 8})},
      {"64:ff9b::192.0.2.33", v6({0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221})},
      // IPv4-mapped: the IPv4 address, so a dual-stack listener's peers match IPv4 blocks
      {"::ffff:192.0.2.7", v4(192, 0, 2, 7)},
      {"::FFFF:c000:0207", v4(192, 0, 2, 7)},
  };
  for (const auto& row : rows) {
    const std::string text = row.text;
    CAPTURE(text);
    auto parsed = parse_ip_address(row.text);
    REQUIRE(parsed);
    CHECK(*parsed == row.address);
  }
}

TEST_CASE("addresses: refused text") {
  for (const char* text : {"",
                           "1.2.3",
                           "1.2.3.4.5",
                           "256.1.1.1",
                           "1.2.3.-1",
                           "01.2.3.4",
                           "1.2.3.4 ",
                           " 1.2.3.4",
                           "1..2.3",
                           "1.2.3.",
                           "a.b.c.d",
                           "1.2.3.4:80",
                           "[::1]",
                           ":::",
                           "1:::2",
                           "::1::",
                           ":1::",
                           "1::2::3",
                           "12345::",
                           "g::",
                           "1:2:3:4:5:6:7:8:9",
                           "1:2:3:4:5:6:7:8::",
                           "1:2:3:4:5:6:7",
                           "::1.2.3",
                           "1.2.3.4::",
                           "fe80::1%eth0",
                           "unknown",
                           "localhost"}) {
    const std::string shown = text;
    CAPTURE(shown);
    CHECK_FALSE(parse_ip_address(text));
  }
}

TEST_CASE("blocks: addresses inside and outside") {
  struct Row {
    const char* block;
    const char* address;
    bool inside;
  };
  const Row rows[] = {
      {"127.0.0.1/32", "127.0.0.1", true},
      {"127.0.0.1/32", "127.0.0.2", false},
      {"127.0.0.1", "127.0.0.1", true},  // a plain address is a /32
      {"127.0.0.1", "127.0.0.2", false},
      {"10.0.0.0/8", "10.255.1.2", true},
      {"10.0.0.0/8", "11.0.0.0", false},
      {"172.16.0.0/12", "172.31.255.255", true},
      {"172.16.0.0/12", "172.32.0.0", false},
      {"192.168.1.128/25", "192.168.1.200", true},
      {"192.168.1.128/25", "192.168.1.127", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "::1", false},  // families never match each other
      {"::/0", "127.0.0.1", false},
      {"::/0", "2001:db8::1", true},
      {"::1", "::1", true},
      {"::1/128", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"fc00::/7", "fdff::1", true},
      {"fc00::/7", "fe00::1", false},
      // an IPv4-mapped peer matches an IPv4 block, and a mapped block matches IPv4 peers
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},
      {"::ffff:10.0.0.0/104", "10.1.2.3", true},
      {"::ffff:10.0.0.0/104", "11.1.2.3", false},
  };
  for (const auto& row : rows) {
    const std::string block_text = row.block;
    const std::string address_text = row.address;
    CAPTURE(block_text);
    CAPTURE(address_text);
    auto block = parse_cidr(row.block);
    REQUIRE(block.block);
    CHECK(block.error.empty());
    auto address = parse_ip_address(row.address);
    REQUIRE(address);
    CHECK(block.block->contains(*address) == row.inside);
  }
}

TEST_CASE("blocks: refused text, with a one-line reason") {
  struct Row {
    const char* text;
    const char* error;
  };
  const Row rows[] = {
      {"", "\"\" is not an IPv4 or IPv6 address or CIDR block"},
      {"10.0.0.0/", "\"10.0.0.0/\": the prefix length must be 0-32"},
      {"10.0.0.0/33", "\"10.0.0.0/33\": the prefix length must be 0-32"},
      {"10.0.0.0/08", "\"10.0.0.0/08\": the prefix length must be 0-32"},
      {"10.0.0.0/-1", "\"10.0.0.0/-1\": the prefix length must be 0-32"},
      {"10.0.0.0/8/8", "\"10.0.0.0/8/8\": the prefix length must be 0-32"},
      {"::/129", "\"::/129\": the prefix length must be 0-128"},
      {"10.0.0.1/8", "\"10.0.0.1/8\": bits are set below the /8 prefix"},
      {"2001:db8::1/32", "\"2001:db8::1/32\": bits are set below the /32 prefix"},
      {"::ffff:10.0.0.0/64",
       "\"::ffff:10.0.0.0/64\": an IPv4-mapped block needs a prefix of 96-128"},
      {"example.com/8", "\"example.com/8\" is not an IPv4 or IPv6 address or CIDR block"},
      {"10.0.0.0 /8", "\"10.0.0.0 /8\" is not an IPv4 or IPv6 address or CIDR block"},
  };
  for (const auto& row : rows) {
    const std::string text = row.text;
    CAPTURE(text);
    auto parsed = parse_cidr(row.text);
    CHECK_FALSE(parsed.block);
    CHECK(parsed.error == row.error);
  }
}

TEST_CASE("trusted proxies: any block trusts, text that is no address never") {
  TrustedProxies none;
  CHECK(none.empty());
  CHECK_FALSE(none.trusts("127.0.0.1"));
  TrustedProxies some({*parse_cidr("10.0.0.0/8").block, *parse_cidr("2001:db8::/32").block});
  CHECK_FALSE(some.empty());
  CHECK(some.trusts("10.1.1.1"));
  CHECK(some.trusts("2001:db8::5"));
  CHECK(some.trusts("::ffff:10.9.9.9"));
  CHECK_FALSE(some.trusts("192.0.2.1"));
  CHECK_FALSE(some.trusts("unknown"));
  CHECK_FALSE(some.trusts(""));
}
