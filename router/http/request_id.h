// Request ids for X-Request-Id: 32 hex digits from a per-thread random generator, so that making
// one needs no lock and no system call.
#pragma once

#include <string>
#include <string_view>

namespace strangler {

std::string make_request_id();

// True when a client-supplied id is safe to pass on: 1..128 visible ASCII characters.
bool acceptable_request_id(std::string_view id);

}  // namespace strangler
