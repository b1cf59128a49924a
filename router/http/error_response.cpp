// The router's own error answers; see error_response.h.
#include "router/http/error_response.h"

#include <nlohmann/json.hpp>

namespace strangler {

http::response<http::string_body> make_error_response(const ErrorDetails& details,
                                                      bool keep_alive) {
  nlohmann::json body = {{"error", details.error},
                         {"reason", details.reason},
                         {"status", static_cast<int>(details.status)}};
  if (!details.target.empty()) body["target"] = details.target;
  if (!details.request_id.empty()) body["request_id"] = details.request_id;

  http::response<http::string_body> response{details.status, 11};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  if (!details.target.empty()) {
    response.set("X-Strangler-Target",
                 beast::string_view(details.target.data(), details.target.size()));
  }
  if (!details.request_id.empty()) {
    response.set("X-Request-Id",
                 beast::string_view(details.request_id.data(), details.request_id.size()));
  }
  if (!details.fallback_reason.empty()) {
    response.set("X-Strangler-Fallback", beast::string_view(details.fallback_reason.data(),
                                                            details.fallback_reason.size()));
  }
  if (details.retry_after_seconds > 0) {
    response.set(http::field::retry_after, std::to_string(details.retry_after_seconds));
  }
  response.body() = body.dump() + "\n";
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace strangler
