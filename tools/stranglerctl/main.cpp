// stranglerctl: changes a Strangler rule set (targets, routes, history, undo). Everything happens
// in cli.cpp and the command functions, where tests reach it.
#include <iostream>

#include "tools/stranglerctl/cli.h"

int main(int argc, char** argv) {
  return strangler::ctl::run_cli(argc, argv, strangler::ctl::CliEnvironment::from_process(),
                                 std::cout, std::cerr);
}
