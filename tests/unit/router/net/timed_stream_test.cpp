// TimedStream over a real TCP connection on 127.0.0.1: a read still pending at its deadline fails
// with a timeout and closes the socket (Expiry::close) or only cancels the read and leaves the
// socket usable (Expiry::cancel); a deadline moved later while a read waits fires at the new time,
// not at the one the lazy timer was armed for; a write that cannot finish by the deadline fails
// with a timeout too. DeadlineWatch's own rules are in deadline_watch_test.cpp; this is the socket
// and timer wiring around them. Deadlines are tens of milliseconds; nothing sleeps.
#include "router/net/timed_stream.h"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <string>

#include "tests/support/socket_pair.h"

using namespace strangler;
using namespace strangler::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// What one callback-style operation reported, and when. Times are compared with one taken before
// the deadline was set, so that "not before the deadline" is exact.
struct Outcome {
  bool done = false;
  boost::system::error_code ec;
  std::size_t bytes = 0;
  Clock::time_point at;
};

// Starts a read on `stream` into `buffer`, recording its outcome. Callback style, so that the
// test can move the deadline after the read has started.
void start_read(TimedStream& stream, std::array<char, 64>& buffer, Outcome& out) {
  stream.async_read_some(asio::buffer(buffer), [&out](boost::system::error_code ec, std::size_t n) {
    out = {true, ec, n, Clock::now()};
  });
}

struct Fixture {
  asio::io_context io;
  SocketPair pair = connected_pair(io);
  TimedStream stream{std::move(pair.first)};  // under test
  TimedStream peer{std::move(pair.second)};   // the other end, a plain participant
  std::array<char, 64> buffer{};
};

}  // namespace

TEST_CASE("timed stream: a read past its deadline fails with timeout and closes the socket") {
  Fixture f;
  Outcome read;
  auto t0 = Clock::now();
  f.stream.expires_after(20ms);  // Expiry::close is the default
  start_read(f.stream, f.buffer, read);
  REQUIRE(run_until(f.io, [&] { return read.done; }));
  CHECK(read.ec == beast::error::timeout);
  CHECK(read.bytes == 0);
  CHECK(read.at - t0 >= 20ms);  // a steady timer never fires before its time
  CHECK_FALSE(f.stream.socket().is_open());
  // The peer sees the connection end.
  f.peer.expires_after(2s);
  auto seen = spawn(f.io, read_to_eof(f.peer));
  REQUIRE(run_until(f.io, [&] { return seen->done; }));
  CHECK(seen->get().second == boost::system::error_code());
  CHECK(seen->get().first.empty());
}

TEST_CASE("timed stream: with Expiry::cancel the read times out and the socket stays usable") {
  Fixture f;
  Outcome read;
  auto t0 = Clock::now();
  f.stream.expires_after(20ms, TimedStream::Expiry::cancel);
  start_read(f.stream, f.buffer, read);
  REQUIRE(run_until(f.io, [&] { return read.done; }));
  CHECK(read.ec == beast::error::timeout);
  CHECK(read.at - t0 >= 20ms);
  REQUIRE(f.stream.socket().is_open());

  // A new deadline clears the expiry: the next read gets what the peer sends...
  f.stream.expires_after(2s);
  f.peer.expires_after(2s);
  auto sent = spawn(f.io, write_all(f.peer, "ping"));
  Outcome again;
  start_read(f.stream, f.buffer, again);
  REQUIRE(run_until(f.io, [&] { return again.done && sent->done; }));
  CHECK(sent->get() == boost::system::error_code());
  CHECK(again.ec == boost::system::error_code());
  CHECK(std::string(f.buffer.data(), again.bytes) == "ping");

  // ...and what it writes reaches the peer (the 408 a slow client is owed).
  auto answered = spawn(f.io, write_all(f.stream, "pong"));
  REQUIRE(run_until(f.io, [&] { return answered->done; }));
  CHECK(answered->get() == boost::system::error_code());
  f.stream.close();
  auto seen = spawn(f.io, read_to_eof(f.peer));
  REQUIRE(run_until(f.io, [&] { return seen->done; }));
  CHECK(seen->get().first == "pong");
}

TEST_CASE("timed stream: a deadline moved later while a read waits fires at the new time") {
  Fixture f;
  Outcome read;
  auto t0 = Clock::now();
  f.stream.expires_after(20ms);
  start_read(f.stream, f.buffer, read);  // arms the lazy timer for +20 ms
  f.stream.expires_after(80ms);          // a store only: the timer fires at +20 ms and re-arms
  REQUIRE(run_until(f.io, [&] { return read.done; }));
  CHECK(read.ec == beast::error::timeout);
  CHECK(read.at - t0 >= 80ms);
}

TEST_CASE("timed stream: data arriving after the old deadline but before the new one is read") {
  Fixture f;
  Outcome read;
  auto t0 = Clock::now();
  f.stream.expires_after(20ms);
  start_read(f.stream, f.buffer, read);
  f.stream.expires_after(10s);  // never reached: the read completes first
  // The peer writes once the old deadline is well past, from a timer on the same io_context.
  Timer later(f.io.get_executor());
  later.expires_after(50ms);
  later.async_wait([&](boost::system::error_code) {
    asio::write(f.peer.socket(), asio::buffer(std::string_view("late")));
  });
  REQUIRE(run_until(f.io, [&] { return read.done; }));
  CHECK(read.ec == boost::system::error_code());
  CHECK(std::string(f.buffer.data(), read.bytes) == "late");
  CHECK(read.at - t0 >= 50ms);  // the read was pending when the first deadline passed
  CHECK(f.stream.socket().is_open());
}

TEST_CASE("timed stream: a write that cannot finish by the deadline fails with timeout") {
  Fixture f;
  shrink_buffers(f.stream.socket(), f.peer.socket());
  // The peer reads nothing: once both kernel buffers are full the write waits.
  const std::string big(1 << 20, 'x');
  auto t0 = Clock::now();
  f.stream.expires_after(30ms);
  Outcome write;
  asio::async_write(f.stream, asio::buffer(big), [&](boost::system::error_code ec, std::size_t n) {
    write = {true, ec, n, Clock::now()};
  });
  REQUIRE(run_until(f.io, [&] { return write.done; }));
  CHECK(write.ec == beast::error::timeout);
  CHECK(write.bytes < big.size());
  CHECK(write.at - t0 >= 30ms);
  CHECK_FALSE(f.stream.socket().is_open());
}

TEST_CASE("timed stream: operations that finish in time are not affected by the deadline") {
  Fixture f;
  f.stream.expires_after(30ms);
  f.peer.expires_after(2s);
  auto sent = spawn(f.io, write_all(f.peer, "hello"));
  Outcome read;
  start_read(f.stream, f.buffer, read);
  REQUIRE(run_until(f.io, [&] { return read.done && sent->done; }));
  CHECK(read.ec == boost::system::error_code());
  CHECK(std::string(f.buffer.data(), read.bytes) == "hello");
  // The timer armed for that read goes off at +30 ms with nothing pending: it must cut short
  // nothing, so a read started afterwards under a fresh deadline is not failed by it. A timer for
  // +40 ms on the same io_context completes after the stream's: timers complete in deadline order.
  Timer past(f.io.get_executor());
  past.expires_after(40ms);
  bool fired = false;
  past.async_wait([&](boost::system::error_code) { fired = true; });
  REQUIRE(run_until(f.io, [&] { return fired; }));
  CHECK(f.stream.socket().is_open());
  f.stream.expires_after(2s);
  auto more = spawn(f.io, write_all(f.peer, "again"));
  Outcome next;
  start_read(f.stream, f.buffer, next);
  REQUIRE(run_until(f.io, [&] { return next.done && more->done; }));
  CHECK(next.ec == boost::system::error_code());
  CHECK(std::string(f.buffer.data(), next.bytes) == "again");
}
