// PLACEHOLDER: the CLI helper deletes this file when it writes cli_check.cc / cli_policy.cc.
#include "bindings/cli/commands.h"
namespace agentos::cli {
int RunCheck(const std::vector<std::string>&, Io) { return kExitUsage; }
int RunPolicy(const std::vector<std::string>&, Io) { return kExitUsage; }
}  // namespace agentos::cli
