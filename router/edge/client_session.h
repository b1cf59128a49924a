// ClientSession: one client connection's state and its per-request pipeline (private to
// router/). client_session.cpp reads and checks requests, routes them and answers the router's
// own errors; upstream_forwarding.cpp sends a routed request to its target, with the breaker,
// bulkhead, retries and fallback of the failover policy, and relays the answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "router/edge/client_connection.h"
#include "router/http/error_response.h"
#include "router/resilience/failover_policy.h"
#include "router/http/message_relay.h"
#include "router/edge/request_target.h"
#include "router/shadow/shadow_job.h"

namespace strangler {

using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;

// What a shadowed request keeps of itself and of the primary's answer while they pass through.
struct ShadowCapture {
  CopiedRequest request;
  BodyCapture request_body;
  CapturedResponse response;
  BodyCapture response_body;
  bool complete = false;  // the primary (not a fallback) answered and the answer was relayed whole
};

// What the pipeline knows about the request being handled.
struct RequestContext {
  std::shared_ptr<const RoutingState> state;  // keeps table and runtimes alive for this request
  const CompiledRoute* route = nullptr;
  std::size_t target_index = 0;  // the side of a split that was chosen
  std::string upstream_target;   // normalized path plus the query as sent
  std::chrono::steady_clock::time_point started;
  bool client_keep = true;
  bool body_consumed = false;  // some request body bytes were read from the client
  std::size_t answered_by = kNoTarget;
  std::string fallback_reason;
  int status = 0;
  std::optional<ShadowCapture> shadow;  // set when the request is sampled for shadowing
};

// The outcome of one attempt at one target.
struct AttemptResult {
  enum class Kind { answered, failed, client_gone } kind = Kind::failed;
  AttemptFailure failure = AttemptFailure::connect_failed;
};

class ClientSession {
 public:
  ClientSession(Socket socket, WorkerContext& worker);
  Task<void> run();

 private:
  // client_session.cpp
  Task<bool> handle_one();
  void route(RequestParser& parser, std::string_view path, const RequestTarget& target);
  Task<void> send_error(const ErrorDetails& details, bool keep_alive);
  Task<void> close_gracefully();
  void finish_request(const RequestParser& parser, std::string_view path);
  bool wants_shadow(const CompiledRoute& match, std::string_view method, std::string_view path,
                    const RequestTarget& target) const;

  // shadow_capture.cpp
  void capture_request(const http::request_header<>& request);
  void capture_response(const http::response_header<>& response);
  void hand_off_shadow();
  void count_shadow_loss(const Route& route, std::int64_t dropped, std::int64_t skipped);
  void schedule_shadow_handoff();

  // upstream_forwarding.cpp
  void prepare_forwarding(RequestParser& parser);
  Task<bool> forward(RequestParser& parser);
  Task<bool> fail_request(const Decision& decision, std::size_t index, bool keep);
  Task<AttemptResult> attempt(RequestParser& parser, std::size_t index, bool first_on_target);
  Task<AttemptResult> exchange(RequestParser& parser, std::size_t index,
                               const BreakerTicket& ticket);
  Task<boost::system::error_code> read_response_header(UpstreamConnection& upstream,
                                                       std::optional<ResponseParser>& response,
                                                       http::verb method,
                                                       const CompiledTarget& target);
  Task<void> refuse_request_body(const RelayResult& sent);
  Task<bool> relay_response(ResponseParser& response, UpstreamConnection& upstream,
                            std::size_t index);
  void report(std::size_t index, const BreakerTicket& ticket, bool success,
              std::string_view reason);
  void note_transition(const std::string& target, std::optional<BreakerTransition> transition);
  Task<void> back_off(std::size_t index, int attempt_number);

  TimedStream stream_;
  beast::flat_buffer buffer_;
  WorkerContext& worker_;
  std::vector<char> scratch_;
  std::string client_ip_;
  unsigned request_version_ = 11;
  std::size_t requests_started_ = 0;  // on this connection; the first gets no idle wait
  std::string request_id_;
  std::string head_;  // the outgoing head being relayed; its capacity is kept between requests
  RequestContext ctx_;
};

}  // namespace strangler
