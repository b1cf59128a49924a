// ClientSession, the client-facing half: read and check a request, normalize and route it, hand
// it to forward() (upstream_forwarding.cpp), record what happened; see client_session.h.
#include "router/client_session.h"

#include "router/forwarding_headers.h"
#include "router/hop_by_hop.h"
#include "router/split_chooser.h"
#include "rules/path_normalizer.h"

namespace strangler {

bool is_disconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

ClientSession::ClientSession(tcp::socket socket, WorkerContext& worker)
    : stream_(std::move(socket)), worker_(worker), scratch_(worker.options.relay_buffer) {
  boost::system::error_code ec;
  auto remote = stream_.socket().remote_endpoint(ec);
  client_ip_ = ec ? "unknown" : remote.address().to_string();
}

asio::awaitable<void> ClientSession::run() {
  // GCC 12 miscompiles co_await inside a loop condition (SIGILL): keep awaits in statements.
  for (;;) {
    bool keep_going = co_await handle_one();
    if (!keep_going) break;
  }
  co_await close_gracefully();
}

asio::awaitable<bool> ClientSession::handle_one() {
  RequestParser parser;
  parser.header_limit(worker_.options.max_header_bytes);
  parser.body_limit(worker_.options.max_body);
  boost::system::error_code ec;
  stream_.expires_after(worker_.options.header_timeout);
  co_await http::async_read_header(stream_, buffer_, parser, use_ec(ec));
  if (ec) {
    bool keep = co_await refuse_header(ec, parser.got_some() || buffer_.size() > 0);
    co_return keep;
  }
  struct InFlight {
    std::atomic<int>& n;
    explicit InFlight(std::atomic<int>& c) : n(c) { ++n; }
    ~InFlight() { --n; }
  } in_flight{worker_.in_flight};

  auto& request = parser.get();
  request_version_ = request.version();
  request_id_.clear();
  ctx_ = RequestContext{};
  ctx_.started = std::chrono::steady_clock::now();
  if (auto problem = check_request(request)) {
    co_await send_error(*problem, false);
    co_return false;
  }
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

asio::awaitable<bool> ClientSession::refuse_header(const boost::system::error_code& ec,
                                                   bool got_bytes) {
  if (!got_bytes && (is_disconnect(ec) || ec == beast::error::timeout)) co_return false;
  if (ec == beast::error::timeout) {
    co_await send_error(
        {http::status::request_timeout, "request timeout", "request header not received in time"},
        false);
  } else if (ec == http::error::header_limit) {
    co_await send_error({http::status::request_header_fields_too_large,
                         "request header fields too large", "header block over the limit"},
                        false);
  } else if (ec == http::error::body_limit) {
    co_await send_error(
        {http::status::payload_too_large, "payload too large", "request body over the limit"},
        false);
  } else if (!is_disconnect(ec)) {
    co_await send_error({http::status::bad_request, "bad request", ec.message()}, false);
  }
  co_return false;
}

std::optional<ErrorDetails> ClientSession::check_request(
    const http::request_header<>& request) const {
  if (request.target().size() > worker_.options.max_uri) {
    return ErrorDetails{http::status::uri_too_long, "uri too long",
                        "request target over the limit"};
  }
  auto hosts = request.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && request.version() >= 11)) {
    return ErrorDetails{http::status::bad_request, "bad request",
                        "an HTTP/1.1 request needs exactly one Host header"};
  }
  auto codings = request.count(http::field::transfer_encoding);
  if (codings > 0 && request.count(http::field::content_length) > 0) {
    return ErrorDetails{http::status::bad_request, "bad request",
                        "both Content-Length and Transfer-Encoding"};
  }
  // Beast reads a body only when "chunked" is the last coding and treats anything else as no
  // body, which would leave the body on the connection as the next request (smuggling).
  if (codings > 1 || (codings == 1 &&
                      !iequals(trim(to_std(request[http::field::transfer_encoding])), "chunked"))) {
    return ErrorDetails{http::status::bad_request, "bad request",
                        "Transfer-Encoding must be exactly \"chunked\""};
  }
  return std::nullopt;
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
  ctx_.upstream_target = target.asterisk ? "*" : std::string(path);
  if (target.has_query) ctx_.upstream_target.append("?").append(target.query);
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

asio::awaitable<void> ClientSession::send_error(const ErrorDetails& details, bool keep_alive) {
  ctx_.status = static_cast<int>(details.status);
  auto response = make_error_response(details, keep_alive);
  response.version(request_version_);
  boost::system::error_code ec;
  stream_.expires_after(worker_.options.send_timeout);
  co_await http::async_write(stream_, response, use_ec(ec));
}

// Half-close, then drain briefly: closing with unread input makes the kernel send RST, which can
// destroy the last response before the client has read it.
asio::awaitable<void> ClientSession::close_gracefully() {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
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

asio::awaitable<void> serve_client(tcp::socket socket, WorkerContext& worker) {
  ClientSession session(std::move(socket), worker);
  try {
    co_await session.run();
  } catch (const std::exception&) {
    // An allocation failure or a bug in one connection must not take the I/O thread down; the
    // socket closes when `session` goes away.
  }
}

}  // namespace strangler
