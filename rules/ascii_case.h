// ASCII case rules for protocol tokens (header names, method names, schemes): locale-free, so a
// Turkish or any other locale never changes what matches.
#pragma once

#include <string>
#include <string_view>

namespace strangler {

char ascii_lower(char c);
// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);
std::string ascii_lowercase(std::string_view text);

}  // namespace strangler
