// What every subcommand of the `agentos` tool shares: option parsing, the
// one-line usage error, policy loading with the exit code its failure earns,
// and opening an input file that can be read as a stream.
//
// Conventions (tests/cli/conventions_test.cc):
//   * `--help` / `-h` anywhere prints the command's usage on stdout, exit 0;
//   * a usage error prints one line and "try 'agentos CMD --help'", exit 2;
//   * a file that cannot be read exits 2 with one line naming it;
//   * an invalid policy file or input exits 1 with FILE:LINE[:COLUMN]: message.
#ifndef AGENTOS_BINDINGS_CLI_CLI_COMMON_H_
#define AGENTOS_BINDINGS_CLI_CLI_COMMON_H_

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bindings/cli/commands.h"
#include "kernel/kernel_space.h"
#include "kernel/status.h"

namespace agentos::cli {

struct OptionSpec {
  std::string_view name;  // "--policy"
  bool takes_value;       // "--policy FILE" or "--policy=FILE"; else a flag
};

struct ParsedArgs {
  bool help = false;                          // -h or --help was given
  std::vector<std::string> positional;        // everything not an option ("-" included)
  std::map<std::string, std::string> values;  // option -> value ("" for flags)

  bool has(const std::string& name) const { return values.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
};

// Parses `args`. Returns the usage error to report, or nullopt. An option
// given twice, a missing or empty value and an unknown option are errors.
std::optional<std::string> ParseArgs(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs,
                                     ParsedArgs* out);

// Prints "agentos COMMAND: message" and "try 'agentos COMMAND --help'" on
// stderr and returns kExitUsage.
int UsageError(Io io, std::string_view command, std::string_view message);

// Loads a policy file. On failure prints one line on stderr (the loader's
// bare FILE:LINE:COLUMN message for an invalid file; "agentos COMMAND: ..."
// for one that cannot be read) and returns the exit code:
// kExitInvalid for a file that was read and is wrong, kExitUsage for one that
// could not be read. Returns -1 on success.
int LoadPolicy(Io io, std::string_view command, const std::string& path, std::shared_ptr<const KernelSpace>* out);

// Opens `path` for reading as a stream of bytes. Refuses a directory (and
// anything else that cannot be read sequentially, a socket say); regular
// files, pipes and character devices (/dev/stdin) are fine.
Status OpenInputFile(const std::string& path, std::ifstream* file);

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_CLI_COMMON_H_
