// MethodSet: parsing, admission and canonical text of a route's method list.
//
// Each known method has one bit; the empty set means "every method". Parsing is lenient about case
// (people type "get"), admission is not: RFC 9110 makes methods case-sensitive, so a request sent
// with method "get" is an extension method that only an every-method route admits.
#include "rules/method_set.h"

#include <array>
#include <cctype>

#include <fmt/format.h>

#include "rules/rule_error.h"

namespace strangler {
namespace {

constexpr std::array<std::string_view, 9> kMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != static_cast<unsigned char>(b[i])) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::uint16_t parse_one(std::string_view name, std::string_view list) {
  if (name.empty()) {
    throw RuleError(fmt::format("invalid method list {:?}: empty method name", list));
  }
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    if (iequals(name, kMethods[i])) return static_cast<std::uint16_t>(1u << i);
  }
  throw RuleError(fmt::format(
      "invalid method list {:?}: unknown method {:?} (known: GET HEAD POST PUT DELETE PATCH "
      "OPTIONS TRACE CONNECT; leave the list empty for every method)",
      list, name));
}

}  // namespace

MethodSet MethodSet::parse(std::string_view list) {
  MethodSet set;
  if (trim(list).empty()) return set;
  std::string_view rest = list;
  while (true) {
    const auto comma = rest.find(',');
    set.bits_ |= parse_one(trim(rest.substr(0, comma)), list);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return set;
}

MethodSet MethodSet::parse_explicit(std::string_view list) {
  if (trim(list) == "*") return MethodSet{};
  if (trim(list).empty()) {
    throw RuleError("empty method list (give methods such as GET,HEAD, or * for every method)");
  }
  return parse(list);
}

std::uint16_t MethodSet::method_bit(std::string_view method) {
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    if (method == kMethods[i]) return static_cast<std::uint16_t>(1u << i);
  }
  return 0;
}

bool MethodSet::overlaps(const MethodSet& other) const {
  return all() || other.all() || (bits_ & other.bits_) != 0;
}

std::string MethodSet::text() const {
  std::string out;
  for (std::size_t i = 0; i < kMethods.size(); ++i) {
    if ((bits_ & (1u << i)) == 0) continue;
    if (!out.empty()) out += ',';
    out += kMethods[i];
  }
  return out;
}

}  // namespace strangler
