// The `agentos` tool: picks the subcommand; everything else lives in it.
#include <iostream>

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
    "  audit verify|export|stats ...\n"
    "                          inspect a flight-recorder audit log\n"
    "  help [COMMAND]          this text, or a command's\n"
    "  --version               print the version\n"
    "\n"
    "Run `agentos COMMAND --help` for a command's options.\n";

}  // namespace

int RunMain(const std::vector<std::string>& args, Io io) {
  if (args.empty()) {
    io.err << "agentos: missing command\n\n" << kUsage;
    return kExitUsage;
  }
  const std::string& cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    if (cmd == "help" && !rest.empty()) {
      if (rest.size() == 1 && rest[0] != "help") return RunMain({rest[0], "--help"}, io);
      io.err << "agentos help: expected one command name\n\n" << kUsage;
      return kExitUsage;
    }
    io.out << kUsage;
    return kExitOk;
  }
  if (cmd == "-V" || cmd == "--version" || cmd == "version") {
    if (!rest.empty()) {
      io.err << "agentos " << cmd << ": takes no arguments\n";
      return kExitUsage;
    }
    io.out << "agentos " << AGENTOS_VERSION_STRING << "\n";
    return kExitOk;
  }
  if (cmd == "check") return RunCheck(rest, io);
  if (cmd == "policy") return RunPolicy(rest, io);
  if (cmd == "audit") return RunAudit(rest, io);
  io.err << "agentos: unknown " << (cmd.rfind('-', 0) == 0 ? "option" : "command") << " '" << cmd << "'\n\n"
         << kUsage;
  return kExitUsage;
}

}  // namespace agentos::cli
