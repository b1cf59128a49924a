// ClientWatch; see client_watch.h.
#include "router/net/client_watch.h"

#include <sys/socket.h>

#include <cerrno>

namespace strangler {

// Shared with the timer's handler and the watching coroutine, which may run after the watch (and
// even the sockets) are gone: they touch the sockets only while `active`.
struct ClientWatch::State {
  State(Socket& client_, TimedStream& upstream_)
      : client(&client_), upstream(&upstream_), quiet(client_.get_executor()) {}
  Socket* client;
  TimedStream* upstream;
  Timer quiet;
  bool active = true;
  bool watching = false;  // the quiet period is over and the socket wait started
  bool gone = false;
};

namespace {

// EOF or a socket error: the client will not read an answer.
bool peer_left(Socket& socket) {
  char byte;
  auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  return true;
}

Task<void> watch(std::shared_ptr<ClientWatch::State> state) {
  boost::system::error_code ec;
  co_await state->client->async_wait(Socket::wait_read, use_ec(ec));
  if (!state->active || ec == asio::error::operation_aborted) co_return;
  if (!ec && !peer_left(*state->client)) co_return;  // a pipelined request, not a disconnect
  state->gone = true;
  state->upstream->close();  // fails the pending upstream read at once
}

}  // namespace

ClientWatch::ClientWatch(Socket& client, TimedStream& upstream)
    : state_(std::make_shared<State>(client, upstream)) {
  state_->quiet.expires_after(kClientWatchDelay);
  state_->quiet.async_wait([state = state_](const boost::system::error_code& ec) {
    if (ec || !state->active) return;
    state->watching = true;
    asio::co_spawn(state->client->get_executor(), watch(state), asio::detached);
  });
}

ClientWatch::~ClientWatch() {
  if (!state_->active) return;
  state_->active = false;
  state_->quiet.cancel();
  if (state_->watching && !state_->gone) {
    boost::system::error_code ignored;
    state_->client->cancel(ignored);
  }
}

bool ClientWatch::client_gone() const {
  return state_->gone;
}

}  // namespace strangler
