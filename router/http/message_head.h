// Writing a message head (start line, fields, blank line) as bytes in one contiguous string.
//
// Beast's serializer hands the kernel one buffer per field, walked through a variant-based
// iterator; with the ~12 fields of a proxied message that walk cost more CPU per request than the
// routing step (perf, 64 connections). One string, reused per connection, is one iovec and a few
// appends. The output is byte for byte what Beast's serializer writes for the same header.
#pragma once

#include <string>

#include "router/net/asio.h"

namespace strangler {

// Appends the head of `request` / `response` to `out`.
void append_head(std::string& out, const http::request_header<>& request);
void append_head(std::string& out, const http::response_header<>& response);

}  // namespace strangler
