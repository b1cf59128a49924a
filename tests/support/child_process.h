// ChildProcess and run_process: start the real binaries from integration tests and never leave
// one behind.
//
// ChildProcess starts a long-running server (legacy-stub, strangler-router): its stdout is read
// by a thread into memory (so a chatty child can never block on a full pipe), its stderr goes to
// a log file the test names, and wait_for_listen() parses the port from the line the binary
// prints ("... listening on http://127.0.0.1:PORT"). stop() sends SIGTERM to the child's own pid,
// waits a grace period, then SIGKILLs, and reaps it; the destructor does the same. The child also
// gets PR_SET_PDEATHSIG, so even a test runner killed on timeout takes its children with it, and
// it inherits no descriptor beyond stdin/stdout/stderr.
//
// run_process runs a short command (stranglerctl) to completion with a deadline and returns its
// exit status, stdout and stderr.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace strangler::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;

  // The command line and all output, for failure messages.
  std::string describe() const;
  std::string command;
};

// Runs `binary args...` to completion; kills it and throws std::runtime_error after `timeout`.
ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

class ChildProcess {
 public:
  ChildProcess(std::string binary, std::vector<std::string> args, std::filesystem::path stderr_log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  const std::filesystem::path& stderr_log() const { return stderr_log_; }

  // Waits for a stdout line that starts with `prefix` and continues with "http://HOST:PORT";
  // returns PORT. Throws std::runtime_error (with the child's stderr) on timeout or early exit.
  std::uint16_t wait_for_listen(std::string_view prefix,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string stdout_text() const;
  std::string stderr_text() const;

  // Waits for the child to exit by itself; its exit status, or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // SIGTERM, up to `grace` to exit, then SIGKILL; reaps. Returns the exit status (128 + signal
  // when a signal ended it). Idempotent.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  bool exited() const { return exit_status_.has_value(); }

 private:
  void read_stdout(int fd);
  bool try_reap();

  std::string name_;
  std::filesystem::path stderr_log_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  mutable std::mutex mutex_;
  std::condition_variable stdout_changed_;
  std::string stdout_;
  bool stdout_eof_ = false;
  std::thread reader_;
};

}  // namespace strangler::test
