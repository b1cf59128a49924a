// ClientSession, the client-facing half: read and check a request, normalize and route it, hand
// it to forward() (upstream_forwarding.cpp), record what happened; see client_session.h.
#include "router/edge/client_session.h"

#include "router/http/forwarding_headers.h"
#include "router/http/hop_by_hop.h"
#include "router/edge/request_head_reader.h"
#include "router/shadow/shadow_dispatcher.h"
#include "router/shadow/compare/shadow_sampler.h"
#include "rules/split_chooser.h"
#include "rules/path_normalizer.h"

namespace strangler {

ClientSession::ClientSession(Socket socket, WorkerContext& worker)
    : stream_(std::move(socket)), worker_(worker), scratch_(worker.options.relay_buffer) {
  boost::system::error_code ec;
  auto remote = stream_.socket().remote_endpoint(ec);
  client_ip_ = ec ? "unknown" : remote.address().to_string();
}

Task<void> ClientSession::run() {
  // GCC 12 miscompiles co_await inside a loop condition (SIGILL): keep awaits in statements.
  for (;;) {
    bool keep_going = co_await handle_one();
    if (!keep_going) break;
  }
  co_await close_gracefully();
}

Task<bool> ClientSession::handle_one() {
  RequestParser parser;
  auto head = co_await read_request_head(stream_, buffer_, parser, worker_.options,
                                         requests_started_++ == 0);
  if (head.kind == HeadOutcome::Kind::closed) co_return false;
  if (parser.is_header_done()) request_version_ = parser.get().version();
  if (head.kind == HeadOutcome::Kind::refused) {
    co_await send_error({head.status, error_name(head.status), head.reason}, false);
    co_return false;
  }
  struct InFlight {
    std::atomic<int>& n;
    ThreadMetrics& metrics;
    InFlight(std::atomic<int>& c, ThreadMetrics& m) : n(c), metrics(m) {
      ++n;
      metrics.add_in_flight(1);
    }
    ~InFlight() {
      --n;
      metrics.add_in_flight(-1);
    }
  } in_flight{worker_.in_flight, worker_.metrics};

  auto& request = parser.get();
  request_id_.clear();
  ctx_ = RequestContext{};
  ctx_.started = std::chrono::steady_clock::now();
  auto target = split_request_target(to_std(request.target()), to_std(request.method_string()));
  auto normalized = normalize_path(target.path);
  if (!target.ok || !normalized.ok) {
    auto reason = target.ok ? std::string_view(normalized.error) : target.error;
    co_await send_error({http::status::bad_request, "bad request", reason}, false);
    co_return false;
  }
  route(parser, normalized.path, target);
  bool keep = co_await forward(parser);
  finish_request(parser, normalized.path);
  co_return keep;
}

void ClientSession::route(RequestParser& parser, std::string_view path,
                          const RequestTarget& target) {
  auto& request = parser.get();
  ctx_.state = worker_.routes.current();
  const auto& match = ctx_.state->table->match(to_std(request.method_string()), path);
  ctx_.route = &match;
  ctx_.target_index = match.target_index;
  if (match.route && !match.route->split_target.empty()) {
    std::string_view key = client_ip_;
    if (!match.route->sticky_header.empty()) {
      if (auto it = request.find(match.route->sticky_header); it != request.end()) {
        key = to_std(it->value());
      }
    }
    if (in_split(key, match.route->id, match.route->split_percent)) {
      ctx_.target_index = match.split_target_index;
    }
  }
  // An HTTP/1.0 request may come without Host; what goes upstream is HTTP/1.1, which needs one.
  if (request.find(http::field::host) == request.end()) {
    request.set(http::field::host, ctx_.state->table->target(ctx_.target_index).url.authority);
  }
  ctx_.upstream_target = target.asterisk ? "*" : std::string(path);
  if (target.has_query) ctx_.upstream_target.append("?").append(target.query);
  if (wants_shadow(match, to_std(request.method_string()), path, target)) {
    if (!worker_.shadow->has_room()) {
      count_shadow_loss(*match.route, 1, 0);
      return;
    }
    auto limit = worker_.shadow->settings().max_body;
    ctx_.shadow.emplace();
    ctx_.shadow->request_body.limit = limit;
    ctx_.shadow->response_body.limit = limit;
  }
}

// Sampled by a hash of the request, so the same requests are shadowed on every run. A request
// that a split already sent to the shadow target has nothing to be compared with.
bool ClientSession::wants_shadow(const CompiledRoute& match, std::string_view method,
                                 std::string_view path, const RequestTarget& target) const {
  if (!worker_.shadow || !match.route || !match.route->shadow) return false;
  if (match.shadow_index == kNoTarget || match.shadow_index == ctx_.target_index) return false;
  const auto& shadow = *match.route->shadow;
  return shadow.methods.admits(method) &&
         shadow_sampled(method, path, target.has_query ? target.query : std::string_view(),
                        shadow.percent);
}

// Metrics and the access log, once per routed request, after the answer went out.
void ClientSession::finish_request(const RequestParser& parser, std::string_view path) {
  auto now = std::chrono::steady_clock::now();
  auto latency = now - ctx_.started;
  auto index = ctx_.answered_by != kNoTarget ? ctx_.answered_by : ctx_.target_index;
  const auto& table = *ctx_.state->table;
  const std::string& target = table.target(index).target.name;
  const std::string& route = ctx_.route->label;
  worker_.metrics.record_request(route, target, ctx_.status, latency, now);
  if (ctx_.shadow) hand_off_shadow();
  if (!worker_.access_log) return;
  AccessRecord record;
  record.request_id = request_id_;
  record.method = std::string(to_std(parser.get().method_string()));
  record.path = std::string(path);
  record.route = ctx_.route->route ? route : std::string();
  record.target = target;
  record.status = ctx_.status;
  record.latency = latency;
  if (!ctx_.fallback_reason.empty()) record.fallback = ctx_.fallback_reason;
  auto snapshot = ctx_.state->runtimes[ctx_.target_index]->breaker.snapshot(now);
  record.breaker = to_string(snapshot.state);
  worker_.access_log->log(std::move(record));
}

Task<void> ClientSession::send_error(const ErrorDetails& details, bool keep_alive) {
  ctx_.status = static_cast<int>(details.status);
  auto response = make_error_response(details, keep_alive);
  response.version(request_version_);
  boost::system::error_code ec;
  stream_.expires_after(worker_.options.send_timeout);
  co_await http::async_write(stream_, response, use_ec(ec));
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
