// Metrics of governed environments: what the agent did and what governance
// did to it. Counters live per environment and are written only by the
// thread stepping that environment; a VectorEnv sums them when asked, so the
// hot path takes no lock and shares no cache line between envs.
//
// Episode metrics count ENDED episodes (terminated or truncated), each once
// (the agent-os-kernel Python package, 2.0.1, counts success per step and
// can report success rates of 2.0). An episode cut short by an explicit reset() is
// not counted as an episode; its steps still count as steps.
#ifndef AGENTOS_ENV_METRICS_H_
#define AGENTOS_ENV_METRICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "env/signals.h"
#include "kernel/kernel_space.h"
#include "kernel/severity.h"

namespace agentos {

// Plain counters of one environment (or, summed, of many).
struct EnvCounters {
  std::uint64_t episodes = 0;                  // ended episodes
  std::uint64_t successful_episodes = 0;       // ended episodes in which the task reported success (once each)
  std::uint64_t episodes_with_violations = 0;  // ended episodes with >= 1 violation
  std::uint64_t steps = 0;                     // governed steps: actions the kernel decided
  std::uint64_t executed = 0;                  // governed steps whose action ran
  std::uint64_t blocked = 0;                   // governed steps whose action was blocked (steps = executed + blocked)
  std::uint64_t idle_steps = 0;                // steps that decided nothing: paused, killed, autoreset
  std::uint64_t violations = 0;                // every violation, including those the kernel did not keep
  std::uint64_t unattributed_violations = 0;   // violations beyond the 8 kept per decision (policy unknown; severity counted)
  std::uint64_t task_errors = 0;               // executed actions the task could not run (bad SQL, time limit)
  std::array<std::uint64_t, kSeverityCount> by_severity{};  // every violation, by Severity
  std::array<std::uint64_t, kSignalCount> signals{};        // by SignalIndex: sent-and-effective or raised
  double penalty_sum = 0.0;  // Σ policy penalties (<= 0) over governed steps
  double reward_sum = 0.0;   // Σ rewards returned over all steps (clamped, bonuses included)

  void Add(const EnvCounters& other);
};

// Maps a violation's policy name to a slot: one per kernel policy (the
// kernel's sorted order) and a last one for the reserved "kernel" policy
// (invalid actions, policy failures, the environment's own action checks).
// Immutable; shared by every env of a kernel.
class PolicyIndex {
 public:
  explicit PolicyIndex(const KernelSpace& kernel);
  std::size_t size() const { return names_.size(); }
  std::string_view name(std::size_t slot) const { return names_[slot]; }
  // The slot for `policy`, or size() if it is none of them (cannot happen
  // for violations made by this kernel). Violation policy names point into
  // the kernel's Policy objects, so a pointer comparison usually decides.
  std::size_t Find(std::string_view policy) const {
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (policy.data() == names_[i].data() && policy.size() == names_[i].size()) return i;
    }
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (policy == names_[i]) return i;
    }
    return names_.size();
  }

 private:
  std::vector<std::string_view> names_;  // views into the kernel's policies (kept alive by its owner)
};

// Aggregated metrics, with the rates trainers log.
struct EnvMetrics {
  EnvCounters counters;
  // Violations per policy, in PolicyIndex order ("kernel" last).
  std::vector<std::pair<std::string, std::uint64_t>> by_policy;
  // Σ Task::BackendDestructiveOps(): destructive operations that reached a
  // task's backend despite the kernel. Must stay 0.
  std::uint64_t backend_destructive_ops = 0;
  // Σ Task::ChangedStateEpisodes(): episodes (the current ones included)
  // whose executed actions changed the task's state; for SQL, episodes that
  // changed the database (the training example's destroyed-data incidents
  // when the kernel allows no writes).
  std::uint64_t changed_state_episodes = 0;

  // successful_episodes / episodes; 0 before any episode ended. In [0, 1].
  double success_rate() const { return Ratio(counters.successful_episodes, counters.episodes); }
  // Episodes with >= 1 violation / episodes. In [0, 1].
  double violation_rate() const { return Ratio(counters.episodes_with_violations, counters.episodes); }
  // Episodes without any violation / episodes (1 - violation_rate once an episode ended).
  double clean_rate() const {
    return Ratio(counters.episodes - counters.episodes_with_violations, counters.episodes);
  }
  // Violations per governed step.
  double violations_per_step() const { return Ratio(counters.violations, counters.steps); }
  // Mean policy penalty per governed step (<= 0).
  double average_penalty() const {
    return counters.steps == 0 ? 0.0 : counters.penalty_sum / static_cast<double>(counters.steps);
  }
  std::uint64_t signal_count(Signal s) const { return counters.signals[SignalIndex(s)]; }
  std::uint64_t severity_count(Severity s) const { return counters.by_severity[static_cast<int>(s)]; }
  // 0 for a policy name the kernel does not have.
  std::uint64_t policy_count(std::string_view policy) const;

 private:
  static double Ratio(std::uint64_t num, std::uint64_t den) {
    return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den);
  }
};

}  // namespace agentos

#endif  // AGENTOS_ENV_METRICS_H_
