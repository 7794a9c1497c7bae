// `agentos audit replay`: re-decides every action an audit log recorded
// under another policy and reports the decisions that would change. For
// people who tune a policy against what agents really did.
//
// Records are replayed in log order; the actions of one (env_id, episode)
// share one episode state, as they did when recorded, so budgets and tool
// call limits accumulate over the episode's actions the new policy allows.
// A log written at record level "violations" holds only some actions: the
// summary says so, since budgets then see less than was spent.
#ifndef AGENTOS_BINDINGS_CLI_AUDIT_REPLAY_H_
#define AGENTOS_BINDINGS_CLI_AUDIT_REPLAY_H_

#include <cstdint>
#include <iosfwd>
#include <string>

#include "kernel/kernel_space.h"
#include "kernel/status.h"

namespace agentos::cli {

struct ReplaySummary {
  std::uint64_t records = 0;         // records read
  std::uint64_t changed = 0;         // whose allowed/denied verdict changes
  std::uint64_t now_denied = 0;      // of those, allowed then and denied now
  std::uint64_t now_allowed = 0;     // denied then and allowed now
  std::uint64_t not_replayable = 0;  // payload truncated or redacted in the log
  bool partial_log = false;          // the log holds only violations and a sample
};

// Writes one JSON line per changed decision (every record when `all`) to
// `out`. A non-OK status: the file is not a readable log or a row is
// malformed (run `agentos audit verify`).
Status ReplayLog(const std::string& path, const KernelSpace& kernel, bool all, std::ostream& out,
                 ReplaySummary* summary);

// "replayed 120 records: 3 decisions change (2 now denied, 1 now allowed)".
std::string ReplaySummaryText(const ReplaySummary& summary);

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_AUDIT_REPLAY_H_
