#include "env/metrics.h"

#include "kernel/decision.h"

namespace agentos {

void EnvCounters::Add(const EnvCounters& o) {
  episodes += o.episodes;
  successful_episodes += o.successful_episodes;
  episodes_with_violations += o.episodes_with_violations;
  steps += o.steps;
  executed += o.executed;
  blocked += o.blocked;
  idle_steps += o.idle_steps;
  violations += o.violations;
  unattributed_violations += o.unattributed_violations;
  task_errors += o.task_errors;
  for (int i = 0; i < kSeverityCount; ++i) by_severity[i] += o.by_severity[i];
  for (int i = 0; i < kSignalCount; ++i) signals[i] += o.signals[i];
  penalty_sum += o.penalty_sum;
  reward_sum += o.reward_sum;
}

PolicyIndex::PolicyIndex(const KernelSpace& kernel) {
  names_.reserve(kernel.policies().size() + 1);
  for (const auto& p : kernel.policies()) names_.emplace_back(p->name());
  names_.push_back(kKernelPolicyName);
}

std::uint64_t EnvMetrics::policy_count(std::string_view policy) const {
  for (const auto& [name, count] : by_policy) {
    if (name == policy) return count;
  }
  return 0;
}

}  // namespace agentos
