// DrainingSocket: a TCP socket whose reads tell Asio's reactor when they drained the socket, so
// that the next read waits for readiness instead of trying a recv that fails.
//
// Asio 1.74 (Debian 12's Boost) reads speculatively, a recv before waiting for epoll, until a read
// returns 0 bytes; a short read does not count as draining. So reading the upstream's answer just
// after sending the request, and the client's next request just after answering, each cost a recv
// that fails with EAGAIN: 1.7 of the router's 5.7 system calls per proxied request at 512
// connections (perf stat, sys_exit_recvfrom with ret == -11), and a system call costs ~2 us on
// this kind of VM. nginx clears its ready flag on a short read; this does the same: a read that
// returns less than it asked for reports "done and exhausted", which is what makes the reactor
// wait for the next EPOLLIN before reading again. No readiness is lost: any data arriving later
// raises a new edge, and the reactor sets speculation back on for every EPOLLIN it sees, whether
// a read is waiting or not.
//
// The operation mirrors Asio 1.74's reactive_socket_recv_op with that one change, so it lives on
// Asio's internals (asio::detail); the static_assert below stops a build against another Boost,
// where it has to be checked again. CMake's STRANGLER_DRAINING_SOCKET (on by default with
// Boost 1.74) chooses it; off, TimedStream uses Asio's own socket and this header is not included
// at all.
#pragma once

#if !STRANGLER_DRAINING_SOCKET
#error "draining_socket.h is for builds with STRANGLER_DRAINING_SOCKET on (see timed_stream.h)"
#endif

#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/buffer_sequence_adapter.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/memory.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/detail/socket_ops.hpp>
#include <boost/version.hpp>
#include <memory>
#include <utility>

#include "router/net/asio.h"

static_assert(BOOST_VERSION == 107400,
              "DrainingRecvOp mirrors Boost 1.74's reactive_socket_recv_op: check it against "
              "this Boost's before building");

namespace strangler {

template <typename Buffers, typename Handler>
class DrainingRecvOp : public asio::detail::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(DrainingRecvOp);

  DrainingRecvOp(asio::detail::socket_type socket, const Buffers& buffers, Handler& handler,
                 const Executor& io_ex)
      : reactor_op(boost::system::error_code(), &DrainingRecvOp::do_perform,
                   &DrainingRecvOp::do_complete),
        socket_(socket),
        buffers_(buffers),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(reactor_op* base) {
    auto* o = static_cast<DrainingRecvOp*>(base);
    using Adapter = asio::detail::buffer_sequence_adapter<asio::mutable_buffer, Buffers>;
    Adapter bufs(o->buffers_);
    bool finished = asio::detail::socket_ops::non_blocking_recv(
        o->socket_, bufs.buffers(), bufs.count(), 0, true, o->ec_, o->bytes_transferred_);
    if (!finished) return not_done;
    // The one difference from Asio's: short, not only empty, means the socket is drained.
    return o->bytes_transferred_ < bufs.total_size() ? done_and_exhausted : done;
  }

  static void do_complete(void* owner, asio::detail::operation* base,
                          const boost::system::error_code&, std::size_t) {
    auto* o = static_cast<DrainingRecvOp*>(base);
    ptr p = {std::addressof(o->handler_), o, o};
    Work w(std::move(o->work_));
    // The handler is copied out so that the operation's memory is freed before the upcall.
    asio::detail::binder2<Handler, boost::system::error_code, std::size_t> handler(
        o->handler_, o->ec_, o->bytes_transferred_);
    p.h = std::addressof(handler.handler_);
    p.reset();
    if (owner) {
      asio::detail::fenced_block b(asio::detail::fenced_block::half);
      w.complete(handler, handler.handler_);
    }
  }

 private:
  using Work = asio::detail::handler_work<Handler, Executor>;
  asio::detail::socket_type socket_;
  Buffers buffers_;
  Handler handler_;
  Work work_;
};

class DrainingSocket : public Socket {
 public:
  explicit DrainingSocket(Executor executor) : Socket(executor), reactor_(reactor_of(executor)) {}
  explicit DrainingSocket(Socket&& socket)
      : Socket(std::move(socket)), reactor_(reactor_of(get_executor())) {}

  // Socket::async_read_some, but with DrainingRecvOp. `handler` is a completion handler.
  template <typename Buffers, typename Handler>
  void async_read_some_draining(const Buffers& buffers, Handler&& handler) {
    using Adapter = asio::detail::buffer_sequence_adapter<asio::mutable_buffer, Buffers>;
    if (Adapter::all_empty(buffers)) {  // Asio completes these at once; so does its own op
      async_read_some(buffers, std::forward<Handler>(handler));
      return;
    }
    using Op = DrainingRecvOp<Buffers, std::decay_t<Handler>>;
    auto& impl = impl_.get_implementation();
    bool is_continuation = boost_asio_handler_cont_helpers::is_continuation(handler);
    typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
    p.p = new (p.v) Op(impl.socket_, buffers, handler, impl_.get_executor());
    namespace ops = asio::detail::socket_ops;
    if ((impl.state_ & ops::non_blocking) ||
        ops::set_internal_non_blocking(impl.socket_, impl.state_, true, p.p->ec_)) {
      reactor_->start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, p.p,
                         is_continuation, true);
    } else {
      reactor_->post_immediate_completion(p.p, is_continuation);
    }
    p.v = p.p = nullptr;
  }

 private:
  static asio::detail::reactor* reactor_of(const Executor& executor) {
    return &asio::use_service<asio::detail::reactor>(executor.context());
  }

  asio::detail::reactor* reactor_;
};

}  // namespace strangler
