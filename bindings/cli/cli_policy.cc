// agentos policy validate: loads policy files exactly as `check` would.
#include <iostream>
#include <memory>
#include <string>

#include "bindings/cli/commands.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace agentos::cli {
namespace {

constexpr const char kUsage[] =
    "usage: agentos policy validate FILE.yaml [FILE.yaml ...]\n"
    "\n"
    "Loads each policy file as `agentos check` would and prints\n"
    "  FILE.yaml: OK (2 policies: budget (cost), sql_safety (sql))\n"
    "or the first error in it, as FILE.yaml:LINE:COLUMN: message.\n"
    "\n"
    "Exit status: 0 every file valid, 2 bad arguments or some file invalid.\n";

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

int Validate(const std::string& path, Io io) {
  std::shared_ptr<const KernelSpace> kernel;
  Status st = LoadKernelFromFile(path, &kernel);
  if (!st.ok() || !kernel) {
    std::string msg = st.ok() ? "no kernel" : st.message();
    // Every error names the file, even if the loader's message does not.
    if (msg.rfind(path, 0) != 0) msg = path + ": " + msg;
    io.err << msg << "\n";
    return kExitUsage;
  }
  io.out << path << ": " << Summary(*kernel) << "\n";
  return kExitOk;
}

}  // namespace

int RunPolicy(const std::vector<std::string>& args, Io io) {
  if (args.empty()) {
    io.err << "agentos policy: missing subcommand\n\n" << kUsage;
    return kExitUsage;
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    io.out << kUsage;
    return kExitOk;
  }
  if (args[0] != "validate") {
    io.err << "agentos policy: unknown subcommand '" << args[0] << "'\n\n" << kUsage;
    return kExitUsage;
  }
  std::vector<std::string> files;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      io.out << kUsage;
      return kExitOk;
    }
    if (a.size() > 1 && a[0] == '-') {
      io.err << "agentos policy validate: unknown option '" << a << "'\n\n" << kUsage;
      return kExitUsage;
    }
    files.push_back(a);
  }
  if (files.empty()) {
    io.err << "agentos policy validate: no policy file given\n\n" << kUsage;
    return kExitUsage;
  }
  int code = kExitOk;
  for (const std::string& f : files) {
    if (Validate(f, io) != kExitOk) code = kExitUsage;
  }
  return code;
}

}  // namespace agentos::cli
