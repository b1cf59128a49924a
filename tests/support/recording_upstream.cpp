// RecordingUpstream: in-process recording HTTP/1.1 upstream (see recording_upstream.h).
#include "tests/support/recording_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <optional>
#include <stdexcept>

namespace strangler::test {

struct RecordingUpstream::Connection {
  Fd fd;
  std::size_t id = 0;
  std::string in;
  std::string out;
  std::size_t out_pos = 0;
  bool close_after_write = false;
  bool dead = false;
  // The request being read.
  std::optional<RecordedRequest> current;
  std::optional<ChunkedDecoder> chunked;
  std::size_t body_left = 0;
  // A pause in the output at offset stall_at (see set_stall); stall_until is set on reaching it.
  std::optional<std::size_t> stall_at;
  std::optional<std::chrono::steady_clock::time_point> stall_until;
};

RecordingUpstream::RecordingUpstream(Responder responder) : responder_(std::move(responder)) {
  if (!responder_) {
    responder_ = [](const RecordedRequest&) {
      return response(200, {{"Content-Type", "text/plain"}}, "ok");
    };
  }
  listener_ = listen_loopback("RecordingUpstream", port_);
  thread_ = std::thread([this] { run(); });
}

RecordingUpstream::~RecordingUpstream() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<RecordedRequest> RecordingUpstream::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<RecordedRequest> RecordingUpstream::wait_for_requests(
    std::size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  if (!recorded_.wait_for(lock, timeout, [&] { return requests_.size() >= count; })) {
    throw std::runtime_error("RecordingUpstream: expected " + std::to_string(count) +
                             " requests, got " + std::to_string(requests_.size()));
  }
  return requests_;
}

std::string RecordingUpstream::response(int status, const Headers& headers, std::string_view body,
                                        bool chunked) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " Status\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (chunked) {
    out += "Transfer-Encoding: chunked\r\n\r\n";
    out += chunk_encode(body, 1000);
  } else {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    out.append(body);
  }
  return out;
}

void RecordingUpstream::run() {
  std::list<Connection> connections;
  std::vector<pollfd> fds;
  std::vector<Connection*> owners;
  while (!stop_) {
    fds.clear();
    owners.clear();
    fds.push_back({listener_.get(), POLLIN, 0});
    owners.push_back(nullptr);
    for (auto& c : connections) {
      bool stalled = c.stall_at && c.out_pos == *c.stall_at;
      short events = c.out_pos < c.out.size() && !stalled ? POLLOUT : 0;
      if (!c.close_after_write) events |= POLLIN;
      fds.push_back({c.fd.get(), events, 0});
      owners.push_back(&c);
    }
    // Also on timeout: a stalled response resumes from here.
    if (::poll(fds.data(), fds.size(), 20) < 0) continue;
    if (fds[0].revents & POLLIN) {
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        auto& c = connections.emplace_back();
        c.fd = Fd(fd);
        c.id = ++connections_accepted_;
      }
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      auto& c = *owners[i];
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) on_readable(c);
      if (!c.dead && c.out_pos < c.out.size()) c.dead = !flush(c);
      if (!c.dead && c.close_after_write && c.out_pos == c.out.size()) c.dead = true;
    }
    connections.remove_if([this](Connection& c) {
      if (!c.dead) return false;
      c.fd.reset();  // closed before it is counted (see connections_closed())
      ++connections_closed_;
      return true;
    });
  }
}

void RecordingUpstream::on_readable(Connection& c) {
  char chunk[64 * 1024];
  auto n = ::recv(c.fd.get(), chunk, sizeof chunk, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    c.dead = true;
    return;
  }
  if (n < 0) return;
  bytes_received_ += static_cast<std::size_t>(n);
  c.in.append(chunk, static_cast<std::size_t>(n));
  try {
    parse_requests(c);
  } catch (const std::exception& e) {
    // Malformed framing from the router: record nothing more, answer 400 and close.
    c.out += response(400, {{"Connection", "close"}}, e.what());
    c.close_after_write = true;
  }
}

void RecordingUpstream::parse_requests(Connection& c) {
  while (!c.close_after_write) {
    if (!c.current) {
      std::size_t head_len = 0;
      auto head = parse_head(c.in, &head_len);
      if (!head) return;
      RecordedRequest request;
      request.connection = c.id;
      request.raw = head->raw;
      auto sp1 = head->start_line.find(' ');
      auto sp2 = head->start_line.find(' ', sp1 + 1);
      request.method = head->start_line.substr(0, sp1);
      request.target = head->start_line.substr(sp1 + 1, sp2 - sp1 - 1);
      c.in.erase(0, head_len);
      c.chunked.reset();
      c.body_left = 0;
      if (head->has("Transfer-Encoding")) {
        c.chunked.emplace();
      } else if (auto length = head->get("Content-Length")) {
        c.body_left = std::stoull(*length);
      }
      request.head = std::move(*head);
      c.current = std::move(request);
    }
    auto& request = *c.current;
    if (c.chunked) {
      auto used = c.chunked->feed(c.in);
      request.raw.append(c.in, 0, used);
      c.in.erase(0, used);
      if (!c.chunked->done()) return;
      request.body = c.chunked->take_body();
    } else {
      auto n = std::min(c.body_left, c.in.size());
      request.body.append(c.in, 0, n);
      request.raw.append(c.in, 0, n);
      c.in.erase(0, n);
      c.body_left -= n;
      if (c.body_left > 0) return;
    }
    auto reply = responder_(request);
    if (reply.empty() || silent_close_)
      c.close_after_write = true;  // no answer: the connection just closes
    std::size_t reply_head_len = 0;
    auto reply_head = parse_head(reply, &reply_head_len);
    if (reply_head && request.method == "HEAD") reply.resize(reply_head_len);  // head only
    if (request.head.has_token("Connection", "close") ||
        (reply_head && reply_head->has_token("Connection", "close"))) {
      c.close_after_write = true;
    }
    if (stall_ms_ > 0 && !c.stall_at && stall_after_ < reply.size()) {
      c.stall_at = c.out.size() + stall_after_;
    }
    c.out += reply;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(std::move(request));
    }
    recorded_.notify_all();
    c.current.reset();
  }
}

bool RecordingUpstream::flush(Connection& c) {
  while (c.out_pos < c.out.size()) {
    auto end = c.out.size();
    if (c.stall_at && c.out_pos == *c.stall_at) {
      auto now = std::chrono::steady_clock::now();
      if (!c.stall_until) c.stall_until = now + std::chrono::milliseconds(stall_ms_.load());
      if (now < *c.stall_until) return true;  // the poll timeout brings us back
      c.stall_at.reset();
      c.stall_until.reset();
    }
    if (c.stall_at) end = *c.stall_at;
    auto n = ::send(c.fd.get(), c.out.data() + c.out_pos, end - c.out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
    return false;
  }
  c.out.clear();
  c.out_pos = 0;
  return true;
}

}  // namespace strangler::test
