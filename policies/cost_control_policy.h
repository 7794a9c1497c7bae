// CostControlPolicy: money and tokens per episode and per action.
#ifndef AGENTOS_POLICIES_COST_CONTROL_POLICY_H_
#define AGENTOS_POLICIES_COST_CONTROL_POLICY_H_

#include <memory>
#include <optional>
#include <string>

#include "kernel/policy.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct CostControlPolicyConfig {
  std::optional<double> max_cost_usd;             // per episode, including this action
  std::optional<double> max_cost_per_action_usd;  // one action
  std::optional<std::int64_t> max_tokens;         // per episode, including this action
  Severity severity = Severity::kHigh;
};

// At least one limit must be set; limits must be finite and >= 0.
Status MakeCostControlPolicy(std::string name, const CostControlPolicyConfig& config,
                             std::unique_ptr<Policy>* out);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_COST_CONTROL_POLICY_H_
