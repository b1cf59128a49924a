// normalize_path: one pass over the raw request path, segment by segment, writing the normalized
// path into a buffer reserved up front. Each segment is decoded as it is copied; a segment that
// turns out to be "." or ".." (also when spelled "%2E") is then taken back off the end of the
// buffer, which is how RFC 3986 section 5.2.4 removes dot segments without a segment stack.
#include "rules/path_normalizer.h"

#include <array>
#include <cstdint>

namespace strangler {
namespace {

// What to do with a raw byte inside a segment.
enum class Raw : std::uint8_t {
  kKeep,       // copy as is
  kEncode,     // not allowed raw by RFC 3986 but harmless: write as %XX
  kPercent,    // start of an escape
  kSlash,      // end of the segment
  kControl,    // refused: control byte, DEL or space
  kBackslash,  // refused
  kDelimiter,  // refused: '?' or '#' (the caller passed more than the path)
};

constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

constexpr bool is_sub_delim_or_colon_at(unsigned char c) {
  for (char d : std::string_view("!$&'()*+,;=:@")) {
    if (c == static_cast<unsigned char>(d)) return true;
  }
  return false;
}

constexpr Raw classify(unsigned char c) {
  if (c < 0x20 || c == 0x20 || c == 0x7F) return Raw::kControl;
  if (is_unreserved(c) || is_sub_delim_or_colon_at(c)) return Raw::kKeep;
  if (c == '%') return Raw::kPercent;
  if (c == '/') return Raw::kSlash;
  if (c == '\\') return Raw::kBackslash;
  if (c == '?' || c == '#') return Raw::kDelimiter;
  return Raw::kEncode;
}

constexpr std::array<Raw, 256> make_raw_table() {
  std::array<Raw, 256> table{};
  for (int c = 0; c < 256; ++c) table[c] = classify(static_cast<unsigned char>(c));
  return table;
}

constexpr std::array<Raw, 256> kRawTable = make_raw_table();
constexpr char kHex[] = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

void append_escape(std::string& out, unsigned char b) {
  const char escape[3] = {'%', kHex[b >> 4], kHex[b & 0xF]};
  out.append(escape, 3);
}

const char* refused_escape_message(unsigned char b) {
  switch (b) {
    case '/':
      return "encoded '/' (%2F) is not allowed in a path";
    case '\\':
      return "encoded backslash (%5C) is not allowed in a path";
    case ';':
      return "encoded ';' (%3B) is not allowed in a path";
    case '?':
      return "encoded '?' (%3F) is not allowed in a path";
    case '#':
      return "encoded '#' (%23) is not allowed in a path";
    default:
      return "encoded NUL (%00) is not allowed in a path";
  }
}

// How a segment is copied: the caller's mode, and whether a refusal was for a separator.
struct Copy {
  EncodedSeparators separators;
  bool separator_refused = false;
};

// Decodes the escape at raw[i] ('%') into `out`; returns an error message or nullptr.
const char* copy_escape(std::string_view raw, std::size_t i, std::string& out, Copy& copy) {
  if (i + 1 < raw.size() && (raw[i + 1] == 'u' || raw[i + 1] == 'U')) {
    return "%u escapes are not allowed in a path";
  }
  if (i + 2 >= raw.size()) return "malformed percent escape in path";
  const int high = hex_value(raw[i + 1]);
  const int low = hex_value(raw[i + 2]);
  if (high < 0 || low < 0) return "malformed percent escape in path";
  const auto b = static_cast<unsigned char>(high * 16 + low);
  if (is_unreserved(b)) {
    out.push_back(static_cast<char>(b));
  } else if (path_alphabet::escape_refused(b)) {
    return refused_escape_message(b);
  } else if (path_alphabet::encoded_separator(b) && copy.separators == EncodedSeparators::reject) {
    copy.separator_refused = true;
    return refused_escape_message(b);
  } else {
    append_escape(out, b);
  }
  return nullptr;
}

const char* refused_raw_message(Raw kind) {
  switch (kind) {
    case Raw::kControl:
      return "control character or space in path";
    case Raw::kBackslash:
      return "backslash is not allowed in a path";
    default:
      return "'?' or '#' in path: pass the path without query or fragment";
  }
}

// Copies (decoding) the segment starting at raw[i] into `out` and advances `i` to the next '/'
// or to the end. Returns an error message or nullptr.
const char* copy_segment(std::string_view raw, std::size_t& i, std::string& out, Copy& copy) {
  while (i < raw.size()) {
    const std::size_t run = i;
    while (i < raw.size() && kRawTable[static_cast<unsigned char>(raw[i])] == Raw::kKeep) ++i;
    out.append(raw.data() + run, i - run);
    if (i == raw.size()) break;
    const auto c = static_cast<unsigned char>(raw[i]);
    switch (kRawTable[c]) {
      case Raw::kSlash:
        return nullptr;
      case Raw::kEncode:
        append_escape(out, c);
        ++i;
        break;
      case Raw::kPercent:
        if (const char* error = copy_escape(raw, i, out, copy)) return error;
        i += 3;
        break;
      default:
        return refused_raw_message(kRawTable[c]);
    }
  }
  return nullptr;
}

// Removes the dot segment that starts at out[seg_begin] ('/'); for "..", also the segment before
// it. False when ".." has nothing left to remove (the path escapes above the root).
bool remove_dot_segment(std::string& out, std::size_t seg_begin, bool dot_dot) {
  out.resize(seg_begin);
  if (!dot_dot) return true;
  if (out.empty()) return false;
  out.resize(out.rfind('/'));
  return true;
}

NormalizedPath refuse(const char* message) {
  NormalizedPath result;
  result.error = message;
  return result;
}

}  // namespace

namespace path_alphabet {
bool unreserved(unsigned char c) {
  return is_unreserved(c);
}
bool raw_allowed(unsigned char c) {
  return kRawTable[c] == Raw::kKeep;
}
bool escape_refused(unsigned char decoded) {
  return decoded == '?' || decoded == '#' || decoded == 0;
}
bool encoded_separator(unsigned char decoded) {
  return decoded == '/' || decoded == '\\' || decoded == ';';
}
}  // namespace path_alphabet

NormalizedPath normalize_path(std::string_view raw, EncodedSeparators separators) {
  if (raw.empty()) return refuse("empty path");
  if (raw.front() != '/') return refuse("path must start with '/'");
  NormalizedPath result;
  std::string& out = result.path;
  out.reserve(raw.size());
  Copy copy{separators};
  std::size_t i = 0;
  while (true) {
    while (i < raw.size() && raw[i] == '/') ++i;  // merge repeated slashes
    const std::size_t seg_begin = out.size();
    out.push_back('/');
    if (const char* error = copy_segment(raw, i, out, copy)) {
      auto refused = refuse(error);
      refused.encoded_separator = copy.separator_refused;
      return refused;
    }
    const std::string_view segment(out.data() + seg_begin + 1, out.size() - seg_begin - 1);
    if (segment == "." || segment == "..") {
      if (!remove_dot_segment(out, seg_begin, segment.size() == 2)) {
        return refuse("path escapes above the root");
      }
      if (i == raw.size()) out.push_back('/');  // "/a/b/.." is "/a/"
    }
    if (i == raw.size()) break;
  }
  result.ok = true;
  return result;
}

}  // namespace strangler
