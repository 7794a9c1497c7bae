// PLACEHOLDER: the CLI helper replaces this with the real dispatcher.
#include <iostream>
#include "bindings/cli/commands.h"
int main() { std::cerr << "agentos: not built yet\n"; return agentos::cli::kExitUsage; }
