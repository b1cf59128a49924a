// The router's own answers and the table behind them; see error_reply.h.
#include "router/http/error_reply.h"

#include <array>

#include <nlohmann/json.hpp>

namespace strangler {

namespace {

// Indexed by ErrorKind, in its order.
constexpr std::array<ErrorClass, 15> kErrorTable{{
    {400, "bad request", "bad-header", true},
    {400, "bad request", "bad-framing", true},
    {400, "bad request", "bad-host", true},
    {400, "bad request", "bad-target", true},
    {400, "bad request", "encoded-slash", true},
    {414, "uri too long", "uri-too-long", true},
    {431, "request header fields too large", "header-too-large", true},
    {408, "request timeout", "header-timeout", true},
    {413, "payload too large", "body-too-large", true},
    {408, "request timeout", "body-timeout", true},
    {400, "bad request", "bad-body", true},
    {502, "upstream unavailable", "upstream-failed", false},
    {504, "upstream unavailable", "upstream-timeout", false},
    {503, "service unavailable", "unavailable", false},
    {503, "service unavailable", "queue-timeout", false},
}};

static_assert(kErrorTable.size() == static_cast<std::size_t>(ErrorKind::queue_timeout) + 1);

beast::string_view view(std::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace

const ErrorClass& error_class(ErrorKind kind) {
  return kErrorTable[static_cast<std::size_t>(kind)];
}

ErrorKind upstream_error_kind(int status) {
  if (status == 503) return ErrorKind::unavailable;
  if (status == 504) return ErrorKind::upstream_timeout;
  return ErrorKind::upstream_failed;
}

http::response<http::string_body> make_error_reply(const ErrorReply& reply, bool keep_alive,
                                                   unsigned version) {
  const auto& entry = error_class(reply.kind);
  nlohmann::json body = {
      {"error", entry.error}, {"reason", reply.reason}, {"status", entry.status}};
  if (!reply.target.empty()) body["target"] = reply.target;
  if (!reply.request_id.empty()) body["request_id"] = reply.request_id;

  http::response<http::string_body> response{static_cast<http::status>(entry.status), version};
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  if (!reply.target.empty()) response.set("X-Strangler-Target", view(reply.target));
  if (!reply.request_id.empty()) response.set("X-Request-Id", view(reply.request_id));
  if (!reply.fallback_reason.empty()) {
    response.set("X-Strangler-Fallback", view(reply.fallback_reason));
  }
  if (reply.retry_after_seconds > 0) {
    response.set(http::field::retry_after, std::to_string(reply.retry_after_seconds));
  }
  response.body() = body.dump() + "\n";
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

Task<void> write_error_reply(TimedStream& client, const ErrorReply& reply, bool keep_alive,
                             unsigned version, std::chrono::milliseconds send_timeout) {
  auto response = make_error_reply(reply, keep_alive, version);
  boost::system::error_code ec;
  client.expires_after(send_timeout);
  co_await http::async_write(client, response, use_ec(ec));
}

}  // namespace strangler
