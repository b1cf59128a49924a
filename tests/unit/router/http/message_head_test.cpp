// append_head must write exactly what Beast's serializer writes for the same header: the router
// relies on that to be a drop-in replacement on the data path.
#include <doctest/doctest.h>

#include "router/http/message_head.h"

using namespace strangler;

namespace {

template <bool isRequest>
std::string beast_head(const http::header<isRequest>& head) {
  http::message<isRequest, http::empty_body> message(head);
  http::serializer<isRequest, http::empty_body> serializer(message);
  serializer.split(true);
  std::string out;
  boost::system::error_code ec;
  while (!serializer.is_header_done()) {
    serializer.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (auto buffer : beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(buffer.data()), buffer.size());
        n += buffer.size();
      }
      serializer.consume(n);
    });
    REQUIRE_FALSE(ec);
  }
  return out;
}

template <bool isRequest>
std::string our_head(const http::header<isRequest>& head) {
  std::string out = "kept:";
  append_head(out, head);
  REQUIRE(out.starts_with("kept:"));  // appends, never replaces
  return out.substr(5);
}

}  // namespace

TEST_CASE("a request head is written as Beast writes it") {
  http::request_header<> request;
  request.method(http::verb::get);
  request.target("/orders/42?x=1%202");
  request.version(11);
  request.set(http::field::host, "shop.example:8080");
  request.set("X-Forwarded-For", "127.0.0.1");
  request.insert("X-Custom", "a");
  request.insert("X-Custom", "b");
  CHECK(our_head(request) == beast_head(request));
  CHECK(our_head(request) ==
        "GET /orders/42?x=1%202 HTTP/1.1\r\nHost: shop.example:8080\r\n"
        "X-Forwarded-For: 127.0.0.1\r\nX-Custom: a\r\nX-Custom: b\r\n\r\n");
}

TEST_CASE("an unknown method, HTTP/1.0 and no fields") {
  http::request_header<> request;
  request.method_string("BREW");
  request.target("*");
  request.version(10);
  CHECK(our_head(request) == beast_head(request));
  CHECK(our_head(request) == "BREW * HTTP/1.0\r\n\r\n");
}

TEST_CASE("a response head keeps the upstream's reason phrase, else the standard one") {
  http::response_header<> response;
  response.version(11);
  response.result(200);
  response.set(http::field::content_type, "application/json");
  response.set(http::field::content_length, "12");
  CHECK(our_head(response) == beast_head(response));
  CHECK(our_head(response) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n");

  response.reason("Fine Indeed");
  response.result(299);
  CHECK(our_head(response) == beast_head(response));
  CHECK(our_head(response).starts_with("HTTP/1.1 299 Fine Indeed\r\n"));

  http::response_header<> unknown;
  unknown.version(10);
  unknown.result(599);
  CHECK(our_head(unknown) == beast_head(unknown));
}
