// The client address behind trusted proxies (X-Forwarded-For walked right to left) and the
// router's Forwarded element.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "router/http/forwarded_client.h"

using namespace strangler;

namespace {

TrustedProxies trusting(const std::vector<std::string>& blocks) {
  std::vector<CidrBlock> parsed;
  for (const auto& block : blocks) parsed.push_back(*parse_cidr(block).block);
  return TrustedProxies(std::move(parsed));
}

}  // namespace

TEST_CASE("client address: the nearest untrusted X-Forwarded-For entry from a trusted peer") {
  const auto trusted = trusting({"10.0.0.0/8", "127.0.0.1", "fd00::/8"});
  struct Row {
    const char* peer;
    const char* forwarded_for;
    const char* client;
  };
  const Row rows[] = {
      // an untrusted peer is the client, whatever it claims
      {"203.0.113.9", "198.51.100.1", "203.0.113.9"},
      {"203.0.113.9", "", "203.0.113.9"},
      // a trusted peer: right to left, trusted hops skipped
      {"127.0.0.1", "198.51.100.1", "198.51.100.1"},
      {"127.0.0.1", "198.51.100.1, 10.0.0.2", "198.51.100.1"},
      {"127.0.0.1", "spoofed, 198.51.100.1, 10.0.0.2, 10.0.0.3", "198.51.100.1"},
      {"127.0.0.1", "192.0.2.1, 198.51.100.1", "198.51.100.1"},
      {"127.0.0.1", " 198.51.100.1 ,,10.0.0.2 ", "198.51.100.1"},
      // every hop trusted: the leftmost
      {"127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1"},
      // no list: the peer
      {"127.0.0.1", "", "127.0.0.1"},
      // ports and brackets are not part of the address
      {"127.0.0.1", "198.51.100.1:4711", "198.51.100.1"},
      {"127.0.0.1", "[2001:db8::7]:4711, 10.0.0.2", "2001:db8::7"},
      {"127.0.0.1", "[2001:db8::7]", "2001:db8::7"},
      {"127.0.0.1", "2001:db8::7", "2001:db8::7"},
      {"fd00::1", "2001:db8::7, fd00::2", "2001:db8::7"},
      {"::ffff:10.0.0.9", "198.51.100.1", "198.51.100.1"},
      // a garbled entry ends the walk at the last address read
      {"127.0.0.1", "198.51.100.1, unknown", "127.0.0.1"},
      {"127.0.0.1", "198.51.100.1, garbage, 10.0.0.2", "10.0.0.2"},
      {"127.0.0.1", "[2001:db8::7", "127.0.0.1"},
      {"127.0.0.1", "[2001:db8::7]x", "127.0.0.1"},
  };
  for (const auto& row : rows) {
    const std::string peer = row.peer;
    const std::string chain = row.forwarded_for;
    CAPTURE(peer);
    CAPTURE(chain);
    CHECK(resolve_client_address(row.peer, row.forwarded_for, trusted) == row.client);
  }
  CHECK(resolve_client_address("127.0.0.1", "198.51.100.1", TrustedProxies()) == "127.0.0.1");
}

TEST_CASE("forwarded element: IPv6 quoted in brackets, a host that is no token quoted") {
  struct Row {
    const char* peer;
    const char* host;
    const char* element;
  };
  const Row rows[] = {
      {"192.0.2.43", "shop.example", "for=192.0.2.43;proto=http;host=shop.example"},
      {"192.0.2.43", "shop.example:8080", "for=192.0.2.43;proto=http;host=\"shop.example:8080\""},
      {"2001:db8:cafe::17", "a", "for=\"[2001:db8:cafe::17]\";proto=http;host=a"},
      {"::ffff:192.0.2.43", "[::1]:80", "for=\"[::ffff:192.0.2.43]\";proto=http;host=\"[::1]:80\""},
      {"unknown", "", "for=unknown;proto=http"},
      {"192.0.2.43", "a\"b", "for=192.0.2.43;proto=http;host=\"a\\\"b\""},
  };
  for (const auto& row : rows) {
    const std::string peer = row.peer;
    CAPTURE(peer);
    CHECK(forwarded_element(row.peer, row.host) == row.element);
  }
}
