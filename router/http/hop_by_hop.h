// Hop-by-hop header rules (RFC 9110 section 7.6.1), as plain string functions.
//
// A proxy must not forward the headers that describe one connection: Connection and every header
// it names, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade (so "Upgrade:
// h2c" never reaches an upstream), HTTP2-Settings and Proxy-*.
// The Beast-facing code (forwarding_headers.cpp) asks these functions what to drop; keeping them
// free of Beast lets them be tested and reused by the shadow path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rules/ascii_case.h"  // iequals, for the header rules of router/

namespace strangler {

// True for the fixed hop-by-hop names (case-insensitive), Proxy-* included.
bool is_hop_by_hop_header(std::string_view name);

// The header names listed in a Connection header value ("close, X-Foo" → {"close", "X-Foo"}),
// trimmed; empty tokens are skipped.
std::vector<std::string_view> connection_tokens(std::string_view connection_value);

// Appends `item` to a comma-separated list header value ("a" + "b" → "a, b").
std::string append_to_list(std::string_view existing, std::string_view item);

// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
std::string_view trim(std::string_view s);

}  // namespace strangler
