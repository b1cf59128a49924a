// ClientWatch: notices a client that goes away while the router waits for an upstream's answer,
// and closes that upstream connection at once, so a request nobody waits for any more stops
// occupying the upstream (and a bulkhead slot) until the target's timeout, and the connection is
// never reused for another client.
//
// A watch first waits a quiet period (kClientWatchDelay): most answers come sooner, and watching
// a socket costs an epoll_ctl system call per request (Asio re-arms it for every wait), about a
// sixth of a proxied request's system calls. After that, a coroutine waits for the client socket
// to become readable and then peeks: EOF or an error means the client left (nginx treats a
// client's EOF the same way, 499); data means the client pipelined its next request, which is
// not a disconnect, and the watch ends quietly. Destroying the watch cancels the timer or the
// wait. Use it only while nothing else reads the client socket, i.e. between the end of the
// request body and the first byte of the answer.
#pragma once

#include <chrono>
#include <memory>

#include "router/net/asio.h"
#include "router/net/timed_stream.h"

namespace strangler {

// A client that leaves is noticed this much later at most (plus the time to see its EOF).
inline constexpr std::chrono::milliseconds kClientWatchDelay{50};

class ClientWatch {
 public:
  ClientWatch(Socket& client, TimedStream& upstream);
  ~ClientWatch();
  ClientWatch(const ClientWatch&) = delete;
  ClientWatch& operator=(const ClientWatch&) = delete;

  // True once the client was seen gone (the upstream connection is then closed).
  bool client_gone() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace strangler
