// libFuzzer target for normalize_path (rules/path_normalizer.h), run in both EncodedSeparators
// modes. Besides "does not crash" under ASan/UBSan it checks the documented properties of every
// accepted path: normalizing it again (same mode) changes nothing; it starts with '/', holds no
// "//" and no "." or ".." segment; and every byte is '/', an escape with upper-case hex of a byte
// that is not unreserved (nor an encoded separator in reject mode), or a raw-allowed byte. A
// refusal must carry a one-line reason. Across modes: an encoded slash is treated exactly like
// any other kept escape (swapping every %2F for %25 before or after normalizing gives the same
// path, so it never becomes a separator, is never decoded and never makes a dot segment), and
// what reject mode accepts, keep mode accepts unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rules/path_normalizer.h"

namespace {

void require(bool condition, const char* what, std::string_view path) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s: \"%.*s\"\n", what, static_cast<int>(path.size()),
               path.data());
  std::abort();
}

bool upper_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int hex(char c) {
  return c <= '9' ? c - '0' : c - 'A' + 10;
}

void check_alphabet(std::string_view path, strangler::EncodedSeparators mode) {
  namespace alphabet = strangler::path_alphabet;
  for (std::size_t i = 0; i < path.size(); ++i) {
    auto c = static_cast<unsigned char>(path[i]);
    if (c == '/') continue;
    if (c == '%') {
      require(i + 2 < path.size() && upper_hex(path[i + 1]) && upper_hex(path[i + 2]),
              "escape with two upper-case hex digits", path);
      auto decoded = static_cast<unsigned char>(hex(path[i + 1]) * 16 + hex(path[i + 2]));
      require(!alphabet::unreserved(decoded), "no escaped unreserved byte", path);
      require(!alphabet::escape_refused(decoded), "no escape of a refused byte", path);
      require(mode == strangler::EncodedSeparators::keep || !alphabet::encoded_separator(decoded),
              "no encoded separator in reject mode", path);
      i += 2;
      continue;
    }
    require(alphabet::raw_allowed(c), "only allowed raw bytes", path);
  }
}

void check_segments(std::string_view path) {
  require(!path.empty() && path.front() == '/', "starts with '/'", path);
  require(path.find("//") == std::string_view::npos, "no \"//\"", path);
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto segment = path.substr(start, end - start);
    require(segment != "." && segment != "..", "no dot segments", path);
    start = end + 1;
  }
}

// Every "%2F" ("%2f") escape replaced by "%25": another escape that is kept and never special.
std::string slash_escapes_swapped(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && text[i + 1] == '2' &&
        (text[i + 2] == 'F' || text[i + 2] == 'f')) {
      out += "%25";
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

strangler::NormalizedPath check_mode(std::string_view raw, strangler::EncodedSeparators mode) {
  auto result = strangler::normalize_path(raw, mode);
  if (!result.ok) {
    require(!result.error.empty() && result.error.find('\n') == std::string::npos,
            "a refusal has a one-line reason", raw);
    return result;
  }
  check_segments(result.path);
  check_alphabet(result.path, mode);
  auto again = strangler::normalize_path(result.path, mode);
  require(again.ok, "a normalized path is accepted", result.path);
  require(again.path == result.path, "normalizing is idempotent", result.path);
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using strangler::EncodedSeparators;
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto kept = check_mode(raw, EncodedSeparators::keep);
  auto rejected = check_mode(raw, EncodedSeparators::reject);
  require(!rejected.ok || (kept.ok && kept.path == rejected.path),
          "what reject mode accepts, keep mode accepts unchanged", raw);
  require(kept.ok || !rejected.ok, "what keep mode refuses, reject mode refuses", raw);
  auto swapped = strangler::normalize_path(slash_escapes_swapped(raw), EncodedSeparators::keep);
  require(swapped.ok == kept.ok, "an encoded slash is accepted like any kept escape", raw);
  require(!kept.ok || slash_escapes_swapped(kept.path) == swapped.path,
          "an encoded slash is never a separator nor decoded", raw);
  return 0;
}
