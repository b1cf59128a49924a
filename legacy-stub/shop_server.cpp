// ShopServer: see shop_server.h. Every handler goes through guarded(), which counts it as in
// flight (for a prompt shutdown) and injects the configured share of failures. Latency is added
// in the pre-routing hook so that 404s and 400s are delayed too. Errors that no handler wrote a
// body for (404 for unknown paths, cpp-httplib's own 400/413/414) get a JSON body in the error
// hook, so every answer but /bytes is JSON.
#include "legacy-stub/shop_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <thread>

#include <nlohmann/json.hpp>

#include "legacy-stub/generated_at.h"
#include "legacy-stub/shop_catalog.h"

namespace strangler::stub {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;
using namespace std::chrono_literals;

constexpr std::size_t kMaxPayload = 64u << 20;
constexpr std::uint64_t kMaxBytes = 64u << 20;
constexpr std::uint64_t kMaxSlowMs = 60000;
constexpr int kListenBacklog = 1024;  // cpp-httplib 0.11.4 listens with a backlog of 5

void send_json(Res& res, int status, const json& body) {
  res.status = status;
  // /echo may carry arbitrary bytes: replace invalid UTF-8 instead of throwing.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

const char* reason_of(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "payload too large";
    case 414:
      return "uri too long";
    case 500:
      return "internal error";
    default:
      return "http error";
  }
}

// A shop document as served: stamped with the time it was generated (see generated_at.h).
json stamped(json doc) {
  if (doc.is_object()) doc["meta"] = {{"generated_at", generated_at_now()}};
  return doc;
}

// The id captured by the route's regex; answers 400 (not a number) or 404 (no such thing) itself
// and returns nullopt in those cases.
std::optional<std::uint64_t> id_from(const Req& req, Res& res, bool (*exists)(std::uint64_t),
                                     const char* what) {
  const std::string text = req.matches[1];
  auto id = parse_id(text);
  if (!id) {
    send_json(res, 400, {{"error", std::string("invalid ") + what + " id"}, {"id", text}});
  } else if (!exists(*id)) {
    send_json(res, 404, {{"error", std::string(what) + " not found"}, {"id", text}});
    return std::nullopt;
  }
  return id;
}

// cpp-httplib adds the peer and local addresses to the request headers; they were not received.
bool is_synthetic_header(const std::string& name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

// The request as received, as far as cpp-httplib 0.11.4 lets us see it. path and query come raw
// from the request target (percent-escapes kept). Known distortions: header values arrive
// URL-decoded ("a%20b" shows as "a b", a flaw of that version); headers are listed sorted
// case-insensitively by name, not in wire order; a header literally named like the synthetic ones
// above is dropped with them; invalid UTF-8 in the body is replaced in "body" (body_length is
// exact). And some requests never get here: POST/PUT/PATCH with neither Content-Length nor a
// chunked body are refused 400 by the library, as are methods it does not know.
json echo_json(const Req& req) {
  std::string path = req.path, query;
  if (!req.target.empty()) {
    const auto q = req.target.find('?');
    path = req.target.substr(0, q);
    if (q != std::string::npos) query = req.target.substr(q + 1);
  } else {
    for (const auto& [key, value] : req.params) {
      query += (query.empty() ? "" : "&") + key + "=" + value;
    }
  }
  json headers = json::array();
  for (const auto& [name, value] : req.headers) {
    if (!is_synthetic_header(name)) headers.push_back({name, value});
  }
  return {{"method", req.method},          {"path", path},       {"query", query},
          {"version", req.version},        {"headers", headers}, {"body", req.body},
          {"body_length", req.body.size()}};
}

// Deterministic, covers every octet value (CR, LF and NUL included), and is not JSON.
char byte_at(std::size_t i) {
  return static_cast<char>((i * 131 + (i >> 9) * 7 + 17) & 0xff);
}

void send_bytes(Res& res, std::size_t n) {
  // cpp-httplib 0.11.4 sends no Content-Length for an empty provider and the client waits forever.
  if (n == 0) return res.set_content("", "application/octet-stream");
  res.set_content_provider(n, "application/octet-stream",
                           [](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             std::string chunk(std::min<std::size_t>(length, 64u << 10), '\0');
                             for (std::size_t i = 0; i < chunk.size(); ++i) {
                               chunk[i] = byte_at(offset + i);
                             }
                             return sink.write(chunk.data(), chunk.size());
                           });
}

void list_orders(const Req& req, Res& res, bool extracted) {
  if (!req.has_param("customer")) {
    return send_json(res, 400, {{"error", "query parameter customer is required"}});
  }
  const std::string text = req.get_param_value("customer");
  auto id = parse_id(text);
  if (!id || *id == 0) {
    return send_json(res, 400,
                     {{"error", "customer must be a positive integer"}, {"customer", text}});
  }
  if (!customer_exists(*id)) {
    return send_json(res, 404, {{"error", "customer not found"}, {"customer", text}});
  }
  auto list = customer_orders_json(*id);
  send_json(res, 200, stamped(extracted ? extracted_order_list(std::move(list)) : list));
}

void post_order(const Req& req, Res& res, bool extracted) {
  auto request = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) return send_json(res, 400, {{"error", "invalid JSON"}});
  auto created = create_order(request);
  if (!created.order) return send_json(res, 400, {{"error", created.error}});
  send_json(res, 201,
            stamped(extracted ? extracted_order(std::move(*created.order)) : *created.order));
}

void get_bytes(const Req& req, Res& res) {
  auto n = parse_id(req.matches[1].str());
  if (!n || *n > kMaxBytes) {
    return send_json(res, 400, {{"error", "n must be an integer from 0 to 67108864"}});
  }
  send_bytes(res, *n);
}

}  // namespace

ShopServer::ShopServer(StubOptions options) : options_(std::move(options)), rng_(options_.seed) {
  configure();
  install_hooks();
  install_shop_routes();
  install_test_routes();
}

void ShopServer::configure() {
  const std::size_t threads = std::max<std::size_t>(1, options_.threads);
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_keep_alive_max_count(1000);
  server_.set_keep_alive_timeout(30);
  server_.set_read_timeout(30s);
  server_.set_write_timeout(30s);
  server_.set_payload_max_length(kMaxPayload);
  server_.set_tcp_nodelay(true);
  server_.set_default_headers({{"X-Served-By", options_.name}});
  // The default adds SO_REUSEPORT, which lets a second stub bind a port already in use and
  // silently share its traffic; SO_REUSEADDR alone still allows a quick restart.
  server_.set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd_ = sock;  // the last socket offered is the one that binds
  });
}

void ShopServer::install_hooks() {
  server_.set_pre_routing_handler([this](const Req&, Res&) {
    if (options_.latency.count() > 0) pause(options_.latency);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Typed explicitly: a lambda alone is ambiguous between the two overloads.
  httplib::Server::HandlerWithResponse on_error = [this](const Req& req, Res& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 404 && should_fail()) {
      send_json(res, 500, {{"error", "injected failure"}});
    } else if (res.status == 404) {
      send_json(res, 404, {{"error", "not found"}, {"path", req.path}});
    } else {
      send_json(res, res.status, {{"error", reason_of(res.status)}});
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  server_.set_error_handler(std::move(on_error));
  server_.set_exception_handler([](const Req&, Res& res, std::exception_ptr) {
    send_json(res, 500, {{"error", "internal error"}});
  });
}

void ShopServer::get_by_id(const std::string& prefix, bool (*exists)(std::uint64_t),
                           const char* what, std::function<json(std::uint64_t)> make) {
  server_.Get(prefix + "/([^/]+)",
              guarded([exists, what, make = std::move(make)](const Req& req, Res& res) {
                if (auto id = id_from(req, res, exists, what)) {
                  send_json(res, 200, stamped(make(*id)));
                }
              }));
}

void ShopServer::install_shop_routes() {
  const bool extracted = options_.variant == Variant::kExtracted;
  get_by_id("/orders", order_exists, "order", [extracted](std::uint64_t id) {
    return extracted ? extracted_order(order_json(id)) : order_json(id);
  });
  get_by_id("/payments/order", order_exists, "order", [extracted](std::uint64_t id) {
    return extracted ? extracted_payment(payment_json(id)) : payment_json(id);
  });
  get_by_id("/inventory/reservations/order", order_exists, "order", reservations_json);
  get_by_id("/customers", customer_exists, "customer", customer_json);
  server_.Get("/orders",
              guarded([extracted](const Req& req, Res& res) { list_orders(req, res, extracted); }));
  server_.Post("/orders",
               guarded([extracted](const Req& req, Res& res) { post_order(req, res, extracted); }));
}

void ShopServer::install_test_routes() {
  auto health = [this](const Req&, Res& res) {
    send_json(res, 200, {{"status", "ok"}, {"name", options_.name}});
  };
  server_.Get("/health", guarded(health, /*may_fail=*/false));
  // HEAD is served by the GET handler (cpp-httplib drops the body).
  const std::string echo = "/echo(/.*)?";
  auto reflect = [](const Req& req, Res& res) { send_json(res, 200, echo_json(req)); };
  server_.Get(echo, guarded(reflect));
  server_.Post(echo, guarded(reflect));
  server_.Put(echo, guarded(reflect));
  server_.Delete(echo, guarded(reflect));
  server_.Patch(echo, guarded(reflect));
  server_.Options(echo, guarded(reflect));
  server_.Get("/bytes/([^/]+)", guarded(get_bytes));
  server_.Get("/slow/([^/]+)", guarded([this](const Req& req, Res& res) { get_slow(req, res); }));
}

void ShopServer::get_slow(const Req& req, Res& res) {
  auto ms = parse_id(req.matches[1].str());
  if (!ms || *ms > kMaxSlowMs) {
    return send_json(res, 400, {{"error", "ms must be an integer from 0 to 60000"}});
  }
  if (!pause(std::chrono::milliseconds(*ms))) {
    return send_json(res, 503, {{"error", "shutting down"}});
  }
  send_json(res, 200, {{"slept_ms", *ms}});
}

httplib::Server::Handler ShopServer::guarded(httplib::Server::Handler handler, bool may_fail) {
  return [this, handler = std::move(handler), may_fail](const Req& req, Res& res) {
    ++in_flight_;
    struct Done {
      std::atomic<int>& count;
      ~Done() { --count; }
    } done{in_flight_};
    if (may_fail && should_fail()) return send_json(res, 500, {{"error", "injected failure"}});
    handler(req, res);
  };
}

bool ShopServer::should_fail() {
  if (options_.fail_rate <= 0.0) return false;
  if (options_.fail_rate >= 1.0) return true;
  std::lock_guard lock(rng_mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < options_.fail_rate;
}

bool ShopServer::pause(std::chrono::milliseconds duration) {
  std::unique_lock lock(state_mutex_);
  return !state_cv_.wait_for(lock, duration, [this] { return stopping_; });
}

std::optional<int> ShopServer::bind(const std::string& host, int port) {
  int bound = -1;
  if (port == 0) {
    bound = server_.bind_to_any_port(host);
  } else if (server_.bind_to_port(host, port)) {
    bound = port;
  }
  if (bound <= 0) return std::nullopt;
  // Listening again on a listening socket only changes its backlog (Linux); a burst of test
  // clients would otherwise see refused or stalled connects.
  if (listen_fd_ >= 0) ::listen(listen_fd_, kListenBacklog);
  return bound;
}

bool ShopServer::serve() {
  const bool ok = server_.listen_after_bind();
  {
    std::lock_guard lock(state_mutex_);
    serve_returned_ = true;
  }
  state_cv_.notify_all();
  return ok;
}

void ShopServer::stop() {
  {
    std::lock_guard lock(state_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  state_cv_.notify_all();
  // Server::stop() does nothing until listen_after_bind() has marked the server running; a signal
  // that arrives just after the listening line must not be lost.
  while (!server_.is_running()) {
    {
      std::lock_guard lock(state_mutex_);
      if (serve_returned_) return;
    }
    std::this_thread::sleep_for(1ms);
  }
  server_.stop();
}

bool ShopServer::wait_stopped(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::optional<std::chrono::steady_clock::time_point> idle_since;
  std::unique_lock lock(state_mutex_);
  while (!serve_returned_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    if (in_flight_ > 0) {
      idle_since.reset();
    } else if (!idle_since) {
      idle_since = now;
    } else if (now - *idle_since >= 100ms) {
      return false;  // only idle keep-alive connections left
    }
    state_cv_.wait_for(lock, 10ms);
  }
  return true;
}

}  // namespace strangler::stub
