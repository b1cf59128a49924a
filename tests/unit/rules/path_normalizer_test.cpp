// normalize_path: a table of accepted paths with their normalized form, a table of refusals with
// their one-line reasons, and properties (idempotence, output alphabet) over generated input.
#include "rules/path_normalizer.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <string_view>

using strangler::EncodedSeparators;
using strangler::normalize_path;

namespace {

struct Accepted {
  const char* raw;
  const char* normalized;
};

struct Refused {
  std::string raw;
  const char* error;
};

}  // namespace

TEST_CASE("accepted paths and their normalized form") {
  const Accepted cases[] = {
      // unchanged
      {"/", "/"},
      {"/orders", "/orders"},
      {"/orders/7", "/orders/7"},
      {"/a-b_c.d~e/F9", "/a-b_c.d~e/F9"},
      {"/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="},
      {"/...", "/..."},
      {"/a/.../b", "/a/.../b"},
      {"/.a/..b/c.", "/.a/..b/c."},
      // trailing slash kept
      {"/orders/", "/orders/"},
      {"/a/b/", "/a/b/"},
      // merged slashes
      {"//", "/"},
      {"///", "/"},
      {"//orders", "/orders"},
      {"/a//b", "/a/b"},
      {"/a///b//", "/a/b/"},
      // unreserved escapes decoded, any case
      {"/%41%62%63", "/Abc"},
      {"/%7e%7E", "/~~"},
      {"/%2d%2D%5f%5F%30%39", "/--__09"},
      {"/a%2Eb", "/a.b"},
      // other escapes kept with upper-case hex
      {"/a%20b", "/a%20b"},
      {"/caf%c3%a9", "/caf%C3%A9"},
      {"/%25", "/%25"},
      {"/%2541", "/%2541"},  // not decoded twice
      {"/%7c%7C", "/%7C%7C"},
      {"/%0a", "/%0A"},
      {"/%3a%40", "/%3A%40"},  // reserved characters stay encoded
      {"/%2a", "/%2A"},
      // dot segments
      {"/.", "/"},
      {"/./", "/"},
      {"/./a", "/a"},
      {"/a/.", "/a/"},
      {"/a/./", "/a/"},
      {"/a/./b", "/a/b"},
      {"/a/..", "/"},
      {"/a/../", "/"},
      {"/a/b/..", "/a/"},
      {"/a/b/../c", "/a/c"},
      {"/a/b/c/../../d", "/a/d"},
      {"/a/./b/../../c/", "/c/"},
      {"/a//../b", "/b"},  // "//" is merged before ".." is applied
      {"/a/%2E", "/a/"},
      {"/a/%2e%2E/b", "/b"},
      {"/a/.%2e", "/"},
      {"/a/%2E./b", "/b"},
      // harmless characters that are not allowed raw get encoded
      {"/a|b", "/a%7Cb"},
      {"/{x}", "/%7Bx%7D"},
      {"/\"<>[]^`", "/%22%3C%3E%5B%5D%5E%60"},
      {"/caf\xC3\xA9", "/caf%C3%A9"},
      {"/\xFF", "/%FF"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.raw);
    const auto result = normalize_path(c.raw);
    CHECK(result.ok);
    CHECK(result.path == c.normalized);
    CHECK(result.error.empty());
  }
}

TEST_CASE("refused paths and their reasons") {
  const Refused cases[] = {
      {"", "empty path"},
      {"orders", "path must start with '/'"},
      {"*", "path must start with '/'"},
      {"http://x/a", "path must start with '/'"},
      {"/..", "path escapes above the root"},
      {"/../a", "path escapes above the root"},
      {"/a/../..", "path escapes above the root"},
      {"/a/../../b", "path escapes above the root"},
      {"/%2E%2E", "path escapes above the root"},
      {"/%2e./x", "path escapes above the root"},
      {"/a%3F", "encoded '?' (%3F) is not allowed in a path"},
      {"/a%3f", "encoded '?' (%3F) is not allowed in a path"},
      {"/a%23", "encoded '#' (%23) is not allowed in a path"},
      {"/a%00", "encoded NUL (%00) is not allowed in a path"},
      {"/a%u002F", "%u escapes are not allowed in a path"},
      {"/a%U002F", "%u escapes are not allowed in a path"},
      {"/a%u", "%u escapes are not allowed in a path"},
      {"/a%", "malformed percent escape in path"},
      {"/a%4", "malformed percent escape in path"},
      {"/a%4G", "malformed percent escape in path"},
      {"/a%G4", "malformed percent escape in path"},
      {"/a% 1", "malformed percent escape in path"},
      {"/a%%41", "malformed percent escape in path"},
      {"/a\\b", "backslash is not allowed in a path"},
      {"/a/..\\", "backslash is not allowed in a path"},
      {"/a b", "control character or space in path"},
      {"/a\tb", "control character or space in path"},
      {"/a\nb", "control character or space in path"},
      {"/a\rb", "control character or space in path"},
      {"/a\x7F", "control character or space in path"},
      {"/a\x01", "control character or space in path"},
      {std::string("/a\0b", 4), "control character or space in path"},
      {"/a?b=1", "'?' or '#' in path: pass the path without query or fragment"},
      {"/a#frag", "'?' or '#' in path: pass the path without query or fragment"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.raw);
    const auto result = normalize_path(c.raw);
    CHECK_FALSE(result.ok);
    CHECK(result.error == c.error);
  }
}

TEST_CASE("a refusal anywhere in the path wins over dot segments before it") {
  CHECK(normalize_path("/a/../%00").error == "encoded NUL (%00) is not allowed in a path");
  CHECK(normalize_path("/a/../%2F", EncodedSeparators::reject).error ==
        "encoded '/' (%2F) is not allowed in a path");
  CHECK(normalize_path("/../%2F").error == "path escapes above the root");
}

TEST_CASE("encoded separators: kept inside their segment by default, refused in reject mode") {
  struct Row {
    const char* raw;
    const char* kept;      // the normalized path in keep mode
    const char* rejected;  // the reason in reject mode; empty: accepted alike
  };
  const Row rows[] = {
      {"/api/v4/projects/group%2Fproject", "/api/v4/projects/group%2Fproject",
       "encoded '/' (%2F) is not allowed in a path"},
      {"/a%2fb", "/a%2Fb", "encoded '/' (%2F) is not allowed in a path"},
      {"/a/%2F", "/a/%2F", "encoded '/' (%2F) is not allowed in a path"},
      {"/%2F%2f", "/%2F%2F", "encoded '/' (%2F) is not allowed in a path"},
      {"/a%5Cb", "/a%5Cb", "encoded backslash (%5C) is not allowed in a path"},
      {"/a%5cb", "/a%5Cb", "encoded backslash (%5C) is not allowed in a path"},
      {"/a%3Bb", "/a%3Bb", "encoded ';' (%3B) is not allowed in a path"},
      {"/a%3bb", "/a%3Bb", "encoded ';' (%3B) is not allowed in a path"},
      // never a separator, so never part of a dot segment, and ".." removes the whole segment
      {"/a/..%2F..%2Fetc", "/a/..%2F..%2Fetc", "encoded '/' (%2F) is not allowed in a path"},
      {"/%2E%2E%2F", "/..%2F", "encoded '/' (%2F) is not allowed in a path"},
      {"/a%2Fb/../c", "/c", "encoded '/' (%2F) is not allowed in a path"},
      {"/x/%2F/..", "/x/", "encoded '/' (%2F) is not allowed in a path"},
      {"//a%2F//b", "/a%2F/b", "encoded '/' (%2F) is not allowed in a path"},
      // raw ';' is a sub-delim in both modes; the other refusals do not depend on the mode
      {"/a;b", "/a;b", ""},
  };
  for (const auto& row : rows) {
    const std::string shown = row.raw;
    CAPTURE(shown);
    const auto kept = normalize_path(row.raw, EncodedSeparators::keep);
    CHECK(kept.ok);
    CHECK(kept.path == row.kept);
    CHECK_FALSE(kept.encoded_separator);
    const auto rejected = normalize_path(row.raw, EncodedSeparators::reject);
    if (std::string_view(row.rejected).empty()) {
      CHECK(rejected.ok);
      CHECK(rejected.path == row.kept);
    } else {
      CHECK_FALSE(rejected.ok);
      CHECK(rejected.error == row.rejected);
      CHECK(rejected.encoded_separator);
    }
  }
  for (const char* raw : {"/a%00", "/a%zz", "/../..", "/a%3F", "/a%23", "/a\\b", "/a%u002F"}) {
    const std::string shown = raw;
    CAPTURE(shown);
    for (auto mode : {EncodedSeparators::keep, EncodedSeparators::reject}) {
      const auto result = normalize_path(raw, mode);
      CHECK_FALSE(result.ok);
      CHECK_FALSE(result.encoded_separator);
    }
  }
}

namespace {

bool in_output_alphabet(const std::string& path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto c = static_cast<unsigned char>(path[i]);
    if (c == '/' || strangler::path_alphabet::raw_allowed(c)) continue;
    if (c != '%' || i + 2 >= path.size()) return false;
    for (const char h : {path[i + 1], path[i + 2]}) {
      if (!((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'))) return false;
    }
    i += 2;
  }
  return true;
}

}  // namespace

TEST_CASE("generated paths: normalized output is idempotent and uses the path alphabet") {
  static const char* const kPieces[] = {"/",   "//",  "a",   "b",   ".",   "..",  "%2E",
                                        "%2e", "%41", "%7e", "%20", "%c3", "|",   ";",
                                        "~",   "%",   "%2F", "\\",  " ",   "x.y", "\xC3"};
  std::mt19937 rng(20240611);
  int accepted = 0;
  for (int n = 0; n < 5000; ++n) {
    std::string raw = "/";
    const int pieces = static_cast<int>(rng() % 8);
    for (int p = 0; p < pieces; ++p) raw += kPieces[rng() % std::size(kPieces)];
    const auto result = normalize_path(raw);
    CAPTURE(raw);
    if (!result.ok) {
      CHECK_FALSE(result.error.empty());
      CHECK(result.error.find('\n') == std::string::npos);
      continue;
    }
    ++accepted;
    CHECK(in_output_alphabet(result.path));
    CHECK(result.path.find("//") == std::string::npos);
    const auto again = normalize_path(result.path);
    CHECK(again.ok);
    CHECK(again.path == result.path);
  }
  CHECK(accepted > 1000);
}

TEST_CASE("path_alphabet") {
  using namespace strangler::path_alphabet;
  CHECK(unreserved('a'));
  CHECK(unreserved('~'));
  CHECK_FALSE(unreserved('%'));
  CHECK_FALSE(unreserved(':'));
  CHECK(raw_allowed(';'));
  CHECK(raw_allowed('@'));
  CHECK_FALSE(raw_allowed('/'));
  CHECK_FALSE(raw_allowed('%'));
  CHECK_FALSE(raw_allowed('|'));
  CHECK_FALSE(raw_allowed(0x80));
  for (unsigned char c : {'?', '#', '\0'}) CHECK(escape_refused(c));
  CHECK_FALSE(escape_refused(' '));
  CHECK_FALSE(escape_refused('/'));
  for (unsigned char c : {'/', '\\', ';'}) CHECK(encoded_separator(c));
  CHECK_FALSE(encoded_separator('?'));
}
