// Entry point of the `agentos` tool; see cli_dispatch.cc for the commands.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "bindings/cli/commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    return agentos::cli::RunMain(args, {std::cin, std::cout, std::cerr});
  } catch (const std::exception& e) {
    std::cerr << "agentos: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "agentos: internal error\n";
  }
  return agentos::cli::kExitUsage;
}
