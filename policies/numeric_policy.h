// NumericPolicy: bounds on numeric actions (ActionKind::kNumeric), each
// bound optionally applying only while the task's reported state is outside
// a zone. It governs the tasks of env/task_api.h the way the SQL policy
// governs SQL: the action is judged before the task runs it.
//
// A rule: "action value `action_index` must lie in [action_min, action_max]"
// -- always, or only while state[state_index] > above, or < below. E.g. a
// cart right of x = 1.5 may only push left (CartPole action 0):
//
//   - name: cart_zone
//     type: numeric
//     severity: medium
//     rules:
//       - {state_index: 0, above: 1.5, action_min: 0, action_max: 0}
//       - {state_index: 0, below: -1.5, action_min: 1, action_max: 1}
//
// Rule ids: numeric.out_of_range (an unconditional bound), numeric.zone (a
// bound that applies in the zone), numeric.missing_value (the action has no
// value `action_index`, or the state no finite value `state_index`: the rule
// cannot be decided, so it is broken). Non-numeric actions are not judged.
#ifndef AGENTOS_POLICIES_NUMERIC_POLICY_H_
#define AGENTOS_POLICIES_NUMERIC_POLICY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/policy.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct NumericRule {
  std::uint32_t action_index = 0;
  double action_min = 0.0;
  double action_max = 0.0;
  // The zone: the rule applies while state[state_index] > above or < below
  // (either may be absent); with neither, the rule always applies.
  std::uint32_t state_index = 0;
  std::optional<double> above;
  std::optional<double> below;
};

struct NumericPolicyConfig {
  std::vector<NumericRule> rules;  // at least one
  Severity severity = Severity::kMedium;
};

// Fails on no rules, a non-finite bound or action_min > action_max.
Status MakeNumericPolicy(std::string name, const NumericPolicyConfig& config, std::unique_ptr<Policy>* out);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_NUMERIC_POLICY_H_
