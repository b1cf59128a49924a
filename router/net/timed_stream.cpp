// TimedStream; see timed_stream.h.
#include "router/net/timed_stream.h"

namespace strangler {

TimedStream::TimedStream(Executor executor) : state_(std::make_shared<State>(executor)) {}

TimedStream::TimedStream(Socket socket) : state_(std::make_shared<State>(std::move(socket))) {}

TimedStream::~TimedStream() {
  state_->timer.cancel();
  close();
}

void TimedStream::close() {
  boost::system::error_code ignored;
  state_->socket.close(ignored);
}

void TimedStream::start() {
  if (auto at = state_->watch.start()) arm(state_, *at);
}

void TimedStream::arm(const std::shared_ptr<State>& state, DeadlineWatch::TimePoint at) {
  state->timer.expires_at(at);  // cancels the wait armed before, whose handler then does nothing
  state->timer.async_wait([weak = std::weak_ptr<State>(state)](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto alive = weak.lock()) fired(alive);
  });
}

void TimedStream::fired(const std::shared_ptr<State>& state) {
  auto verdict = state->watch.fired(Clock::now());
  switch (verdict.action) {
    case DeadlineWatch::Verdict::Action::none:
      return;
    case DeadlineWatch::Verdict::Action::rearm:
      arm(state, verdict.rearm_at);
      return;
    case DeadlineWatch::Verdict::Action::expire: {
      // Either way the pending operations complete, reported as timeouts.
      boost::system::error_code ignored;
      if (state->expiry == Expiry::cancel) {
        state->socket.cancel(ignored);
      } else {
        state->socket.close(ignored);
      }
      return;
    }
  }
}

Task<boost::system::error_code> TimedStream::connect(const std::vector<tcp::endpoint>& endpoints) {
  boost::system::error_code ec = asio::error::host_not_found;
  for (const auto& endpoint : endpoints) {
    close();
    co_await timed<void(boost::system::error_code)>(
        use_ec(ec),
        [endpoint](StreamSocket& s, auto done) { s.async_connect(endpoint, std::move(done)); });
    if (!ec || ec == beast::error::timeout) break;
  }
  co_return ec;
}

}  // namespace strangler
