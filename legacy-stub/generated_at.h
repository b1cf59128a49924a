// generated_at: the one field of the shop's answers that changes on every call.
//
// Real services stamp their answers (generation times, request ids), and two answers of the same
// service to the same request then differ there. The router's noise check (issue 3) exists to find
// such fields, so the stub has one: every shop document carries
// "meta": {"generated_at": "<RFC 3339 UTC with microseconds>"}; everything else stays a pure
// function of the id.
#pragma once

#include <string>

namespace strangler::stub {

// Now as "2026-11-27T03:58:27.123456Z", strictly later than the previous call's value in this
// process (a call within the same microsecond gets the next microsecond).
std::string generated_at_now();

}  // namespace strangler::stub
