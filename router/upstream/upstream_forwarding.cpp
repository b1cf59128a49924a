// ClientSession, the upstream half: send a routed request to its target under the target's
// breaker and bulkhead, retry or fall back as the failover policy decides, and stream the answer
// back; see client_session.h.
#include <limits>

#include <fmt/format.h>

#include "router/resilience/backoff.h"
#include "router/edge/client_session.h"
#include "router/net/client_watch.h"
#include "router/http/forwarding_headers.h"
#include "router/http/hop_by_hop.h"
#include "router/admin/log.h"

namespace strangler {

namespace {

AttemptFailure connect_failure(ConnectFailure failure) {
  switch (failure) {
    case ConnectFailure::refused:
      return AttemptFailure::connect_refused;
    case ConnectFailure::timeout:
      return AttemptFailure::connect_timeout;
    default:
      return AttemptFailure::connect_failed;
  }
}

AttemptResult failed(AttemptFailure failure) {
  return {AttemptResult::Kind::failed, failure};
}

}  // namespace

void ClientSession::prepare_forwarding(RequestParser& parser) {
  auto& request = parser.get();
  request.target(ctx_.upstream_target);
  request.version(11);
  request_id_ = prepare_upstream_request(request, {client_ip_});
  if (parser.chunked()) {
    request.chunked(true);
  } else if (auto length = parser.content_length()) {
    request.content_length(*length);
  }
}

Task<bool> ClientSession::forward(RequestParser& parser) {
  auto& request = parser.get();
  ctx_.client_keep = request.keep_alive();
  bool expects_continue = iequals(to_std(request[http::field::expect]), "100-continue");
  bool idempotent = is_idempotent(to_std(request.method_string()));
  prepare_forwarding(parser);
  if (ctx_.shadow) capture_request(request);
  if (expects_continue && !parser.is_done()) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    boost::system::error_code ec;
    stream_.expires_after(worker_.options.send_timeout);
    co_await asio::async_write(stream_, asio::buffer(kContinue), use_ec(ec));
    if (ec) co_return false;
  }
  std::size_t index = ctx_.target_index;
  std::size_t fallback = ctx_.route->fallback_for(index);
  int retries_left = ctx_.state->runtimes[index]->target.resilience.retries;
  bool first_on_target = true;
  for (int attempt_number = 1;; ++attempt_number) {
    auto result = co_await attempt(parser, index, first_on_target);
    first_on_target = false;
    if (result.kind == AttemptResult::Kind::answered) co_return ctx_.client_keep;
    if (result.kind == AttemptResult::Kind::client_gone) co_return false;
    AttemptFacts facts{result.failure, idempotent, !ctx_.body_consumed, retries_left,
                       fallback != kNoTarget};
    auto decision = decide_after_failure(facts);
    auto& runtime = *ctx_.state->runtimes[index];
    if (decision.next == NextStep::retry &&
        !runtime.budget.try_spend_retry(std::chrono::steady_clock::now())) {
      worker_.metrics.record_retry_budget_exhausted(runtime.target.name);
      facts.retries_left = 0;
      decision = decide_after_failure(facts);
    }
    if (decision.next == NextStep::retry) {
      worker_.metrics.record_retry(runtime.target.name);
      --retries_left;
      co_await back_off(index, attempt_number);
    } else if (decision.next == NextStep::fallback) {
      worker_.metrics.record_fallback(decision.reason);
      ctx_.fallback_reason = std::string(decision.reason);
      index = fallback;
      fallback = kNoTarget;
      first_on_target = true;
      retries_left = 0;
    } else {
      bool keep = ctx_.client_keep && parser.is_done();
      bool kept = co_await fail_request(decision, index, keep);
      co_return kept;
    }
  }
}

Task<bool> ClientSession::fail_request(const Decision& decision, std::size_t index, bool keep) {
  const auto& runtime = *ctx_.state->runtimes[index];
  ctx_.answered_by = index;
  int retry_after = 0;
  if (decision.status == 503) {
    auto snapshot = ctx_.state->runtimes[index]->breaker.snapshot(std::chrono::steady_clock::now());
    auto waited = std::chrono::steady_clock::now() - snapshot.since;
    auto left = std::chrono::duration_cast<std::chrono::seconds>(
        runtime.breaker.settings().recovery - waited);
    retry_after = snapshot.state == BreakerState::open ? std::max<int>(1, left.count() + 1) : 1;
  }
  auto status = static_cast<http::status>(decision.status);
  auto error = decision.status == 503 ? "service unavailable" : "upstream unavailable";
  co_await send_error({status, error, decision.reason, runtime.target.name, request_id_,
                       ctx_.fallback_reason, retry_after},
                      keep);
  co_return keep;
}

Task<void> ClientSession::back_off(std::size_t index, int attempt_number) {
  const auto& resilience = ctx_.state->runtimes[index]->target.resilience;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto delay = full_jitter_backoff(attempt_number, std::chrono::milliseconds(resilience.backoff_ms),
                                   std::chrono::milliseconds(resilience.backoff_ms * 20),
                                   uniform(worker_.rng));
  Timer timer(stream_.get_executor());
  timer.expires_after(delay);
  boost::system::error_code ec;
  co_await timer.async_wait(use_ec(ec));
}

// Admission (bulkhead, then breaker), then the exchange itself.
Task<AttemptResult> ClientSession::attempt(RequestParser& parser, std::size_t index,
                                           bool first_on_target) {
  auto& runtime = *ctx_.state->runtimes[index];
  const auto& target = ctx_.state->table->target(index);
  if (target.url.scheme != "http") co_return failed(AttemptFailure::tls_unsupported);
  auto permit = runtime.bulkhead.try_enter();
  if (!permit) {
    worker_.metrics.record_bulkhead_rejection(runtime.target.name);
    co_return failed(AttemptFailure::bulkhead_full);
  }
  auto now = std::chrono::steady_clock::now();
  auto admission = runtime.breaker.try_acquire(now);
  note_transition(runtime.target.name, admission.transition);
  if (!admission.ticket.admitted) co_return failed(AttemptFailure::breaker_open);
  // The budget's base is client requests, so a retry must not count as one.
  if (first_on_target) runtime.budget.record_request(now);
  auto result = co_await exchange(parser, index, admission.ticket);
  co_return result;
}

void ClientSession::report(std::size_t index, const BreakerTicket& ticket, bool success,
                           std::string_view reason) {
  auto& runtime = *ctx_.state->runtimes[index];
  auto transition =
      runtime.breaker.on_result(ticket, success, std::chrono::steady_clock::now(), reason);
  note_transition(runtime.target.name, transition);
}

void ClientSession::note_transition(const std::string& target,
                                    std::optional<BreakerTransition> transition) {
  if (!transition) return;
  log_line(fmt::format("breaker {}: {} -> {}", target, to_string(transition->from),
                       to_string(transition->to)));
  worker_.metrics_registry.record_breaker_transition(target, transition->from, transition->to);
  worker_.metrics_registry.set_breaker_state(target, transition->to);
}

// One exchange with the target. A body-less request that failed on a reused pooled connection
// before any byte of the answer is sent again at once on a fresh connection: the upstream closed
// an idle connection, which says nothing about its health.
Task<AttemptResult> ClientSession::exchange(RequestParser& parser, std::size_t index,
                                            const BreakerTicket& ticket) {
  const auto& target = ctx_.state->table->target(index);
  for (bool first = true;; first = false) {
    ConnectFailure connect;
    // Replayable: a body-less request is sent again if a reused connection fails (below).
    auto upstream = co_await worker_.pool.acquire(target, first, connect, parser.is_done());
    if (!upstream) {
      auto failure = connect_failure(connect);
      report(index, ticket, false, describe(failure));
      co_return failed(failure);
    }
    bool may_retry = upstream->reused && parser.is_done() && first;
    if (!parser.is_done()) ctx_.body_consumed = true;
    OutgoingMessage outgoing(head_, parser.get());
    auto sent = co_await relay_body(
        stream_, buffer_, parser, upstream->stream, outgoing, scratch_,
        {worker_.options.body_timeout, std::chrono::milliseconds(target.target.timeout_ms)},
        ctx_.shadow ? &ctx_.shadow->request_body : nullptr);
    if (!sent) {
      if (!sent.read_side && may_retry) continue;
      if (!sent.read_side) {
        report(index, ticket, false, "reset");
        co_return failed(AttemptFailure::reset);
      }
      report(index, ticket, true, {});  // the client failed, not the target
      co_await refuse_request_body(sent);
      co_return AttemptResult{AttemptResult::Kind::client_gone};
    }
    std::optional<ResponseParser> response;
    boost::system::error_code ec;
    if (buffer_.size() == 0) {  // else the client already sent its next request: it is there
      ClientWatch watch(stream_.socket(), upstream->stream);
      ec = co_await read_response_header(*upstream, response, parser.get().method(), target);
      if (watch.client_gone()) {
        report(index, ticket, true, {});  // the client left; says nothing about the target
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
      report(index, ticket, false, describe(failure));
      co_return failed(failure);
    }
    auto status = response->get().result_int();
    bool server_error = status >= 500 && target.target.resilience.count_5xx_as_failure;
    report(index, ticket, !server_error, server_error ? fmt::format("status {}", status) : "");
    ctx_.answered_by = index;
    ctx_.status = static_cast<int>(status);
    bool reusable = co_await relay_response(*response, *upstream, index);
    if (reusable) worker_.pool.release(std::move(upstream));
    co_return AttemptResult{AttemptResult::Kind::answered};
  }
}

// Reads the upstream's final response header, passing over interim 1xx answers (100 Continue,
// 103 Early Hints). 101 is an error: the router never forwards Upgrade.
Task<boost::system::error_code> ClientSession::read_response_header(
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
Task<void> ClientSession::refuse_request_body(const RelayResult& sent) {
  if (sent.ec == beast::error::timeout) {
    co_await send_error(
        {http::status::request_timeout, "request timeout", "request body not received in time"},
        false);
  } else if (sent.ec == http::error::body_limit) {
    co_await send_error(
        {http::status::payload_too_large, "payload too large", "request body over the limit"},
        false);
  } else if (!is_disconnect(sent.ec)) {
    co_await send_error({http::status::bad_request, "bad request", sent.ec.message()}, false);
  }
}

// Streams the upstream's response to the client. Returns true when both sides ended cleanly and
// the upstream connection may be reused; lowers ctx_.client_keep when the client must be closed.
Task<bool> ClientSession::relay_response(ResponseParser& response, UpstreamConnection& upstream,
                                         std::size_t index) {
  const auto& target = ctx_.state->table->target(index);
  auto& message = response.get();
  // A body that ends when the connection does leaves nothing to reuse, whatever the headers say.
  bool delimited = response.is_done() || response.chunked() || response.content_length();
  bool upstream_keep = message.keep_alive() && delimited;
  // Only the primary's own answer is compared with the shadow's, never a fallback's.
  bool capturing = ctx_.shadow && index == ctx_.target_index && ctx_.fallback_reason.empty();
  if (capturing) capture_response(message);
  auto shown_name =
      worker_.options.add_target_header ? std::string_view(target.target.name) : std::string_view();
  prepare_client_response(message, {shown_name, request_id_, ctx_.fallback_reason});
  if (!response.is_done()) {
    message.erase(http::field::content_length);
    if (auto length = response.content_length()) {
      message.content_length(*length);
    } else if (request_version_ >= 11) {
      message.chunked(true);
    } else {
      ctx_.client_keep = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
  }
  message.version(request_version_);
  message.keep_alive(ctx_.client_keep);
  OutgoingMessage outgoing(head_, message);
  auto timeouts = RelayTimeouts{std::chrono::milliseconds(target.target.timeout_ms),
                                worker_.options.send_timeout};
  auto relayed =
      co_await relay_body(upstream.stream, upstream.buffer, response, stream_, outgoing, scratch_,
                          timeouts, capturing ? &ctx_.shadow->response_body : nullptr);
  if (capturing) ctx_.shadow->complete = static_cast<bool>(relayed);
  if (!relayed) {
    ctx_.client_keep = false;  // never fake a clean end of a body that did not arrive
    // The head goes out with the first piece of the body: when that piece could not be read
    // (a reset, a malformed chunk, a timeout), the client has seen nothing yet and gets an error.
    if (relayed.read_side && !outgoing.head_sent()) {
      bool timed_out = relayed.ec == beast::error::timeout;
      ctx_.status = timed_out ? 504 : 502;
      auto reason = timed_out ? std::string("timeout") : "bad-response: " + relayed.ec.message();
      co_await send_error({static_cast<http::status>(ctx_.status), "upstream unavailable", reason,
                           target.target.name, request_id_, ctx_.fallback_reason},
                          false);
    }
    co_return false;
  }
  co_return upstream_keep&& upstream.buffer.size() == 0;
}

}  // namespace strangler
