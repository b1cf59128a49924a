// Socket pairs for the data-path unit tests: both ends of one TCP connection on 127.0.0.1 in this
// process, an io_context run by the test itself, and coroutines spawned on it with their results
// kept. No other process, no thread: a test runs in milliseconds and sees every byte exactly.
//
// Header-only on purpose: the unit test binaries compile no support sources.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "router/net/asio.h"

namespace strangler::test {

struct SocketPair {
  Socket first;   // the connecting end
  Socket second;  // the accepted end
};

// Both ends of a fresh TCP connection on 127.0.0.1 (the connect completes against the listen
// backlog, so it needs no running io_context).
inline SocketPair connected_pair(asio::io_context& io) {
  Acceptor acceptor(io.get_executor(), tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  Socket first(io.get_executor());
  first.connect(acceptor.local_endpoint());
  Socket second = acceptor.accept();
  return {std::move(first), std::move(second)};
}

// Small kernel buffers on both sides, so that a write to a peer that does not read blocks after a
// few KiB instead of after the megabytes that autotuning allows.
inline void shrink_buffers(Socket& writer, Socket& reader) {
  writer.set_option(asio::socket_base::send_buffer_size(4096));
  reader.set_option(asio::socket_base::receive_buffer_size(4096));
}

// Runs `io` handler by handler until `done` holds; false when it still does not after `limit`
// (a hang, reported instead of waited for). Not run(): a TimedStream's lazy deadline timer stays
// armed after its operation completed and would keep run() going until it fires.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  io.restart();
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    io.run_one_for(deadline - now);
  }
  return true;
}

// The outcome of a coroutine spawned with spawn().
template <typename T>
struct Spawned {
  std::optional<T> value;
  std::exception_ptr error;
  bool done = false;

  // The value; rethrows what the coroutine threw.
  T& get() {
    REQUIRE(done);
    if (error) std::rethrow_exception(error);
    return *value;
  }
};

template <typename T>
std::shared_ptr<Spawned<T>> spawn(asio::io_context& io, Task<T> task) {
  auto out = std::make_shared<Spawned<T>>();
  asio::co_spawn(io.get_executor(), std::move(task), [out](std::exception_ptr error, T value) {
    out->error = error;
    if (!error) out->value = std::move(value);
    out->done = true;
  });
  return out;
}

// Reads `stream` until the peer closes it; the bytes, or what failed the read.
template <typename Stream>
Task<std::pair<std::string, boost::system::error_code>> read_to_eof(Stream& stream) {
  std::string data;
  char chunk[16 * 1024];
  boost::system::error_code ec;
  for (;;) {
    auto n = co_await stream.async_read_some(asio::buffer(chunk), use_ec(ec));
    data.append(chunk, n);
    if (ec == asio::error::eof) co_return std::pair{data, boost::system::error_code()};
    if (ec) co_return std::pair{data, ec};
  }
}

// Writes all of `bytes` to `stream`; the error, if any.
template <typename Stream>
Task<boost::system::error_code> write_all(Stream& stream, std::string bytes) {
  boost::system::error_code ec;
  co_await asio::async_write(stream, asio::buffer(bytes), use_ec(ec));
  co_return ec;
}

}  // namespace strangler::test
