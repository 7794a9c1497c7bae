// ContentPolicy: patterns an action's payload must not contain, matched with
// RE2 (linear time, so an agent cannot stall the kernel with a crafted input).
#ifndef AGENTOS_POLICIES_CONTENT_POLICY_H_
#define AGENTOS_POLICIES_CONTENT_POLICY_H_

#include <cstddef>
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

// A pattern RE2 cannot compile is an error naming the pattern.
Status MakeContentPolicy(std::string name, const ContentPolicyConfig& config,
                         std::unique_ptr<Policy>* out);

// Checks one deny pattern the way MakeContentPolicy does (non-empty, compiles
// under the policy's RE2 options), so a loader can point at the bad one.
Status ValidateContentPattern(const std::string& pattern);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_CONTENT_POLICY_H_
