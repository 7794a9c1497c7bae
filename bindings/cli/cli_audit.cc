// PLACEHOLDER until the FlightRecorder lands (issue 4): refuses clearly.
#include <ostream>

#include "bindings/cli/commands.h"

namespace agentos::cli {

int RunAudit(const std::vector<std::string>&, Io io) {
  io.err << "agentos audit: not available in this build\n";
  return kExitUsage;
}

}  // namespace agentos::cli
