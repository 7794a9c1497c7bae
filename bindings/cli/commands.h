// The `agentos` tool's subcommands. Each takes the arguments after its own
// name and returns the process exit code; all output goes through the given
// streams so tests can drive them in-process.
#ifndef AGENTOS_BINDINGS_CLI_COMMANDS_H_
#define AGENTOS_BINDINGS_CLI_COMMANDS_H_

#include <iosfwd>
#include <string>
#include <vector>

namespace agentos::cli {

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;        // success; for `check`, everything allowed
inline constexpr int kExitDenied = 1;    // `check`: something denied; `audit verify`: invalid; `audit replay`: a change
inline constexpr int kExitInvalid = 1;   // an invalid policy file or input (FILE:LINE[:COLUMN]: why)
inline constexpr int kExitUsage = 2;     // bad arguments; a file that cannot be read

// The whole tool: `args` are the words after the program name.
int RunMain(const std::vector<std::string>& args, Io io);

int RunCheck(const std::vector<std::string>& args, Io io);   // agentos check ...
int RunPolicy(const std::vector<std::string>& args, Io io);  // agentos policy validate ...
int RunAudit(const std::vector<std::string>& args, Io io);   // agentos audit verify|export|stats|replay ...
int RunEnv(const std::vector<std::string>& args, Io io);     // agentos env step ...

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_COMMANDS_H_
