// ToolPolicy: which tools an agent may call, and how often per episode.
#ifndef AGENTOS_POLICIES_TOOL_POLICY_H_
#define AGENTOS_POLICIES_TOOL_POLICY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/policy.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct ToolPolicyConfig {
  std::vector<std::string> allow;  // globs; empty = any tool not denied
  std::vector<std::string> deny;   // globs; deny overrides allow
  std::optional<std::uint32_t> max_calls;  // per episode, including this call
  Severity severity = Severity::kHigh;
};

// Applies to tool_call actions only. An empty tool name is always a violation.
Status MakeToolPolicy(std::string name, const ToolPolicyConfig& config, std::unique_ptr<Policy>* out);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_TOOL_POLICY_H_
