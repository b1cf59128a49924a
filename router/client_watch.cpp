// ClientWatch; see client_watch.h.
#include "router/client_watch.h"

#include <sys/socket.h>

#include <cerrno>

namespace strangler {

// Shared with the watching coroutine, which may resume after the watch (and even the sockets) are
// gone: it touches the sockets only while `active`.
struct ClientWatch::State {
  tcp::socket* client;
  beast::tcp_stream* upstream;
  bool active = true;
  bool gone = false;
};

namespace {

// EOF or a socket error: the client will not read an answer.
bool peer_left(tcp::socket& socket) {
  char byte;
  auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return false;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return false;
  return true;
}

asio::awaitable<void> watch(std::shared_ptr<ClientWatch::State> state) {
  boost::system::error_code ec;
  co_await state->client->async_wait(tcp::socket::wait_read, use_ec(ec));
  if (!state->active || ec == asio::error::operation_aborted) co_return;
  if (!ec && !peer_left(*state->client)) co_return;  // a pipelined request, not a disconnect
  state->gone = true;
  state->upstream->close();  // fails the pending upstream read at once
}

}  // namespace

ClientWatch::ClientWatch(tcp::socket& client, beast::tcp_stream& upstream)
    : state_(std::make_shared<State>(State{&client, &upstream})) {
  asio::co_spawn(client.get_executor(), watch(state_), asio::detached);
}

ClientWatch::~ClientWatch() {
  if (!state_->active) return;
  state_->active = false;
  if (!state_->gone) {
    boost::system::error_code ignored;
    state_->client->cancel(ignored);
  }
}

bool ClientWatch::client_gone() const {
  return state_->gone;
}

}  // namespace strangler
