// stranglerctl's command line: CLI11 wiring from argv to the command functions in commands.h.
//
// main() only calls run_cli(); tests call it too, with their own environment and streams, to
// check parsing and exit statuses: 0 success, 1 a refused change or a database failure (one line
// "stranglerctl: <message>" on err), 2 a usage error.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace strangler::ctl {

struct CliEnvironment {
  std::optional<std::string> strangler_db;  // $STRANGLER_DB: the database when --db is absent
  std::string user;                         // who changes are recorded as

  // From this process: $STRANGLER_DB, and the effective user's name (getpwuid, else $USER).
  static CliEnvironment from_process();
};

int run_cli(int argc, const char* const* argv, const CliEnvironment& env, std::ostream& out,
            std::ostream& err);

// The command line as the history records it: "stranglerctl" and the arguments, each quoted
// for a POSIX shell where needed.
std::string command_line(int argc, const char* const* argv);
std::string shell_quote(std::string_view argument);

}  // namespace strangler::ctl
