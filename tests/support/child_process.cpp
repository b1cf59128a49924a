// ChildProcess and run_process (see child_process.h).
#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace strangler::test {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string command_line(const std::string& binary, const std::vector<std::string>& args) {
  std::string out = binary;
  for (const auto& a : args) out += " '" + a + "'";
  return out;
}

// Forks and execs `binary`; stdin from /dev/null, stdout to `out_fd`, stderr to `err_fd`. Only
// async-signal-safe calls happen between fork and exec.
pid_t spawn(const std::string& binary, const std::vector<std::string>& args, int out_fd,
            int err_fd) {
  std::vector<std::string> storage;
  storage.push_back(binary);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    }
    ::execv(binary.c_str(), argv.data());
    static const char msg[] = "exec failed\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(null_fd);
  return pid;
}

}  // namespace

std::string ProcessResult::describe() const {
  return "$ " + command + "\nexit status: " + std::to_string(exit_code) + "\nstdout:\n" + out +
         "\nstderr:\n" + err;
}

ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::runtime_error("pipe2 failed");
  }
  pid_t pid = spawn(binary, args, out_pipe[1], err_pipe[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ProcessResult result;
  result.command = command_line(binary, args);
  std::string* sinks[2] = {&result.out, &result.err};
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  auto deadline = Clock::now() + timeout;
  bool timed_out = false;
  int open_count = 2;
  while (open_count > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      auto n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = decode_status(status);
  if (timed_out) {
    throw std::runtime_error("timed out after " + std::to_string(timeout.count()) +
                             " ms: " + result.describe());
  }
  return result;
}

ChildProcess::ChildProcess(std::string binary, std::vector<std::string> args,
                           std::filesystem::path stderr_log)
    : name_(std::filesystem::path(binary).filename().string()), stderr_log_(std::move(stderr_log)) {
  int err_fd = ::open(stderr_log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) throw std::runtime_error("cannot open " + stderr_log_.string());
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(err_fd);
    throw std::runtime_error("pipe2 failed");
  }
  try {
    pid_ = spawn(binary, args, out_pipe[1], err_fd);
  } catch (...) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_fd);
  reader_ = std::thread([this, fd = out_pipe[0]] { read_stdout(fd); });
}

ChildProcess::~ChildProcess() {
  stop();
}

void ChildProcess::read_stdout(int fd) {
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      stdout_eof_ = true;
      stdout_changed_.notify_all();
      break;
    }
    if (stdout_.size() < 1024 * 1024) stdout_.append(buf, static_cast<std::size_t>(n));
    stdout_changed_.notify_all();
  }
  ::close(fd);
}

std::uint16_t ChildProcess::wait_for_listen(std::string_view prefix,
                                            std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    std::size_t start = 0;
    for (auto nl = stdout_.find('\n'); nl != std::string::npos; nl = stdout_.find('\n', start)) {
      std::string_view line(stdout_.data() + start, nl - start);
      start = nl + 1;
      if (line.substr(0, prefix.size()) != prefix) continue;
      auto scheme = line.find("http://", prefix.size());
      auto colon = line.rfind(':');
      if (scheme == std::string_view::npos || colon < scheme + 7) continue;
      return static_cast<std::uint16_t>(std::stoi(std::string(line.substr(colon + 1))));
    }
    if (stdout_eof_ || !stdout_changed_.wait_until(lock, deadline, [&] {
          return stdout_eof_ || stdout_.find('\n', start) != std::string::npos;
        })) {
      bool eof = stdout_eof_;
      auto out = stdout_;
      lock.unlock();
      std::string why = "timed out";
      if (eof) {
        auto status = wait_exit(std::chrono::seconds(2));
        why = status ? "exited with status " + std::to_string(*status) : "closed its stdout";
      }
      throw std::runtime_error(name_ + " " + why + " before printing '" + std::string(prefix) +
                               "...http://HOST:PORT'\nstdout:\n" + out + "\nstderr:\n" +
                               stderr_text());
    }
  }
}

std::string ChildProcess::stdout_text() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string ChildProcess::stderr_text() const {
  std::string text;
  int fd = ::open(stderr_log_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

bool ChildProcess::try_reap() {
  if (exit_status_) return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = decode_status(status);
    return true;
  }
  if (r < 0 && errno == ECHILD) {
    exit_status_ = -1;
    return true;
  }
  return false;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!try_reap()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (reader_.joinable()) reader_.join();
  return exit_status_;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ > 0 && !try_reap()) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(grace)) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      exit_status_ = decode_status(status);
    }
  }
  if (reader_.joinable()) reader_.join();
  return exit_status_.value_or(-1);
}

}  // namespace strangler::test
