// The `agentos` tool: picks the subcommand; everything else lives in it.
#include <iostream>
#include <string>

#include "bindings/cli/commands.h"

#ifndef AGENTOS_VERSION_STRING
// The build passes the project version to the C API; this is what the tool
// says when it was built without it.
#define AGENTOS_VERSION_STRING "(version unknown)"
#endif

namespace agentos::cli {
namespace {

constexpr const char kUsage[] =
    "usage: agentos <command> [arguments]\n"
    "\n"
    "agentos checks every action an agent takes against policies, blocks the\n"
    "unsafe ones and explains why.\n"
    "\n"
    "Commands:\n"
    "  check --policy FILE.yaml [--input FILE.jsonl]\n"
    "                          decide JSON actions (one per line), print decisions\n"
    "  policy validate FILE.yaml\n"
    "                          load a policy file and report what it holds or its error\n"
    "  audit verify|export|stats|replay ...\n"
    "                          inspect a flight-recorder audit log, or re-decide\n"
    "                          its actions under another policy\n"
    "  env step --policy FILE.yaml --task SPEC [--input FILE.jsonl]\n"
    "                          run actions through a governed environment\n"
    "  help [COMMAND]          this text, or a command's\n"
    "  --version               print the version\n"
    "\n"
    "Run `agentos COMMAND --help` for a command's options.\n"
    "\n"
    "Exit status: 0 success; 1 a denied action or an invalid policy, input or\n"
    "log; 2 bad arguments or a file that cannot be read.\n";

// One line saying what is wrong and where to look, as jq and ripgrep do.
int MainUsageError(Io io, const std::string& message) {
  io.err << "agentos: " << message << "\n"
         << "try 'agentos --help'\n";
  return kExitUsage;
}

}  // namespace

int RunMain(const std::vector<std::string>& args, Io io) {
  if (args.empty()) {
    return MainUsageError(io, "missing command");
  }
  const std::string& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    if (cmd == "help" && !rest.empty()) {
      if (rest.size() == 1 && rest[0] != "help") return RunMain({rest[0], "--help"}, io);
      return MainUsageError(io, "help: expected one command name");
    }
    io.out << kUsage;
    return kExitOk;
  }
  if (cmd == "-V" || cmd == "--version" || cmd == "version") {
    if (!rest.empty()) return MainUsageError(io, cmd + " takes no arguments");
    io.out << "agentos " << AGENTOS_VERSION_STRING << "\n";
    return kExitOk;
  }
  if (cmd == "check") return RunCheck(rest, io);
  if (cmd == "policy") return RunPolicy(rest, io);
  if (cmd == "audit") return RunAudit(rest, io);
  if (cmd == "env") return RunEnv(rest, io);
  return MainUsageError(io, std::string("unknown ") + (cmd.rfind('-', 0) == 0 ? "option" : "command") + " '" +
                                cmd + "'");
}

}  // namespace agentos::cli
