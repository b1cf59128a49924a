// Forwarder: one routed request to its target, with the failover policy's retries and fallback,
// and the answer streamed back; see forwarder.h.
#include "router/upstream/forwarder.h"

#include <limits>

#include <fmt/format.h>

#include "router/admin/log.h"
#include "router/http/forwarding_headers.h"
#include "router/http/hop_by_hop.h"
#include "router/net/client_watch.h"
#include "router/resilience/backoff.h"

namespace strangler {

struct Forwarder::Pass {
  const RequestState& request;
  const RoutedRequest& routed;
  RequestParser& parser;
  ShadowTap* tap;
  ForwardOutcome out;
  bool body_consumed = false;  // some request body bytes were read from the client
  // The target being tried has a fallback, so its 5xx answers may count against its breaker.
  // Without one they never do: the client gets the application's own answer, never a 503.
  bool counts_5xx = false;
};

namespace {

AttemptFailure connect_failure(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::refused:
      return AttemptFailure::connect_refused;
    case ConnectFailure::timeout:
      return AttemptFailure::connect_timeout;
    case ConnectFailure::queue_timeout:
      return AttemptFailure::queue_timeout;
    default:
      return AttemptFailure::connect_failed;
  }
}

}  // namespace

Forwarder::Forwarder(TimedStream& client, beast::flat_buffer& client_buffer, WorkerContext& worker,
                     std::string_view client_ip)
    : client_(client),
      client_buffer_(client_buffer),
      worker_(worker),
      client_ip_(client_ip),
      scratch_(worker.options.relay_buffer) {}

Task<ForwardOutcome> Forwarder::forward(const RequestState& request, RequestParser& parser,
                                        ShadowTap* tap) {
  Pass pass{request, *request.routed, parser, tap, {}};
  auto& header = parser.get();
  pass.out.keep_alive = header.keep_alive() && !worker_.draining.load(std::memory_order_relaxed);
  bool expects_continue = iequals(to_std(header[http::field::expect]), "100-continue");
  bool idempotent = is_idempotent(to_std(header.method_string()));
  const Route* rule = pass.routed.match->route;
  bool method_falls_back = rule && rule->fallback_methods.admits(to_std(header.method_string()));
  prepare(pass);
  if (expects_continue && !parser.is_done()) {
    // A statement of its own: GCC 12 mishandles co_await in conditions (ClientSession::run).
    bool sent = co_await send_continue();
    if (!sent) {
      pass.out.keep_alive = false;
      co_return pass.out;
    }
  }
  auto started = co_await await_body_start(parser);
  if (!started) {
    co_await refuse_request_body(pass, started);
    pass.out.keep_alive = false;
    co_return pass.out;
  }
  std::size_t index = pass.routed.target_index;
  std::size_t fallback = pass.routed.match->fallback_for(index);
  int retries_left = pass.routed.runtime(index).target.resilience.retries;
  bool first_on_target = true;
  for (int attempt_number = 1;; ++attempt_number) {
    pass.counts_5xx = fallback != kNoTarget;
    auto result = co_await attempt(pass, index, first_on_target);
    first_on_target = false;
    if (result.kind == AttemptResult::Kind::answered) co_return pass.out;
    if (result.kind == AttemptResult::Kind::client_gone) {
      pass.out.keep_alive = false;
      co_return pass.out;
    }
    AttemptFacts facts{result.failure,        idempotent,       !pass.body_consumed, retries_left,
                       fallback != kNoTarget, method_falls_back};
    auto decision = decide_after_failure(facts);
    auto& runtime = pass.routed.runtime(index);
    if (decision.next == NextStep::retry &&
        !runtime.budget.try_spend_retry(std::chrono::steady_clock::now())) {
      worker_.metrics.record_retry_budget_exhausted(runtime.target.name);
      facts.retries_left = 0;
      decision = decide_after_failure(facts);
    }
    if (decision.next == NextStep::retry) {
      worker_.metrics.record_retry(runtime.target.name);
      --retries_left;
      co_await back_off(pass, index, attempt_number);
    } else if (decision.next == NextStep::fallback) {
      worker_.metrics.record_fallback(decision.reason);
      pass.out.fallback_reason = std::string(decision.reason);
      index = fallback;
      fallback = kNoTarget;
      first_on_target = true;
      retries_left = 0;
    } else {
      co_await fail(pass, decision, index);
      co_return pass.out;
    }
  }
}

// The header as the upstream gets it: the normalized target, HTTP/1.1, the forwarding headers,
// the body re-framed. The shadow tap sees exactly this.
void Forwarder::prepare(Pass& pass) {
  auto& header = pass.parser.get();
  header.target(pass.routed.upstream_target);
  header.version(11);
  prepare_upstream_request(header,
                           {client_ip_, pass.request.request_id, pass.request.trusted_peer});
  if (pass.parser.chunked()) {
    header.chunked(true);
  } else if (auto length = pass.parser.content_length()) {
    header.content_length(*length);
  }
  if (pass.tap) pass.tap->on_request_head(header);
}

Task<bool> Forwarder::send_continue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  boost::system::error_code ec;
  client_.expires_after(worker_.options.send_timeout);
  co_await asio::async_write(client_, asio::buffer(kContinue), use_ec(ec));
  co_return !ec;
}

// An upstream connection is taken only once there is something to send: a client that is slow to
// start its body would otherwise hold a connection the upstream may close as idle meanwhile (a
// stock Node server does after 5 s), and the request would fail with a reset nobody can retry.
Task<RelayResult> Forwarder::await_body_start(const RequestParser& parser) {
  RelayResult result;
  if (parser.is_done() || client_buffer_.size() > 0) co_return result;
  client_.expires_after(worker_.options.body_timeout, TimedStream::Expiry::cancel);
  auto read =
      co_await client_.async_read_some(client_buffer_.prepare(scratch_.size()), use_ec(result.ec));
  client_buffer_.commit(read);
  result.read_side = true;
  co_return result;
}

// Nothing left to try: the router answers 502, 503 or 504 itself. A request whose method the
// route does not let fall back says so in the reason ("breaker-open; POST does not fall back").
Task<void> Forwarder::fail(Pass& pass, const Decision& decision, std::size_t index) {
  auto& breaker = pass.routed.breaker(index).breaker;
  pass.out.answered_by = index;
  int retry_after = 0;
  if (decision.status == 503) {
    auto now = std::chrono::steady_clock::now();
    auto snapshot = breaker.snapshot(now);
    auto left = std::chrono::duration_cast<std::chrono::seconds>(breaker.settings().recovery -
                                                                 (now - snapshot.since));
    retry_after = snapshot.state == BreakerState::open ? std::max<int>(1, left.count() + 1) : 1;
  }
  std::string reason(decision.reason);
  if (decision.held_back) {
    reason += fmt::format("; {} does not fall back", to_std(pass.parser.get().method_string()));
  }
  bool keep = pass.out.keep_alive && pass.parser.is_done();
  co_await reply_error(pass,
                       {decision.reason == describe(AttemptFailure::queue_timeout)
                            ? ErrorKind::queue_timeout
                            : upstream_error_kind(decision.status),
                        reason, pass.request.request_id, pass.routed.runtime(index).target.name,
                        pass.out.fallback_reason, retry_after},
                       keep);
}

Task<void> Forwarder::reply_error(Pass& pass, const ErrorReply& reply, bool keep_alive) {
  pass.out.status = error_class(reply.kind).status;
  pass.out.error = reply.kind;
  pass.out.keep_alive = keep_alive;
  co_await write_error_reply(client_, reply, keep_alive, pass.request.version,
                             worker_.options.send_timeout);
}

Task<void> Forwarder::back_off(const Pass& pass, std::size_t index, int attempt_number) {
  const auto& resilience = pass.routed.runtime(index).target.resilience;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto delay = full_jitter_backoff(attempt_number, std::chrono::milliseconds(resilience.backoff_ms),
                                   std::chrono::milliseconds(resilience.backoff_ms * 20),
                                   uniform(worker_.rng));
  Timer timer(client_.get_executor());
  timer.expires_after(delay);
  boost::system::error_code ec;
  co_await timer.async_wait(use_ec(ec));
}

// Admission (bulkhead, then breaker), then the exchange itself.
Task<Forwarder::AttemptResult> Forwarder::attempt(Pass& pass, std::size_t index,
                                                  bool first_on_target) {
  auto& runtime = pass.routed.runtime(index);
  const auto& target = pass.routed.state->table->target(index);
  if (target.url.scheme != "http") co_return AttemptResult::failed(AttemptFailure::tls_unsupported);
  // Found down by its health checks: no user waits on it (as with an open breaker).
  if (runtime.health.load(std::memory_order_relaxed) == Health::down) {
    co_return AttemptResult::failed(AttemptFailure::target_down);
  }
  auto permit = runtime.bulkhead.try_enter();
  if (!permit) {
    worker_.metrics.record_bulkhead_rejection(runtime.target.name);
    co_return AttemptResult::failed(AttemptFailure::bulkhead_full);
  }
  auto now = std::chrono::steady_clock::now();
  auto& breaker = pass.routed.breaker(index);
  auto admission = breaker.breaker.try_acquire(now);
  note_transition(breaker, admission.transition);
  if (!admission.ticket.admitted) co_return AttemptResult::failed(AttemptFailure::breaker_open);
  // The budget's base is client requests, so a retry must not count as one.
  if (first_on_target) runtime.budget.record_request(now);
  auto result = co_await exchange(pass, index, admission.ticket);
  co_return result;
}

void Forwarder::report(const Pass& pass, std::size_t index, const BreakerTicket& ticket,
                       bool success, std::string_view reason) {
  auto& breaker = pass.routed.breaker(index);
  auto transition =
      breaker.breaker.on_result(ticket, success, std::chrono::steady_clock::now(), reason);
  note_transition(breaker, transition);
}

void Forwarder::note_transition(const RouteBreaker& breaker,
                                std::optional<BreakerTransition> transition) {
  if (!transition) return;
  log_line(fmt::format("breaker {} on {}: {} -> {}", breaker.target.name, breaker.route,
                       to_string(transition->from), to_string(transition->to)));
  worker_.metrics_registry.record_breaker_transition(breaker.route, breaker.target.name,
                                                     transition->from, transition->to);
}

// One exchange with the target. A body-less request that failed on a reused pooled connection
// before any byte of the answer is sent again at once on a fresh connection: the upstream closed
// an idle connection, which says nothing about its health.
Task<Forwarder::AttemptResult> Forwarder::exchange(Pass& pass, std::size_t index,
                                                   const BreakerTicket& ticket) {
  const auto& target = pass.routed.state->table->target(index);
  auto& parser = pass.parser;
  for (bool first = true;; first = false) {
    ConnectFailure connect;
    // Replayable: a body-less request is sent again if a reused connection fails (below).
    auto upstream = co_await worker_.pool.acquire(target, first, connect, parser.is_done(),
                                                  pass.routed.runtime(index).connections.get());
    if (!upstream) {
      auto failure = connect_failure(connect);
      // A queue timeout is the router's own limit, not a failure of the target.
      report(pass, index, ticket, failure == AttemptFailure::queue_timeout, describe(failure));
      co_return AttemptResult::failed(failure);
    }
    bool may_retry = upstream->reused && parser.is_done() && first;
    if (!parser.is_done()) pass.body_consumed = true;
    OutgoingMessage outgoing(head_, parser.get());
    auto sent = co_await relay_body(
        client_, client_buffer_, parser, upstream->stream, outgoing, scratch_,
        {worker_.options.body_timeout, std::chrono::milliseconds(target.target.timeout_ms)},
        pass.tap ? pass.tap->request_body() : nullptr);
    if (!sent) {
      if (!sent.read_side && may_retry) continue;
      if (!sent.read_side) {
        report(pass, index, ticket, false, "reset");
        co_return AttemptResult::failed(AttemptFailure::reset);
      }
      report(pass, index, ticket, true, {});  // the client failed, not the target
      co_await refuse_request_body(pass, sent);
      co_return AttemptResult{AttemptResult::Kind::client_gone};
    }
    std::optional<ResponseParser> response;
    boost::system::error_code ec;
    if (client_buffer_.size() == 0) {  // else the client already sent its next request
      ClientWatch watch(client_.socket(), upstream->stream);
      ec = co_await read_response_header(*upstream, response, parser.get().method(), target);
      if (watch.client_gone()) {
        report(pass, index, ticket, true, {});  // the client left; says nothing about the target
        co_return AttemptResult{AttemptResult::Kind::client_gone};
      }
    } else {
      ec = co_await read_response_header(*upstream, response, parser.get().method(), target);
    }
    if (ec && may_retry && is_disconnect(ec) && !response->got_some()) continue;
    if (ec) {
      auto failure = ec == beast::error::timeout ? AttemptFailure::timeout
                     : is_disconnect(ec)         ? AttemptFailure::reset
                                                 : AttemptFailure::bad_response;
      report(pass, index, ticket, false, describe(failure));
      co_return AttemptResult::failed(failure);
    }
    auto status = response->get().result_int();
    bool server_error =
        status >= 500 && pass.counts_5xx && target.target.resilience.count_5xx_as_failure;
    report(pass, index, ticket, !server_error,
           server_error ? fmt::format("status {}", status) : "");
    pass.out.answered_by = index;
    pass.out.status = static_cast<int>(status);
    bool reusable = co_await relay_response(pass, *response, *upstream, index);
    if (reusable) worker_.pool.release(std::move(upstream));
    co_return AttemptResult{AttemptResult::Kind::answered};
  }
}

// Reads the upstream's final response header, passing over interim 1xx answers (100 Continue,
// 103 Early Hints). 101 is an error: the router never forwards Upgrade.
Task<boost::system::error_code> Forwarder::read_response_header(
    UpstreamConnection& upstream, std::optional<ResponseParser>& response, http::verb method,
    const CompiledTarget& target) {
  boost::system::error_code ec;
  upstream.stream.expires_after(std::chrono::milliseconds(target.target.timeout_ms));
  for (;;) {
    response.emplace();
    response->body_limit(std::numeric_limits<std::uint64_t>::max());  // streamed, never held
    if (method == http::verb::head) response->skip(true);
    co_await http::async_read_header(upstream.stream, upstream.buffer, *response, use_ec(ec));
    if (ec) co_return ec;
    auto status = response->get().result_int();
    if (status == 101) co_return http::error::bad_value;
    if (status >= 200) co_return ec;
  }
}

// The client's request body could not be read: answer (unless the client is gone) and close.
Task<void> Forwarder::refuse_request_body(Pass& pass, const RelayResult& sent) {
  const auto& id = pass.request.request_id;
  if (sent.ec == beast::error::timeout) {
    co_await reply_error(pass, {ErrorKind::body_timeout, "request body not received in time", id},
                         false);
  } else if (sent.ec == http::error::body_limit) {
    co_await reply_error(pass, {ErrorKind::body_too_large, "request body over the limit", id},
                         false);
  } else if (!is_disconnect(sent.ec)) {
    auto reason = sent.ec.message();
    co_await reply_error(pass, {ErrorKind::bad_body, reason, id}, false);
  }
  pass.out.answered_by = kNoTarget;  // the router answered, not a target
}

// Streams the upstream's response to the client. Returns true when both sides ended cleanly and
// the upstream connection may be reused; lowers the outcome's keep_alive when the client must
// be closed.
Task<bool> Forwarder::relay_response(Pass& pass, ResponseParser& response,
                                     UpstreamConnection& upstream, std::size_t index) {
  const auto& target = pass.routed.state->table->target(index);
  auto& message = response.get();
  // A body that ends when the connection does leaves nothing to reuse, whatever the headers say.
  bool delimited = response.is_done() || response.chunked() || response.content_length();
  bool upstream_keep = message.keep_alive() && delimited;
  // Only the primary's own answer is compared with the shadow's, never a fallback's.
  ShadowTap* tap =
      index == pass.routed.target_index && pass.out.fallback_reason.empty() ? pass.tap : nullptr;
  if (tap) tap->on_response_head(message);
  auto shown_name =
      worker_.options.add_target_header ? std::string_view(target.target.name) : std::string_view();
  prepare_client_response(message, {shown_name, pass.request.request_id, pass.out.fallback_reason});
  if (!response.is_done()) {
    message.erase(http::field::content_length);
    if (auto length = response.content_length()) {
      message.content_length(*length);
    } else if (pass.request.version >= 11) {
      message.chunked(true);
    } else {
      pass.out.keep_alive = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
  }
  message.version(pass.request.version);
  message.keep_alive(pass.out.keep_alive);
  OutgoingMessage outgoing(head_, message);
  auto timeouts = RelayTimeouts{std::chrono::milliseconds(target.target.timeout_ms),
                                worker_.options.send_timeout};
  auto relayed = co_await relay_body(upstream.stream, upstream.buffer, response, client_, outgoing,
                                     scratch_, timeouts, tap ? tap->response_body() : nullptr);
  if (tap) tap->on_response_end(static_cast<bool>(relayed));
  if (relayed) co_return upstream_keep&& upstream.buffer.size() == 0;
  pass.out.keep_alive = false;  // never fake a clean end of a body that did not arrive
  // The head goes out with the first piece of the body: when that piece could not be read
  // (a reset, a malformed chunk, a timeout), the client has seen nothing yet and gets an error.
  if (relayed.read_side && !outgoing.head_sent()) {
    bool timed_out = relayed.ec == beast::error::timeout;
    auto reason = timed_out ? std::string("timeout") : "bad-response: " + relayed.ec.message();
    co_await reply_error(
        pass,
        {timed_out ? ErrorKind::upstream_timeout : ErrorKind::upstream_failed, reason,
         pass.request.request_id, target.target.name, pass.out.fallback_reason},
        false);
  }
  co_return false;
}

}  // namespace strangler
