// Header rewrites for both directions; see forwarding_headers.h.
#include "router/http/forwarding_headers.h"

#include <algorithm>
#include <vector>

#include "router/http/forwarded_client.h"
#include "router/http/hop_by_hop.h"
#include "router/http/request_id.h"

namespace strangler {

namespace {

constexpr std::string_view kViaToken = "1.1 strangler";
// Beast 1.74 has no http::field values for the X-Forwarded-* family.
constexpr beast::string_view kForwardedFor = "X-Forwarded-For";
constexpr beast::string_view kForwardedProto = "X-Forwarded-Proto";
constexpr beast::string_view kForwardedHost = "X-Forwarded-Host";
constexpr beast::string_view kForwarded = "Forwarded";

// Joins every value of a repeated list header into one, so that appending stays correct when a
// client sent the header more than once.
std::string joined_values(const http::fields& fields, beast::string_view name) {
  std::string joined;
  for (auto [it, end] = fields.equal_range(name); it != end; ++it) {
    joined = append_to_list(joined, to_std(it->value()));
  }
  return joined;
}

}  // namespace

void strip_hop_by_hop(http::fields& fields) {
  std::vector<std::string> named;
  for (auto [it, end] = fields.equal_range(http::field::connection); it != end; ++it) {
    for (auto token : connection_tokens(to_std(it->value()))) named.emplace_back(token);
  }
  for (auto it = fields.begin(); it != fields.end();) {
    auto name = to_std(it->name_string());
    bool drop = is_hop_by_hop_header(name) ||
                std::any_of(named.begin(), named.end(),
                            [&](const std::string& n) { return iequals(n, name); });
    it = drop ? fields.erase(it) : std::next(it);
  }
}

std::string prepare_upstream_request(http::request_header<>& request, const ForwardedFor& from) {
  strip_hop_by_hop(request);
  request.erase(http::field::content_length);
  request.erase(http::field::expect);

  auto forwarded_for = append_to_list(joined_values(request, kForwardedFor), from.peer);
  request.set(kForwardedFor, forwarded_for);
  std::string host;
  if (auto it = request.find(http::field::host); it != request.end()) host = to_std(it->value());
  auto element = forwarded_element(from.peer, host);
  request.set(kForwarded, from.trusted_peer
                              ? append_to_list(joined_values(request, kForwarded), element)
                              : element);
  if (!from.trusted_peer || request.find(kForwardedProto) == request.end()) {
    request.set(kForwardedProto, "http");
  }
  if (!host.empty() && (!from.trusted_peer || request.find(kForwardedHost) == request.end())) {
    request.set(kForwardedHost, host);
  }
  request.set(http::field::via, append_to_list(joined_values(request, "Via"), kViaToken));

  std::string id = from.request_id.empty() ? request_id_of(request) : std::string(from.request_id);
  if (request.count("X-Request-Id") != 1 || to_std(request["X-Request-Id"]) != id) {
    request.set("X-Request-Id", id);
  }
  return id;
}

std::string request_id_of(const http::request_header<>& request) {
  if (request.count("X-Request-Id") == 1) {
    auto id = to_std(request["X-Request-Id"]);
    if (acceptable_request_id(id)) return std::string(id);
  }
  return make_request_id();
}

void prepare_client_response(http::response_header<>& response, const ResponseTags& tags) {
  strip_hop_by_hop(response);
  if (!tags.target_name.empty()) {
    response.set("X-Strangler-Target",
                 beast::string_view(tags.target_name.data(), tags.target_name.size()));
  }
  if (response.find("X-Request-Id") == response.end()) {
    response.set("X-Request-Id",
                 beast::string_view(tags.request_id.data(), tags.request_id.size()));
  }
  if (!tags.fallback_reason.empty()) {
    response.set("X-Strangler-Fallback",
                 beast::string_view(tags.fallback_reason.data(), tags.fallback_reason.size()));
  }
}

}  // namespace strangler
