// Request target splitting; see request_target.h.
#include "router/edge/request_target.h"

#include "router/http/hop_by_hop.h"

namespace strangler {

namespace {

// For "http://host:port/path?q" returns "/path?q" ("/" when the path is empty, as RFC 9112
// section 3.2.2 asks); empty when the scheme is not http(s).
std::string_view strip_absolute_form(std::string_view target) {
  std::size_t after_scheme = 0;
  if (target.size() > 7 && iequals(target.substr(0, 7), "http://")) after_scheme = 7;
  if (target.size() > 8 && iequals(target.substr(0, 8), "https://")) after_scheme = 8;
  if (after_scheme == 0) return {};
  auto rest = target.substr(after_scheme);
  auto slash = rest.find_first_of("/?");
  if (slash == std::string_view::npos) return "/";
  if (rest[slash] == '?') return {};  // "http://host?q" has no path to route on
  return rest.substr(slash);
}

}  // namespace

RequestTarget split_request_target(std::string_view target, std::string_view method) {
  RequestTarget result;
  if (target == "*") {
    if (method != "OPTIONS") {
      result.error = "'*' is a request target only for OPTIONS";
      return result;
    }
    result.ok = true;
    result.asterisk = true;
    result.path = "/";
    return result;
  }
  if (target.empty() || target.front() != '/') target = strip_absolute_form(target);
  if (target.empty()) {
    result.error = "request target must be an absolute path or an http(s) URL";
    return result;
  }
  if (target.find('#') != std::string_view::npos) {
    result.error = "request target must not contain a fragment";
    return result;
  }
  auto question = target.find('?');
  result.path = target.substr(0, question);
  if (question != std::string_view::npos) {
    result.has_query = true;
    result.query = target.substr(question + 1);
  }
  result.ok = true;
  return result;
}

}  // namespace strangler
