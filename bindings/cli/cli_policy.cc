// agentos policy validate: loads policy files exactly as `check` would.
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "bindings/cli/cli_common.h"
#include "bindings/cli/commands.h"
#include "kernel/kernel_space.h"

namespace agentos::cli {
namespace {

constexpr const char kUsage[] =
    "usage: agentos policy validate FILE.yaml [FILE.yaml ...]\n"
    "\n"
    "Loads each policy file as `agentos check` would and prints\n"
    "  FILE.yaml: OK (2 policies: budget (cost), sql_safety (sql))\n"
    "or the first error in it on stderr, as FILE.yaml:LINE:COLUMN: message.\n"
    "\n"
    "Exit status: 0 every file valid, 1 some file invalid, 2 bad arguments or a\n"
    "file that cannot be read (when both, 2).\n";

constexpr const char kCommand[] = "policy validate";

std::string Summary(const KernelSpace& k) {
  if (k.allow_all()) return "OK (no policies: allows everything)";
  auto policies = k.policies();
  std::string s = "OK (" + std::to_string(policies.size()) + (policies.size() == 1 ? " policy: " : " policies: ");
  for (std::size_t i = 0; i < policies.size(); ++i) {
    if (i > 0) s += ", ";
    s += policies[i]->name();
    s += " (";
    s += policies[i]->type();
    s += ")";
  }
  if (k.mode() == EnforcementMode::kAudit) s += "; audit mode: violations are reported, not blocked";
  return s + ")";
}

}  // namespace

int RunPolicy(const std::vector<std::string>& args, Io io) {
  if (args.empty()) return UsageError(io, "policy", "missing subcommand (expected 'validate')");
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    io.out << kUsage;
    return kExitOk;
  }
  if (args[0] != "validate") return UsageError(io, "policy", "unknown subcommand '" + args[0] + "'");
  ParsedArgs parsed;
  if (auto why = ParseArgs({args.begin() + 1, args.end()}, {}, &parsed)) return UsageError(io, kCommand, *why);
  if (parsed.help) {
    io.out << kUsage;
    return kExitOk;
  }
  if (parsed.positional.empty()) return UsageError(io, kCommand, "no policy file given");
  int code = kExitOk;
  for (const std::string& path : parsed.positional) {
    std::shared_ptr<const KernelSpace> kernel;
    int failed = LoadPolicy(io, kCommand, path, &kernel);
    if (failed < 0) {
      io.out << path << ": " << Summary(*kernel) << "\n";
    } else {
      code = std::max(code, failed);
    }
  }
  return code;
}

}  // namespace agentos::cli
