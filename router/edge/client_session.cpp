// ClientSession: the request pipeline of one client connection; see client_session.h.
#include "router/edge/client_session.h"

#include "router/edge/request_head_reader.h"
#include "router/http/forwarded_client.h"
#include "router/http/forwarding_headers.h"
#include "router/http/hop_by_hop.h"
#include "router/http/request_id.h"
#include "rules/path_normalizer.h"
#include "rules/split_chooser.h"

namespace strangler {

namespace {

std::string client_address(const Socket& socket) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  return ec ? "unknown" : remote.address().to_string();
}

// Counts the request in the in-flight gauges for as long as it lives.
class InFlight {
 public:
  explicit InFlight(WorkerContext& worker) : worker_(worker) {
    ++worker_.in_flight;
    worker_.metrics.add_in_flight(1);
  }
  ~InFlight() {
    --worker_.in_flight;
    worker_.metrics.add_in_flight(-1);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  WorkerContext& worker_;
};

// Who and what, from whatever of the head was read (a refused head may have none of it).
RequestState describe_request(const RequestParser& parser, const HeadOutcome& head) {
  RequestState request;
  request.started = head.started;
  if (!parser.is_header_done()) {
    request.request_id = make_request_id();
    return request;
  }
  const auto& header = parser.get();
  request.request_id = request_id_of(header);
  request.method = std::string(to_std(header.method_string()));
  request.path = std::string(to_std(header.target()));
  request.version = header.version();
  return request;
}

// The label of a refusal (the client's fault), or empty for any other answer.
std::string_view refusal_label(const ForwardOutcome& outcome) {
  if (!outcome.error || !error_class(*outcome.error).refusal) return {};
  return error_class(*outcome.error).label;
}

// The target that answered: the one the forwarder reached last, else the one routed to (a body
// the router refused itself).
const std::string& answering_target(const RoutedRequest& routed, const ForwardOutcome& outcome) {
  auto index = outcome.answered_by != kNoTarget ? outcome.answered_by : routed.target_index;
  return routed.state->table->target(index).target.name;
}

}  // namespace

ClientSession::ClientSession(Socket socket, WorkerContext& worker)
    : stream_(std::move(socket)),
      worker_(worker),
      client_ip_(client_address(stream_.socket())),
      trusted_peer_(worker.options.trusted_proxies.trusts(client_ip_)),
      forwarder_(stream_, buffer_, worker, client_ip_) {}

Task<void> ClientSession::run() {
  // GCC 12 miscompiles co_await inside a loop condition (SIGILL): keep awaits in statements.
  for (;;) {
    bool keep_going = co_await handle_one();
    if (!keep_going) break;
  }
  co_await close_gracefully();
}

// The pipeline: read → normalize → route → forward → finish. Returns whether the connection
// may carry another request.
Task<bool> ClientSession::handle_one() {
  RequestParser parser;
  auto head = co_await read_request_head(stream_, buffer_, parser, worker_.options,
                                         requests_started_++ == 0);
  if (head.kind == HeadOutcome::Kind::closed) co_return false;  // nothing to answer
  InFlight in_flight(worker_);
  RequestState request = describe_request(parser, head);
  identify_client(request, parser);
  std::optional<ShadowTap> tap;
  ForwardOutcome outcome;
  if (head.kind == HeadOutcome::Kind::refused) {
    outcome = co_await refuse(request, head.error, head.reason);
  } else {
    auto target = split_request_target(request.path, request.method);
    auto normalized = normalize_path(target.path, worker_.options.encoded_slash);
    if (!target.ok || !normalized.ok) {
      auto reason = target.ok ? std::string_view(normalized.error) : target.error;
      auto kind = target.ok && normalized.encoded_separator ? ErrorKind::encoded_slash
                                                            : ErrorKind::bad_target;
      outcome = co_await refuse(request, kind, reason);
    } else {
      request.routed = route(parser, target, normalized.path, request.client);
      tap = worker_.shadow.tap(*request.routed, request.method, normalized.path,
                               target.has_query ? target.query : std::string_view());
      // `target` views the raw target in request.path: it is replaced only after the last use.
      request.path = std::move(normalized.path);
      outcome = co_await forwarder_.forward(request, parser, tap ? &*tap : nullptr);
    }
  }
  finish(request, outcome, tap);
  co_return outcome.keep_alive;
}

// Who sent the request: the peer, and behind a trusted proxy the client it names.
void ClientSession::identify_client(RequestState& request, const RequestParser& parser) const {
  request.peer = client_ip_;
  request.trusted_peer = trusted_peer_;
  if (!trusted_peer_ || !parser.is_header_done()) {
    request.client = client_ip_;
    return;
  }
  std::string forwarded_for;
  for (auto [it, end] = parser.get().equal_range("X-Forwarded-For"); it != end; ++it) {
    forwarded_for = append_to_list(forwarded_for, to_std(it->value()));
  }
  request.client =
      resolve_client_address(client_ip_, forwarded_for, worker_.options.trusted_proxies);
}

RoutedRequest ClientSession::route(RequestParser& parser, const RequestTarget& target,
                                   std::string_view path, std::string_view client) const {
  auto& header = parser.get();
  RoutedRequest routed;
  routed.state = worker_.routes.current();
  routed.match = &routed.state->table->match(to_std(header.method_string()), path);
  routed.target_index = choose_side(*routed.match, header, client);
  // An HTTP/1.0 request may come without Host; what goes upstream is HTTP/1.1, which needs one.
  if (header.find(http::field::host) == header.end()) {
    header.set(http::field::host, routed.target().url.authority);
  }
  routed.upstream_target = target.asterisk ? "*" : std::string(path);
  if (target.has_query) routed.upstream_target.append("?").append(target.query);
  return routed;
}

// The side of a split: by a hash of the sticky header's value, or of the client's address.
std::size_t ClientSession::choose_side(const CompiledRoute& match,
                                       const http::request_header<>& request,
                                       std::string_view client) const {
  if (!match.route || match.route->split_target.empty()) return match.target_index;
  std::string_view key = client;
  if (!match.route->sticky_header.empty()) {
    if (auto it = request.find(match.route->sticky_header); it != request.end()) {
      key = to_std(it->value());
    }
  }
  return in_split(key, match.route->id, match.route->split_percent) ? match.split_target_index
                                                                    : match.target_index;
}

// A request the edge will not forward: answered here and the connection closed.
Task<ForwardOutcome> ClientSession::refuse(const RequestState& request, ErrorKind error,
                                           std::string_view reason) {
  ForwardOutcome outcome;
  outcome.status = error_class(error).status;
  outcome.error = error;
  co_await write_error_reply(stream_, {error, reason, request.request_id}, false, request.version,
                             worker_.options.send_timeout);
  co_return outcome;
}

// Metrics, the shadow hand-off and the access log, once per answered request.
void ClientSession::finish(const RequestState& request, const ForwardOutcome& outcome,
                           std::optional<ShadowTap>& tap) {
  auto now = std::chrono::steady_clock::now();
  auto latency = now - request.started;
  auto refusal = refusal_label(outcome);
  if (!refusal.empty()) worker_.metrics.record_refusal(outcome.status, refusal);
  if (request.routed) {
    const auto& routed = *request.routed;
    worker_.metrics.record_request(routed.match->label, answering_target(routed, outcome),
                                   outcome.status, latency, now);
  }
  if (tap) worker_.shadow.finish(std::move(*tap));
  if (worker_.access_log) log_access(request, outcome, latency, now);
}

void ClientSession::log_access(const RequestState& request, const ForwardOutcome& outcome,
                               std::chrono::nanoseconds latency,
                               std::chrono::steady_clock::time_point now) {
  AccessRecord record;
  record.request_id = request.request_id;
  record.client = request.client;
  record.peer = request.peer;
  record.method = request.method;
  record.path = request.path;
  record.status = outcome.status;
  record.latency = latency;
  if (!outcome.fallback_reason.empty()) record.fallback = outcome.fallback_reason;
  if (auto refusal = refusal_label(outcome); !refusal.empty())
    record.refusal = std::string(refusal);
  if (request.routed) {
    const auto& routed = *request.routed;
    if (routed.match->route) record.route = routed.match->label;
    record.target = answering_target(routed, outcome);
    record.breaker = to_string(routed.breaker(routed.target_index).breaker.snapshot(now).state);
  }
  worker_.access_log->log(std::move(record));
}

// Half-close, then drain briefly: closing with unread input makes the kernel send RST, which can
// destroy the last response before the client has read it.
Task<void> ClientSession::close_gracefully() {
  boost::system::error_code ec;
  stream_.socket().shutdown(Socket::shutdown_send, ec);
  if (ec) co_return;
  stream_.expires_after(std::chrono::milliseconds(500));
  std::array<char, 4096> sink;
  for (std::size_t drained = 0; drained < 256 * 1024;) {
    auto n = co_await stream_.async_read_some(asio::buffer(sink), use_ec(ec));
    if (ec) break;
    drained += n;
  }
  stream_.socket().close(ec);
}

Task<void> serve_client(Socket socket, WorkerContext& worker) {
  ClientSession session(std::move(socket), worker);
  try {
    co_await session.run();
  } catch (const std::exception&) {
    // An allocation failure or a bug in one connection must not take the I/O thread down; the
    // socket closes when `session` goes away.
  }
}

}  // namespace strangler
