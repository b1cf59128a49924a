// Who the client is, behind trusted proxies, and the router's own RFC 7239 Forwarded element:
// plain string functions over header values, so the rules are table-tested without Beast.
//
// A peer in a --trusted-proxy block speaks for the client: its X-Forwarded-For names the hops
// before it. The client is the nearest untrusted address in that list, read right to left
// (every trusted hop is skipped); when every hop is trusted, the leftmost. An entry that is not an
// address ends the walk at the last address read (a trusted proxy's own, or the peer), so a
// garbled list never becomes the client address. Entries may carry a port ("192.0.2.7:4711",
// "[2001:db8::7]:4711") or brackets; the address is returned without them. From a peer that is
// not trusted, the client is the peer and X-Forwarded-For is ignored.
#pragma once

#include <string>
#include <string_view>

#include "router/net/cidr.h"

namespace strangler {

// `forwarded_for`: every X-Forwarded-For value as received, joined with ", " (empty: none).
std::string resolve_client_address(std::string_view peer, std::string_view forwarded_for,
                                   const TrustedProxies& trusted);

// The router's Forwarded element for one hop: for=<peer>;proto=http[;host=<host>] with an IPv6
// peer quoted in brackets (for="[2001:db8::7]") and the host quoted when it is not a token
// (host="shop.example:8080"). An empty host is left out.
std::string forwarded_element(std::string_view peer, std::string_view host);

}  // namespace strangler
