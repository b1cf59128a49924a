// send_copy; see shadow_exchange.h.
#include "router/shadow/shadow_exchange.h"

#include <array>
#include <limits>

#include "router/http/message_relay.h"

namespace strangler {

namespace {

http::request<http::string_body> build_request(
    const CopiedRequest& copy, std::pair<std::string_view, std::string_view> extra_header) {
  http::request<http::string_body> request;
  request.method_string(copy.method);
  request.target(copy.target);
  request.version(11);
  for (const auto& [name, value] : copy.headers) {
    request.insert(beast::string_view(name), beast::string_view(value));
  }
  if (!extra_header.first.empty()) {
    request.set(beast::string_view(extra_header.first.data(), extra_header.first.size()),
                beast::string_view(extra_header.second.data(), extra_header.second.size()));
  }
  request.body() = copy.body;
  // The primary's framing (possibly chunked) was re-done by the router; the copy is in memory.
  request.erase(http::field::transfer_encoding);
  if (!copy.body.empty() || request.method() == http::verb::post ||
      request.method() == http::verb::put || request.method() == http::verb::patch) {
    request.prepare_payload();
  } else {
    request.erase(http::field::content_length);
  }
  return request;
}

const char* describe_error(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return "timeout";
  return is_disconnect(ec) ? "reset" : "bad-response";
}

// Reads the rest of the answer's body into `capture`, discarding bytes past its limit.
Task<boost::system::error_code> read_body(UpstreamConnection& upstream,
                                          http::response_parser<http::buffer_body>& parser,
                                          BodyCapture& capture) {
  std::array<char, 16 * 1024> scratch;
  boost::system::error_code ec;
  while (!parser.is_done()) {
    parser.get().body().data = scratch.data();
    parser.get().body().size = scratch.size();
    co_await http::async_read(upstream.stream, upstream.buffer, parser, use_ec(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
    capture.append(scratch.data(), scratch.size() - parser.get().body().size);
  }
  co_return ec;
}

}  // namespace

Task<CopyReply> send_copy(UpstreamPool& pool, const CompiledTarget& target,
                          const CopiedRequest& request,
                          std::pair<std::string_view, std::string_view> extra_header,
                          std::size_t capture_limit) {
  CopyReply reply;
  auto started = std::chrono::steady_clock::now();
  auto message = build_request(request, extra_header);
  std::string head;
  append_head(head, message);
  std::array<asio::const_buffer, 2> bytes{asio::buffer(head), asio::buffer(message.body())};
  // A pooled connection the upstream closed while idle fails before any answer: try a fresh one.
  for (bool first = true;; first = false) {
    ConnectFailure failure = ConnectFailure::none;
    auto upstream = co_await pool.acquire(target, first, failure);
    if (!upstream) {
      reply.error = describe(failure);
      co_return reply;
    }
    boost::system::error_code ec;
    upstream->stream.expires_after(std::chrono::milliseconds(target.target.timeout_ms));
    co_await asio::async_write(upstream->stream, bytes, use_ec(ec));
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (message.method() == http::verb::head) parser.skip(true);
    if (!ec) {
      co_await http::async_read_header(upstream->stream, upstream->buffer, parser, use_ec(ec));
    }
    if (ec && first && upstream->reused && !parser.got_some() && ec != beast::error::timeout) {
      continue;
    }
    BodyCapture capture{capture_limit};
    if (!ec) ec = co_await read_body(*upstream, parser, capture);
    if (ec) {
      reply.error = describe_error(ec);
      co_return reply;
    }
    auto& header = parser.get();
    reply.ok = true;
    reply.response.status = header.result_int();
    for (const auto& field : header) {
      reply.response.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
    }
    reply.response.body = std::move(capture.data);
    reply.response.body_truncated = capture.overflow;
    reply.response.latency_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started)
            .count();
    if (header.keep_alive() && upstream->buffer.size() == 0) pool.release(std::move(upstream));
    co_return reply;
  }
}

}  // namespace strangler
