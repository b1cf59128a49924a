// serve_client and the per-request pipeline; see client_connection.h.
#include "router/client_connection.h"

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "router/error_response.h"
#include "router/forwarding_headers.h"
#include "router/hop_by_hop.h"
#include "router/message_relay.h"
#include "router/request_target.h"
#include "router/split_chooser.h"
#include "rules/path_normalizer.h"

namespace strangler {

namespace {

using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;

bool is_disconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

// A routed request: what the pipeline learned before forwarding.
struct Routed {
  std::shared_ptr<const RouteTable> table;  // keeps the table alive for this request
  const CompiledTarget* target = nullptr;
  std::string upstream_target;  // normalized path plus the query as sent
};

class ClientConnection {
 public:
  ClientConnection(tcp::socket socket, WorkerContext& worker)
      : stream_(std::move(socket)), worker_(worker), scratch_(worker.options.relay_buffer) {
    boost::system::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    client_ip_ = ec ? "unknown" : remote.address().to_string();
  }

  asio::awaitable<void> run() {
    // GCC 12 miscompiles co_await inside a loop condition (SIGILL): keep awaits in statements.
    for (;;) {
      bool keep_going = co_await handle_one();
      if (!keep_going) break;
    }
    co_await close_gracefully();
  }

 private:
  asio::awaitable<bool> handle_one();
  asio::awaitable<bool> refuse_header(const boost::system::error_code& ec, bool got_bytes);
  std::optional<ErrorDetails> check_request(const http::request_header<>& request) const;
  Routed route(RequestParser& parser, std::string_view path, const RequestTarget& target);
  enum class Exchange { keep_client, close_client, retry };

  void prepare_forwarding(RequestParser& parser, const Routed& routed);
  asio::awaitable<bool> forward(RequestParser& parser, Routed& routed);
  asio::awaitable<Exchange> exchange(RequestParser& parser, Routed& routed, bool first_attempt,
                                     bool client_keep);
  asio::awaitable<boost::system::error_code> read_response_header(
      UpstreamConnection& upstream, std::optional<ResponseParser>& response, http::verb method,
      const CompiledTarget& target);
  asio::awaitable<void> refuse_request_body(const RelayResult& sent, std::string_view target_name);
  asio::awaitable<bool> relay_response(ResponseParser& response, UpstreamConnection& upstream,
                                       const Routed& routed, bool& client_keep);
  asio::awaitable<void> send_error(const ErrorDetails& details, bool keep_alive);
  asio::awaitable<void> close_gracefully();

  RelayTimeouts request_timeouts(const CompiledTarget& t) const {
    return {worker_.options.body_timeout, std::chrono::milliseconds(t.target.timeout_ms)};
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  WorkerContext& worker_;
  std::vector<char> scratch_;
  std::string client_ip_;
  unsigned request_version_ = 11;
  std::string request_id_;
};

asio::awaitable<bool> ClientConnection::handle_one() {
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
  auto routed = route(parser, normalized.path, target);
  bool keep = co_await forward(parser, routed);
  co_return keep;
}

asio::awaitable<bool> ClientConnection::refuse_header(const boost::system::error_code& ec,
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

std::optional<ErrorDetails> ClientConnection::check_request(
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

Routed ClientConnection::route(RequestParser& parser, std::string_view path,
                               const RequestTarget& target) {
  auto& request = parser.get();
  Routed routed;
  routed.table = worker_.routes.current();
  const auto& match = routed.table->match(to_std(request.method_string()), path);
  auto index = match.target_index;
  if (match.route && !match.route->split_target.empty()) {
    std::string_view key = client_ip_;
    if (!match.route->sticky_header.empty()) {
      if (auto it = request.find(match.route->sticky_header); it != request.end()) {
        key = to_std(it->value());
      }
    }
    if (in_split(key, match.route->id, match.route->split_percent)) {
      index = match.split_target_index;
    }
  }
  routed.target = &routed.table->target(index);
  routed.upstream_target = target.asterisk ? "*" : std::string(path);
  if (target.has_query) routed.upstream_target.append("?").append(target.query);
  return routed;
}

void ClientConnection::prepare_forwarding(RequestParser& parser, const Routed& routed) {
  auto& request = parser.get();
  request.target(routed.upstream_target);
  request.version(11);
  request_id_ = prepare_upstream_request(request, {client_ip_});
  if (parser.chunked()) {
    request.chunked(true);
  } else if (auto length = parser.content_length()) {
    request.content_length(*length);
  }
}

asio::awaitable<bool> ClientConnection::forward(RequestParser& parser, Routed& routed) {
  auto& request = parser.get();
  bool client_keep = request.keep_alive();
  bool expects_continue = iequals(to_std(request[http::field::expect]), "100-continue");
  prepare_forwarding(parser, routed);
  bool body_less = parser.is_done();
  if (expects_continue && !body_less) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    boost::system::error_code ec;
    stream_.expires_after(worker_.options.send_timeout);
    co_await asio::async_write(stream_, asio::buffer(kContinue), use_ec(ec));
    if (ec) co_return false;
  }
  for (int attempt = 0;; ++attempt) {
    auto outcome = co_await exchange(parser, routed, attempt == 0, client_keep);
    if (outcome != Exchange::retry) co_return outcome == Exchange::keep_client;
  }
}

// One attempt at sending the request and relaying the answer. A body-less request that failed on
// a reused connection before any byte of the answer asks for a retry on a fresh connection.
asio::awaitable<ClientConnection::Exchange> ClientConnection::exchange(RequestParser& parser,
                                                                       Routed& routed,
                                                                       bool first_attempt,
                                                                       bool client_keep) {
  const auto& target = *routed.target;
  std::string_view name = target.target.name;
  bool body_less = parser.is_done();
  auto keep_if = [](bool keep) { return keep ? Exchange::keep_client : Exchange::close_client; };
  if (target.url.scheme != "http") {
    // The store accepts https targets; speaking TLS to them is not built yet, so say so.
    co_await send_error(
        {http::status::bad_gateway, "upstream unavailable", "tls-unsupported", name, request_id_},
        client_keep && body_less);
    co_return keep_if(client_keep && body_less);
  }
  ConnectFailure failure;
  auto upstream = co_await worker_.pool.acquire(target, first_attempt, failure);
  if (!upstream) {
    auto status = failure == ConnectFailure::timeout ? http::status::gateway_timeout
                                                     : http::status::bad_gateway;
    co_await send_error({status, "upstream unavailable", describe(failure), name, request_id_},
                        client_keep && body_less);
    co_return keep_if(client_keep && body_less);
  }
  bool may_retry = upstream->reused && body_less && first_attempt;
  http::serializer<true, http::buffer_body> serializer{parser.get()};
  auto sent = co_await relay_body(stream_, buffer_, parser, upstream->stream, serializer, scratch_,
                                  request_timeouts(target));
  if (!sent) {
    if (!sent.read_side && may_retry) co_return Exchange::retry;
    co_await refuse_request_body(sent, name);
    co_return Exchange::close_client;
  }
  std::optional<ResponseParser> response;
  auto ec = co_await read_response_header(*upstream, response, parser.get().method(), target);
  if (ec && may_retry && is_disconnect(ec) && !response->got_some()) co_return Exchange::retry;
  if (ec) {
    auto timeout = ec == beast::error::timeout;
    auto reason = timeout ? "timeout" : is_disconnect(ec) ? "reset" : "bad-response";
    co_await send_error({timeout ? http::status::gateway_timeout : http::status::bad_gateway,
                         "upstream unavailable", reason, name, request_id_},
                        client_keep);
    co_return keep_if(client_keep);
  }
  bool reusable = co_await relay_response(*response, *upstream, routed, client_keep);
  if (reusable) worker_.pool.release(std::move(upstream));
  co_return keep_if(client_keep);
}

// Reads the upstream's final response header, passing over interim 1xx answers (100 Continue,
// 103 Early Hints). 101 is an error: the router never forwards Upgrade.
asio::awaitable<boost::system::error_code> ClientConnection::read_response_header(
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

// The request body could not be passed on: the client failed (timeout, bad framing, gone) or
// the upstream did. Either way the connection is closed after the answer.
asio::awaitable<void> ClientConnection::refuse_request_body(const RelayResult& sent,
                                                            std::string_view target_name) {
  if (!sent.read_side) {
    co_await send_error(
        {http::status::bad_gateway, "upstream unavailable", "reset", target_name, request_id_},
        false);
  } else if (sent.ec == beast::error::timeout) {
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
// the upstream connection may be reused; `client_keep` is lowered when the client must be closed.
asio::awaitable<bool> ClientConnection::relay_response(ResponseParser& response,
                                                       UpstreamConnection& upstream,
                                                       const Routed& routed, bool& client_keep) {
  auto& message = response.get();
  // A body that ends when the connection does leaves nothing to reuse, whatever the headers say.
  bool delimited = response.is_done() || response.chunked() || response.content_length();
  bool upstream_keep = message.keep_alive() && delimited;
  prepare_client_response(
      message, {worker_.options.add_target_header ? std::string_view(routed.target->target.name)
                                                  : std::string_view(),
                request_id_});
  if (!response.is_done()) {
    message.erase(http::field::content_length);
    if (auto length = response.content_length()) {
      message.content_length(*length);
    } else if (request_version_ >= 11) {
      message.chunked(true);
    } else {
      client_keep = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
  }
  message.version(request_version_);
  message.keep_alive(client_keep);
  http::serializer<false, http::buffer_body> serializer{message};
  auto timeouts = RelayTimeouts{std::chrono::milliseconds(routed.target->target.timeout_ms),
                                worker_.options.send_timeout};
  auto relayed = co_await relay_body(upstream.stream, upstream.buffer, response, stream_,
                                     serializer, scratch_, timeouts);
  if (!relayed) {
    client_keep = false;  // never fake a clean end of a body that did not arrive
    co_return false;
  }
  co_return upstream_keep&& upstream.buffer.size() == 0;
}

asio::awaitable<void> ClientConnection::send_error(const ErrorDetails& details, bool keep_alive) {
  auto response = make_error_response(details, keep_alive);
  response.version(request_version_);
  boost::system::error_code ec;
  stream_.expires_after(worker_.options.send_timeout);
  co_await http::async_write(stream_, response, use_ec(ec));
}

// Half-close, then drain briefly: closing with unread input makes the kernel send RST, which can
// destroy the last response before the client has read it.
asio::awaitable<void> ClientConnection::close_gracefully() {
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

}  // namespace

asio::awaitable<void> serve_client(tcp::socket socket, WorkerContext& worker) {
  ClientConnection connection(std::move(socket), worker);
  try {
    co_await connection.run();
  } catch (const std::exception&) {
    // An allocation failure or a bug in one connection must not take the I/O thread down; the
    // socket closes when `connection` goes away.
  }
}

}  // namespace strangler
