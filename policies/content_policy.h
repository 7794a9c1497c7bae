// ContentPolicy: patterns an action's payload must not contain, matched with
// RE2 (linear time, so an agent cannot stall the kernel with a crafted input).
#ifndef AGENTOS_POLICIES_CONTENT_POLICY_H_
#define AGENTOS_POLICIES_CONTENT_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/action.h"
#include "kernel/policy.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct ContentPolicyConfig {
  std::vector<std::string> deny;  // RE2 patterns; at least one
  // Action kinds whose payload is scanned; empty = every kind.
  std::vector<ActionKind> kinds;
  Severity severity = Severity::kHigh;
};

// What compiling deny patterns may cost. Compiling is the expensive part of
// loading a policy (`\pL{200}`, a Unicode class repeated 200 times, is a
// quarter of a million RE2 instructions and takes a third of a second), so
// without a bound a small policy file could take hours and gigabytes to
// load. Each pattern may use at most kPatternMaxMem of RE2 program (RE2
// stops compiling when it is reached), and the patterns charged to one
// budget (one policy, or every content policy of one policy file, which
// makes one kernel) at most kMaxPatterns patterns and kMaxProgramSize RE2
// instructions together. Loading is then bounded by the budget, not by the
// file: about a second at worst on one core.
class PatternBudget {
 public:
  static constexpr std::int64_t kPatternMaxMem = 1 << 20;
  static constexpr std::size_t kMaxPatterns = 512;
  static constexpr std::int64_t kMaxProgramSize = 100000;

  // Counts one compiled pattern of `program_size` instructions; an error
  // naming the pattern if that exceeds the budget.
  Status Charge(const std::string& pattern, std::int64_t program_size);

 private:
  std::size_t patterns_ = 0;
  std::int64_t program_size_ = 0;
};

// A pattern RE2 cannot compile, one that is too large, or patterns beyond
// the budget (PatternBudget, for this policy alone) are an error naming the
// pattern.
Status MakeContentPolicy(std::string name, const ContentPolicyConfig& config,
                         std::unique_ptr<Policy>* out);

// Checks one deny pattern the way MakeContentPolicy does (non-empty, compiles
// under the policy's RE2 options), so a loader can point at the bad one, and
// charges it to `budget` (which a loader keeps for a whole policy file).
Status ValidateContentPattern(const std::string& pattern, PatternBudget* budget);

// The byte offset of the first byte that does not begin a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), or std::string_view::npos if `text` is valid. No allocation.
std::size_t FirstInvalidUtf8(std::string_view text);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_CONTENT_POLICY_H_
