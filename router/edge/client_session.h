// ClientSession: one client connection and the pipeline each of its requests goes through.
//
// handle_one() lists the phases in order — read the head, normalize, route, forward, finish —
// and passes the request along as a value (RequestState). finish() runs on every exit that
// answered something, the edge's refusals included, so every answer is counted in /metrics and
// written to the access log. The forward phase is the Forwarder's (upstream/forwarder.h); the
// shadow feature is reached only through the tap the route phase asks for.
#pragma once

#include <optional>
#include <string>

#include "router/edge/client_connection.h"
#include "router/edge/request_state.h"
#include "router/edge/request_target.h"
#include "router/upstream/forwarder.h"

namespace strangler {

class ClientSession {
 public:
  ClientSession(Socket socket, WorkerContext& worker);
  Task<void> run();

 private:
  Task<bool> handle_one();
  void identify_client(RequestState& request, const RequestParser& parser) const;
  RoutedRequest route(RequestParser& parser, const RequestTarget& target, std::string_view path,
                      std::string_view client) const;
  std::size_t choose_side(const CompiledRoute& match, const http::request_header<>& request,
                          std::string_view client) const;
  Task<ForwardOutcome> refuse(const RequestState& request, ErrorKind error,
                              std::string_view reason);
  void finish(const RequestState& request, const ForwardOutcome& outcome,
              std::optional<ShadowTap>& tap);
  void log_access(const RequestState& request, const ForwardOutcome& outcome,
                  std::chrono::nanoseconds latency, std::chrono::steady_clock::time_point now);
  Task<void> close_gracefully();

  TimedStream stream_;
  beast::flat_buffer buffer_;
  WorkerContext& worker_;
  std::string client_ip_;             // the peer's address
  bool trusted_peer_;                 // the peer is in a --trusted-proxy block
  std::size_t requests_started_ = 0;  // on this connection; the first gets no idle wait
  Forwarder forwarder_;
};

}  // namespace strangler
