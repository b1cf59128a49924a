// Request path normalization: the router routes on, and forwards, exactly the path this returns.
//
// Steps (RFC 3986 section 6.2.2): percent-decode unreserved characters (ALPHA, DIGIT, "-._~"),
// upper-case the hex digits of the escapes that remain, merge repeated slashes, remove "." and
// ".." segments. Refused, because no safe meaning exists or because back ends disagree on them:
// ".." above the root, encoded '?', '#' or NUL, "%u" escapes, malformed escapes, a raw
// backslash, control bytes (0x00-0x1F, DEL), a space, a raw '?' or '#', and anything that does
// not start with '/'.
//
// Encoded separators ('/', '\', ';' as %2F, %5C, %3B in any hex case) are kept by default: they
// stay escapes inside their segment ("/projects/group%2Fproject" has two segments), are never
// decoded, never split on and never part of a dot segment, so a back end that decodes them once
// sees the path its client sent (GitLab-style URLs). EncodedSeparators::reject refuses them.
//
// What a normalized path holds: '/', unreserved characters, sub-delims (including ';'), ':', '@',
// and %XX escapes with upper-case hex of bytes that are not unreserved. Bytes that RFC 3986 does
// not allow raw in a path but that carry no special meaning ('"' '<' '>' '[' ']' '^' '`' '{' '|'
// '}' and bytes >= 0x80, such as raw UTF-8) are percent-encoded rather than refused, so that
// "/caf\xC3\xA9" and "/caf%C3%A9" route (and forward) alike. A trailing slash is kept as is:
// "/orders/" stays "/orders/" (a prefix route "/orders" matches it, an exact one does not), and a
// dot segment at the end leaves one ("/a/b/.." is "/a/"). "/" is the only one-character result.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strangler {

enum class EncodedSeparators : std::uint8_t {
  keep,    // %2F, %5C, %3B stay escapes inside their segment
  reject,  // %2F, %5C, %3B are refused
};

struct NormalizedPath {
  bool ok = false;
  std::string path;                // the normalized path when ok
  std::string error;               // one-line reason when not ok
  bool encoded_separator = false;  // refused for an encoded separator (reject mode)
};

// `raw` is the path part of the request target only (no query, no fragment). One pass over `raw`;
// allocates only the result (and the message on refusal).
NormalizedPath normalize_path(std::string_view raw,
                              EncodedSeparators separators = EncodedSeparators::keep);

// The alphabet of normalized paths, shared with the pattern parser.
namespace path_alphabet {
// ALPHA, DIGIT, '-', '.', '_', '~': decoded when escaped.
bool unreserved(unsigned char c);
// Bytes a normalized path holds as themselves, besides '/' and the '%' of escapes: unreserved,
// sub-delims ("!$&'()*+,;="), ':' and '@'.
bool raw_allowed(unsigned char c);
// Bytes whose escapes are always refused: '?', '#' and NUL.
bool escape_refused(unsigned char decoded);
// Bytes whose escapes are kept or refused as EncodedSeparators says: '/', '\' and ';'.
bool encoded_separator(unsigned char decoded);
}  // namespace path_alphabet

}  // namespace strangler
