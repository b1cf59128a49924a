// libFuzzer target for normalize_path (rules/path_normalizer.h). Besides "does not crash" under
// ASan/UBSan it checks the documented properties of every accepted path: normalizing it again
// changes nothing; it starts with '/', holds no "//" and no "." or ".." segment; and every byte
// is '/', an escape with upper-case hex of a byte that is not unreserved, or a raw-allowed byte.
// A refusal must carry a one-line reason.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

void check_alphabet(std::string_view path) {
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto result = strangler::normalize_path(raw);
  if (!result.ok) {
    require(!result.error.empty() && result.error.find('\n') == std::string::npos,
            "a refusal has a one-line reason", raw);
    return 0;
  }
  check_segments(result.path);
  check_alphabet(result.path);
  auto again = strangler::normalize_path(result.path);
  require(again.ok, "a normalized path is accepted", result.path);
  require(again.path == result.path, "normalizing is idempotent", result.path);
  return 0;
}
