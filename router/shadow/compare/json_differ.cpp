// JsonDiffer: see json_differ.h. The walk recurses at most kMaxJsonDepth deep because
// parse_json_body refuses deeper documents before nlohmann builds them (a linear pre-scan of the
// brackets outside strings), and the walk itself stops descending there as a second guard.
// Objects are std::maps in nlohmann::json, so two objects are compared by one merge walk over
// their sorted keys.
#include "router/shadow/compare/json_differ.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "rules/json_path_pattern.h"

namespace strangler {
namespace {

using nlohmann::json;

// True when no bracket in `text` (outside strings) nests deeper than `limit`.
bool nesting_within(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

enum class JsonType { null, boolean, number, string, array, object, other };

JsonType type_of(const json& value) {
  if (value.is_null()) return JsonType::null;
  if (value.is_boolean()) return JsonType::boolean;
  if (value.is_number()) return JsonType::number;
  if (value.is_string()) return JsonType::string;
  if (value.is_array()) return JsonType::array;
  if (value.is_object()) return JsonType::object;
  return JsonType::other;
}

// An integral double against an integer, exactly (no rounding of the integer to double).
bool integer_equals_double(const json& integer, double d) {
  if (!std::isfinite(d) || d != std::floor(d)) return false;
  if (integer.is_number_unsigned()) {
    if (d < 0 || d >= 18446744073709551616.0) return false;
    return static_cast<std::uint64_t>(d) == integer.get<std::uint64_t>();
  }
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  return static_cast<std::int64_t>(d) == integer.get<std::int64_t>();
}

class Walker {
 public:
  explicit Walker(const JsonDifferenceSink& sink) : sink_(sink) {}

  bool walk(const json& p, const json& s, int depth) {
    const JsonType type = type_of(p);
    if (type != type_of(s)) return report(DiffKind::type, &p, &s);
    switch (type) {
      case JsonType::object:
        return depth < kMaxJsonDepth ? walk_object(p, s, depth)
                                     : (p == s || report(DiffKind::changed, &p, &s));
      case JsonType::array:
        return depth < kMaxJsonDepth ? walk_array(p, s, depth)
                                     : (p == s || report(DiffKind::changed, &p, &s));
      case JsonType::number:
        return json_numbers_equal(p, s) || report(DiffKind::changed, &p, &s);
      default:
        return p == s || report(DiffKind::changed, &p, &s);
    }
  }

 private:
  bool report(DiffKind kind, const json* p, const json* s) { return sink_(path_, kind, p, s); }

  // Appends `step` to the path for the duration of one call.
  template <typename F>
  bool below(const std::string& step, F&& f) {
    const std::size_t size = path_.size();
    path_ += step;
    const bool go_on = f();
    path_.resize(size);
    return go_on;
  }

  bool walk_object(const json& p, const json& s, int depth) {
    const auto& po = p.get_ref<const json::object_t&>();
    const auto& so = s.get_ref<const json::object_t&>();
    auto pi = po.begin();
    auto si = so.begin();
    while (pi != po.end() || si != so.end()) {
      const bool take_p = si == so.end() || (pi != po.end() && pi->first <= si->first);
      const bool take_s = pi == po.end() || (si != so.end() && si->first <= pi->first);
      const std::string& key = take_p ? pi->first : si->first;
      const bool go_on = below(json_path_key_step(key), [&] {
        if (take_p && take_s) return walk(pi->second, si->second, depth + 1);
        return take_p ? report(DiffKind::missing, &pi->second, nullptr)
                      : report(DiffKind::extra, nullptr, &si->second);
      });
      if (!go_on) return false;
      if (take_p) ++pi;
      if (take_s) ++si;
    }
    return true;
  }

  bool walk_array(const json& p, const json& s, int depth) {
    if (p.size() != s.size() && !report(DiffKind::length, &p, &s)) return false;
    const std::size_t common = std::min(p.size(), s.size());
    for (std::size_t i = 0; i < common; ++i) {
      const bool go_on =
          below("[" + std::to_string(i) + "]", [&] { return walk(p[i], s[i], depth + 1); });
      if (!go_on) return false;
    }
    return true;
  }

  const JsonDifferenceSink& sink_;
  std::string path_ = "$";
};

std::string compact(const json* value) {
  if (value == nullptr) return "";
  return truncate_utf8(value->dump(-1, ' ', false, json::error_handler_t::replace), kMaxValueText);
}

}  // namespace

std::optional<json> parse_json_body(std::string_view text) {
  if (text.size() > kMaxJsonBytes || !nesting_within(text, kMaxJsonDepth)) return std::nullopt;
  try {
    json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return std::nullopt;
    return doc;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

bool diff_json(const json& primary, const json& shadow, const JsonDifferenceSink& sink) {
  return Walker(sink).walk(primary, shadow, 0);
}

bool json_numbers_equal(const json& a, const json& b) {
  const bool a_float = a.is_number_float(), b_float = b.is_number_float();
  if (a_float && b_float) return a.get<double>() == b.get<double>();
  if (a_float) return integer_equals_double(b, a.get<double>());
  if (b_float) return integer_equals_double(a, b.get<double>());
  const bool a_unsigned = a.is_number_unsigned(), b_unsigned = b.is_number_unsigned();
  if (a_unsigned && b_unsigned) return a.get<std::uint64_t>() == b.get<std::uint64_t>();
  if (!a_unsigned && !b_unsigned) return a.get<std::int64_t>() == b.get<std::int64_t>();
  const json& u = a_unsigned ? a : b;
  const std::int64_t i = (a_unsigned ? b : a).get<std::int64_t>();
  return i >= 0 && static_cast<std::uint64_t>(i) == u.get<std::uint64_t>();
}

Difference make_json_difference(const std::string& path, DiffKind kind, const json* primary,
                                const json* shadow) {
  Difference d;
  d.path = path;
  d.kind = kind;
  if (kind == DiffKind::length && primary && shadow) {
    d.primary = std::to_string(primary->size());
    d.shadow = std::to_string(shadow->size());
  } else {
    d.primary = compact(primary);
    d.shadow = compact(shadow);
  }
  return d;
}

std::string truncate_utf8(std::string text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  // Step back over continuation bytes (10xxxxxx) so no sequence is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  return text + "...";
}

}  // namespace strangler
