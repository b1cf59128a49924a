// Forwarder: the forward phase of a client request — send the routed request to its target
// under the target's bulkhead and breaker, retry or fall back as the failover policy decides,
// and stream the answer back to the client. Returns what happened as a ForwardOutcome; the
// caller's finish phase records it.
//
// One Forwarder per client connection (it keeps the relay buffer and the outgoing head storage
// between requests); everything about one request lives in the forward() call.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "router/edge/client_connection.h"
#include "router/edge/request_state.h"
#include "router/http/error_reply.h"
#include "router/http/message_relay.h"
#include "router/resilience/failover_policy.h"

namespace strangler {

using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;

struct ForwardOutcome {
  int status = 0;                       // what the client got
  std::size_t answered_by = kNoTarget;  // the target that answered or failed last
  std::string fallback_reason;          // why the fallback target was used; empty: it was not
  bool keep_alive = false;              // the client connection may carry another request
  std::optional<ErrorKind> error;       // set when the router answered with its own error
};

class Forwarder {
 public:
  Forwarder(TimedStream& client, beast::flat_buffer& client_buffer, WorkerContext& worker,
            std::string_view client_ip);

  // `parser` holds the request's checked header; its body is still on the client connection.
  // `tap`: the shadow tap when the request is sampled, else null.
  Task<ForwardOutcome> forward(const RequestState& request, RequestParser& parser, ShadowTap* tap);

 private:
  struct Pass;  // one forward() call's state

  // The outcome of one attempt at one target.
  struct AttemptResult {
    enum class Kind { answered, failed, client_gone } kind;
    AttemptFailure failure = AttemptFailure::connect_failed;
    static AttemptResult failed(AttemptFailure failure) { return {Kind::failed, failure}; }
  };

  void prepare(Pass& pass);
  Task<bool> send_continue();
  Task<RelayResult> await_body_start(const RequestParser& parser);
  Task<void> fail(Pass& pass, const Decision& decision, std::size_t index);
  Task<AttemptResult> attempt(Pass& pass, std::size_t index, bool first_on_target);
  Task<AttemptResult> exchange(Pass& pass, std::size_t index, const BreakerTicket& ticket);
  Task<boost::system::error_code> read_response_header(UpstreamConnection& upstream,
                                                       std::optional<ResponseParser>& response,
                                                       http::verb method,
                                                       const CompiledTarget& target);
  Task<void> refuse_request_body(Pass& pass, const RelayResult& sent);
  Task<bool> relay_response(Pass& pass, ResponseParser& response, UpstreamConnection& upstream,
                            std::size_t index);
  Task<void> reply_error(Pass& pass, const ErrorReply& reply, bool keep_alive);
  void report(const Pass& pass, std::size_t index, const BreakerTicket& ticket, bool success,
              std::string_view reason);
  void note_transition(const RouteBreaker& breaker, std::optional<BreakerTransition> transition);
  Task<void> back_off(const Pass& pass, std::size_t index, int attempt_number);

  TimedStream& client_;
  beast::flat_buffer& client_buffer_;
  WorkerContext& worker_;
  std::string client_ip_;
  std::vector<char> scratch_;
  std::string head_;  // the outgoing head being relayed; its capacity is kept between requests
};

}  // namespace strangler
