// FileOpens: counts how often any process opens one file, through inotify on its directory. For a
// negative check that needs proof of activity: "the router polled the database five more times
// and logged nothing" instead of "nothing was logged within 800 ms".
//
// Header-only on purpose: it needs nothing but Linux's inotify.
#pragma once

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

namespace strangler::test {

class FileOpens {
 public:
  // Watches `dir` for opens of the file called `name` in it (whatever file has that name then:
  // one renamed over it counts as well).
  FileOpens(const std::filesystem::path& dir, std::string name) : name_(std::move(name)) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("FileOpens: inotify_init1 failed");
    if (::inotify_add_watch(fd_, dir.c_str(), IN_OPEN) < 0) {
      ::close(fd_);
      throw std::runtime_error("FileOpens: cannot watch " + dir.string());
    }
  }
  ~FileOpens() { ::close(fd_); }
  FileOpens(const FileOpens&) = delete;
  FileOpens& operator=(const FileOpens&) = delete;

  // Opens of the file since the watch began. Throws when the kernel dropped events (the count
  // would be too low).
  std::size_t count() {
    alignas(inotify_event) char buffer[16 * 1024];
    for (;;) {
      auto n = ::read(fd_, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EAGAIN: nothing more queued
      for (char* at = buffer; at < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(at);
        if (event->mask & IN_Q_OVERFLOW) throw std::runtime_error("FileOpens: events lost");
        if ((event->mask & IN_OPEN) && event->len > 0 && name_ == event->name) ++opens_;
        at += sizeof(inotify_event) + event->len;
      }
    }
    return opens_;
  }

 private:
  std::string name_;
  int fd_ = -1;
  std::size_t opens_ = 0;
};

}  // namespace strangler::test
