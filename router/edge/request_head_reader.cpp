// Receiving and checking a request's header; see request_head_reader.h.
#include "router/edge/request_head_reader.h"

#include <chrono>
#include <optional>

#include "router/edge/request_checks.h"
#include "router/http/forwarding_headers.h"
#include "router/http/message_relay.h"

namespace strangler {

namespace {

constexpr std::size_t kReadSize = 16 * 1024;

HeadOutcome closed() {
  return {HeadOutcome::Kind::closed, ErrorKind::bad_header, {}};
}

HeadOutcome refused(ErrorKind error, std::string reason) {
  return {HeadOutcome::Kind::refused, error, std::move(reason)};
}

// The scanner's refusals are told apart by status: 414 a long request line, 431 a long header
// or too many, 400 a malformed line.
HeadOutcome refused(const Refusal& refusal) {
  auto error = refusal.status == 414   ? ErrorKind::uri_too_long
               : refusal.status == 431 ? ErrorKind::header_too_large
                                       : ErrorKind::bad_header;
  return refused(error, std::string(refusal.reason));
}

HeadLimits head_limits(const ProxyOptions& options) {
  HeadLimits limits;
  limits.max_uri = options.max_uri;
  limits.max_field_bytes = options.max_field_bytes;
  limits.max_header_bytes = options.max_header_bytes;
  limits.max_header_count = options.max_header_count;
  return limits;
}

std::string_view received(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

// What a failed read means for the client: nothing at all when it sent nothing of a request.
HeadOutcome from_read_error(const boost::system::error_code& ec, bool got_bytes) {
  if (!got_bytes && (is_disconnect(ec) || ec == beast::error::timeout)) return closed();
  if (ec == beast::error::timeout) {
    return refused(ErrorKind::header_timeout, "request header not received in time");
  }
  if (ec == http::error::header_limit) {
    return refused(ErrorKind::header_too_large, "request header block over the limit");
  }
  if (ec == http::error::body_limit) {
    return refused(ErrorKind::body_too_large, "request body over the limit");
  }
  if (is_disconnect(ec)) return closed();
  if (ec == http::error::bad_content_length || ec == http::error::bad_transfer_encoding) {
    return refused(ErrorKind::bad_framing, ec.message());
  }
  if (ec == http::error::bad_target) return refused(ErrorKind::bad_target, ec.message());
  return refused(ErrorKind::bad_header, ec.message());
}

std::optional<HeadOutcome> check_framing(const http::request_header<>& request) {
  auto lengths = request.count(http::field::content_length);
  auto codings = request.count(http::field::transfer_encoding);
  if (codings > 0 && lengths > 0) {
    return refused(ErrorKind::bad_framing, "both Content-Length and Transfer-Encoding");
  }
  if (lengths > 1 ||
      (lengths == 1 && !content_length_value_ok(to_std(request[http::field::content_length])))) {
    return refused(ErrorKind::bad_framing, "Content-Length must be one plain decimal number");
  }
  if (codings > 0 && request.version() < 11) {
    return refused(ErrorKind::bad_framing, "Transfer-Encoding in an HTTP/1.0 request");
  }
  // Beast reads a body only when "chunked" is the last coding and treats anything else as no
  // body, which would leave the body on the connection as the next request (smuggling).
  if (codings > 1 || (codings == 1 && !transfer_encoding_value_ok(
                                          to_std(request[http::field::transfer_encoding])))) {
    return refused(ErrorKind::bad_framing, "Transfer-Encoding must be exactly \"chunked\"");
  }
  return std::nullopt;
}

// Reads more bytes into `buffer`, giving up at `deadline` with the socket left open: the client
// still gets its 408.
Task<boost::system::error_code> read_some_by(TimedStream& stream, beast::flat_buffer& buffer,
                                             std::chrono::steady_clock::time_point deadline) {
  stream.expires_at(deadline, TimedStream::Expiry::cancel);
  boost::system::error_code ec;
  auto n = co_await stream.async_read_some(buffer.prepare(beast::read_size(buffer, kReadSize)),
                                           use_ec(ec));
  buffer.commit(n);
  co_return ec;
}

// The whole head is in `buffer` (the scanner saw its empty line): parse it in place, without a
// read. A head that Beast finds incomplete even so (a request line without a version) is
// malformed; waiting for more bytes would only end, silently, at the header deadline.
HeadOutcome parse_head(beast::flat_buffer& buffer, http::request_parser<http::buffer_body>& parser,
                       const ProxyOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  parser.body_limit(options.max_body);
  boost::system::error_code ec;
  buffer.consume(parser.put(buffer.data(), ec));
  if (ec == http::error::need_more || (!ec && !parser.is_header_done())) {
    return refused(ErrorKind::bad_header, "malformed request line or header");
  }
  if (ec) return from_read_error(ec, true);
  return check_request_header(parser.get(), options);
}

// Reads until the head is complete (or refused), then parses and checks it.
Task<HeadOutcome> read_and_check(TimedStream& stream, beast::flat_buffer& buffer,
                                 http::request_parser<http::buffer_body>& parser,
                                 const ProxyOptions& options,
                                 std::chrono::steady_clock::time_point started) {
  const auto deadline = started + options.header_timeout;
  boost::system::error_code ec;
  RequestHeadScanner scanner(head_limits(options));
  for (;;) {
    auto scan = scanner.scan(received(buffer));
    if (scan.state == HeadScan::State::refused) co_return refused(scan.refusal);
    if (scan.state == HeadScan::State::complete) break;
    ec = co_await read_some_by(stream, buffer, deadline);
    if (ec) co_return from_read_error(ec, buffer.size() > 0);
  }
  co_return parse_head(buffer, parser, options);
}

}  // namespace

HeadOutcome check_request_header(const http::request_header<>& request,
                                 const ProxyOptions& options) {
  if (request.target().size() > options.max_uri) {
    return refused(ErrorKind::uri_too_long, "request target over the limit");
  }
  auto hosts = request.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && request.version() >= 11)) {
    return refused(ErrorKind::bad_host, "an HTTP/1.1 request needs exactly one Host header");
  }
  if (hosts == 1 && !host_value_ok(to_std(request[http::field::host]))) {
    return refused(ErrorKind::bad_host, "the Host header is not a valid host[:port]");
  }
  if (auto problem = check_framing(request)) return *problem;
  return {};
}

Task<HeadOutcome> read_request_head(TimedStream& stream, beast::flat_buffer& buffer,
                                    http::request_parser<http::buffer_body>& parser,
                                    const ProxyOptions& options, bool first) {
  boost::system::error_code ec;
  if (!first && buffer.size() == 0) {
    // Idle keep-alive: a silent close when it lasts too long; the header deadline starts at the
    // next request's first byte.
    stream.expires_after(options.idle_timeout);
    auto n = co_await stream.async_read_some(buffer.prepare(beast::read_size(buffer, kReadSize)),
                                             use_ec(ec));
    if (ec) co_return closed();
    buffer.commit(n);
  }
  const auto started = std::chrono::steady_clock::now();
  auto outcome = co_await read_and_check(stream, buffer, parser, options, started);
  outcome.started = started;
  co_return outcome;
}

}  // namespace strangler
