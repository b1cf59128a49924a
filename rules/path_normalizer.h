// Request path normalization: the router routes on, and forwards, exactly the path this returns.
//
// Steps (RFC 3986 section 6.2.2): percent-decode unreserved characters (ALPHA, DIGIT, "-._~"),
// upper-case the hex digits of the escapes that remain, merge repeated slashes, remove "." and
// ".." segments. Refused, because no safe meaning exists or because back ends disagree on them:
// ".." above the root, encoded '/', '\', ';', '?', '#' or NUL, "%u" escapes, malformed escapes,
// a raw backslash, control bytes, and anything that does not start with '/'.
#pragma once

#include <string>
#include <string_view>

namespace strangler {

struct NormalizedPath {
  bool ok = false;
  std::string path;   // the normalized path when ok
  std::string error;  // one-line reason when not ok
};

// `raw` is the path part of the request target only (no query, no fragment).
NormalizedPath normalize_path(std::string_view raw);

}  // namespace strangler
