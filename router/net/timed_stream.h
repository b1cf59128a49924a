// TimedStream: a TCP socket whose reads and writes give up at a deadline, for Beast's HTTP
// reads and writes (it is an AsyncReadStream and an AsyncWriteStream).
//
// What beast::tcp_stream does, at a fraction of the cost: an operation still pending at the
// deadline fails with beast::error::timeout and the socket is closed (or, on request, left open).
// tcp_stream armed and cancelled a timer around every read and write and copied a shared_ptr into
// every operation, 5-6 timer-queue changes per proxied request; here moving the deadline is a
// store, and one lazy timer per stream (DeadlineWatch decides when it fires) is re-armed about once
// per timeout period.
//
// The socket under it is DrainingSocket (draining_socket.h: one failing recv fewer per read, but
// written against Boost 1.74's Asio internals) when CMake's STRANGLER_DRAINING_SOCKET is on, and
// Asio's own tcp::socket when it is off, for any other Boost.
#pragma once

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "router/net/asio.h"
#include "router/net/deadline_watch.h"

// Set by router/CMakeLists.txt for everything that links strangler_router_core. A translation
// unit without it would lay State out differently from the others, so it must not guess.
#ifndef STRANGLER_DRAINING_SOCKET
#error "STRANGLER_DRAINING_SOCKET must be 0 or 1 (router/CMakeLists.txt defines it)"
#endif
#if STRANGLER_DRAINING_SOCKET
#include "router/net/draining_socket.h"
#endif

namespace strangler {

// The socket a TimedStream reads and writes: a Socket either way (what socket() returns).
#if STRANGLER_DRAINING_SOCKET
using StreamSocket = DrainingSocket;
#else
using StreamSocket = Socket;
#endif

class TimedStream {
 public:
  using executor_type = Executor;
  using Clock = std::chrono::steady_clock;

  explicit TimedStream(Executor executor);
  explicit TimedStream(Socket socket);
  TimedStream(const TimedStream&) = delete;
  TimedStream& operator=(const TimedStream&) = delete;
  // Closes the socket: a pending operation completes with operation_aborted.
  ~TimedStream();

  executor_type get_executor() noexcept { return state_->socket.get_executor(); }
  Socket& socket() noexcept { return state_->socket; }
  void close();

  // What a deadline passing does to the operations pending then (they fail with
  // beast::error::timeout either way): `close` the socket, or only `cancel` them and leave the
  // socket open, for a caller that still has something to say (a 408 to a slow request).
  enum class Expiry { close, cancel };

  // The deadline for the reads and writes from now on (an operation started after it passed
  // fails with a timeout too).
  void expires_after(Clock::duration timeout, Expiry expiry = Expiry::close) {
    expires_at(Clock::now() + timeout, expiry);
  }
  void expires_at(Clock::time_point deadline, Expiry expiry = Expiry::close) {
    state_->watch.set(deadline);
    state_->expiry = expiry;
  }
  void expires_never() { expires_at(DeadlineWatch::never); }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return timed<void(boost::system::error_code, std::size_t)>(
        std::forward<Token>(token), [buffers](StreamSocket& s, auto done) {
#if STRANGLER_DRAINING_SOCKET
          s.async_read_some_draining(buffers, std::move(done));
#else
          s.async_read_some(buffers, std::move(done));
#endif
        });
  }

  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return timed<void(boost::system::error_code, std::size_t)>(
        std::forward<Token>(token),
        [buffers](StreamSocket& s, auto done) { s.async_write_some(buffers, std::move(done)); });
  }

  // Connects to the first endpoint that accepts, within the deadline; beast::error::timeout when
  // it passed.
  Task<boost::system::error_code> connect(const std::vector<tcp::endpoint>& endpoints);

 private:
  // Starts `operation` on the socket under the deadline, its completion wrapped. A coroutine's
  // token defers the start until the co_await, so `operation` holds copies, not references.
  template <typename Signature, typename Token, typename Operation>
  auto timed(Token&& token, Operation operation) {
    return asio::async_initiate<Token, Signature>(
        [this, operation = std::move(operation)](auto handler) {
          start();
          operation(state_->socket, wrap(std::move(handler)));
        },
        token);
  }

 public:  // for Asio's associated_executor and associated_allocator below
  // Shared with the timer's handler and with pending operations, which may complete after the
  // stream is gone.
  struct State {
    explicit State(Executor executor) : socket(executor), timer(executor) {}
    explicit State(Socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
    StreamSocket socket;
    Timer timer;
    DeadlineWatch watch;
    Expiry expiry = Expiry::close;
  };

  // Hands an operation's result on, a timeout reported as one.
  template <typename Handler>
  struct Completion {
    Handler handler;
    std::shared_ptr<State> state;

    template <typename... Rest>
    void operator()(boost::system::error_code ec, Rest&&... rest) {
      state->watch.finish();
      if (ec && state->watch.expired()) ec = beast::error::timeout;
      state.reset();
      std::move(handler)(ec, std::forward<Rest>(rest)...);
    }

    // Beast's composed reads and writes run their next step inline when this is a continuation.
    friend bool asio_handler_is_continuation(Completion* self) {
      return boost_asio_handler_cont_helpers::is_continuation(self->handler);
    }
  };

 private:
  template <typename Handler>
  Completion<std::decay_t<Handler>> wrap(Handler&& handler) {
    return {std::forward<Handler>(handler), state_};
  }

  void start();
  static void arm(const std::shared_ptr<State>& state, DeadlineWatch::TimePoint at);
  static void fired(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace strangler

// A wrapped handler runs on its own executor and allocates with its own allocator.
namespace boost::asio {

template <typename Handler, typename Executor1>
struct associated_executor<strangler::TimedStream::Completion<Handler>, Executor1> {
  using type = typename associated_executor<Handler, Executor1>::type;
  static type get(const strangler::TimedStream::Completion<Handler>& c,
                  const Executor1& fallback = Executor1()) noexcept {
    return associated_executor<Handler, Executor1>::get(c.handler, fallback);
  }
};

template <typename Handler, typename Allocator>
struct associated_allocator<strangler::TimedStream::Completion<Handler>, Allocator> {
  using type = typename associated_allocator<Handler, Allocator>::type;
  static type get(const strangler::TimedStream::Completion<Handler>& c,
                  const Allocator& fallback = Allocator()) noexcept {
    return associated_allocator<Handler, Allocator>::get(c.handler, fallback);
  }
};

}  // namespace boost::asio
