// RewardConfig: how policy violations turn into reward. One sign convention,
// one severity -> penalty table, defined here and nowhere else.
//
// A governed step's reward is
//
//     clamp( task_reward + step_penalty + Σ penalty(violation)
//            + (clean_bonus if the clean-success rule below holds),
//            min_reward, max_reward )
//
//  * task_reward is what the task paid for the step (TaskOutcome::reward);
//    it is 0 for a blocked action, which never runs (shielding), so a blocked
//    action earns only its penalties and the step penalty.
//  * Penalties are numbers <= 0 that are ADDED, never subtracted, and
//    step_penalty (<= 0) is paid on every governed step.
//  * Every violation of the step costs its severity's penalty, whether it
//    blocked the action or not (audit mode reports without blocking; the
//    agent should still learn). The kernel keeps the first 8 violations of a
//    decision (Decision::kMaxViolations) but counts every violation by
//    severity, so violations beyond the kept 8 cost their own severity's
//    penalty too.
//  * The clean bonus is paid at most once per episode: on the first step at
//    which the task reports success, and only if the episode has had no
//    violation at all up to and including that step. Its default is 0.
//    WHY: in the agent-os-kernel Python package (PyPI, 2.0.1) a 5.0 bonus
//    was paid to every violation-free rollout, successful or not, against a
//    success reward of 1.0: a failed clean rollout scored 5.0, a successful
//    one 6.0, and a success with one low violation 0.0. An agent learned
//    that "do nothing, cleanly" is nearly as good as solving the task. Here
//    the bonus can only ever be earned together with task success, so it
//    can sharpen "succeed cleanly" over "succeed with violations" but can
//    never make a failure outrank a success. Under GRPO only
//    an episode's final reward reaches training and offsets shared by a
//    whole group cancel, which is another reason to pay it on the success
//    step rather than spread it over steps.
//  * The policy cost of a step is the same penalty as a positive number,
//    -Σ penalty(violation), reported beside the reward (Gymnasium's
//    info["cost"], as constrained-RL libraries read it). With
//    penalties_in_reward false the penalties leave the reward and live only
//    in the cost, so a constrained learner sees the task reward and the cost
//    as two signals; with true (the default) the reward keeps them as well.
//  * The sum is clamped to [min_reward, max_reward]; the defaults ±1000 are
//    ten times the critical penalty, so the clamp only bites on pathological
//    steps (many critical violations at once) and rewards stay finite.
//
// Reward ranges with the defaults and a task that pays 1.0 for success and
// 0.0 otherwise (the SQL task): correct and clean 1.0 (+clean_bonus once);
// wrong but clean 0.0; one low violation -1.0; medium -10; high -50;
// critical -100 (and the episode ends when terminate_on_critical).
#ifndef AGENTOS_ENV_REWARD_CONFIG_H_
#define AGENTOS_ENV_REWARD_CONFIG_H_

#include <algorithm>
#include <array>
#include <cstdint>

#include "kernel/decision.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct RewardConfig {
  double critical = -100.0;
  double high = -50.0;
  double medium = -10.0;
  double low = -1.0;
  double clean_bonus = 0.0;
  double step_penalty = 0.0;
  double min_reward = -1000.0;
  double max_reward = 1000.0;
  bool penalties_in_reward = true;

  // Every number finite; critical <= high <= medium <= low <= 0 (a more
  // severe violation never costs less); step_penalty <= 0; clean_bonus >= 0;
  // min_reward <= max_reward. The message names the offending field.
  Status Validate() const;

  double Penalty(Severity s) const {
    switch (s) {
      case Severity::kCritical: return critical;
      case Severity::kHigh: return high;
      case Severity::kMedium: return medium;
      case Severity::kLow: return low;
    }
    return critical;  // unreachable for a valid Severity; fail towards the harshest
  }

  // Σ penalty over `counts[severity]` violations of each severity.
  double PolicyPenalty(const std::array<std::uint32_t, kSeverityCount>& counts) const {
    double sum = 0.0;
    for (int s = 0; s < kSeverityCount; ++s) {
      if (const std::uint32_t n = counts[s]; n != 0) sum += Penalty(static_cast<Severity>(s)) * static_cast<double>(n);
    }
    return sum;
  }
  // Σ penalty over every violation of `d` (see the rule for unkept ones).
  double PolicyPenalty(const Decision& d) const {
    std::array<std::uint32_t, kSeverityCount> counts;
    for (int s = 0; s < kSeverityCount; ++s) counts[s] = d.count(static_cast<Severity>(s));
    return PolicyPenalty(counts);
  }

  // The part of a step's policy penalty that goes into its reward.
  double RewardPenalty(double penalty) const { return penalties_in_reward ? penalty : 0.0; }
  // A step's policy cost (>= 0) from its policy penalty (<= 0).
  static double Cost(double penalty) { return penalty == 0.0 ? 0.0 : -penalty; }

  double Clamp(double reward) const { return std::clamp(reward, min_reward, max_reward); }

  // A governed step's reward by the formula above. clean_success: this is
  // the episode's first successful step and the episode has had no
  // violation up to and including it. *penalty (may be null) receives
  // PolicyPenalty(d). The one place the formula is computed: environments
  // and the C API's agentos_reward (for Python's reward helpers) call it.
  double Reward(double task_reward, const Decision& d, bool clean_success, double* penalty) const {
    return Reward(task_reward, PolicyPenalty(d), clean_success, penalty);
  }
  // The same for a step whose policy penalty is already known.
  double Reward(double task_reward, double policy_penalty, bool clean_success, double* penalty) const {
    if (penalty != nullptr) *penalty = policy_penalty;
    double reward = task_reward + step_penalty + RewardPenalty(policy_penalty);
    if (clean_success) reward += clean_bonus;
    return Clamp(reward);
  }
};

}  // namespace agentos

#endif  // AGENTOS_ENV_REWARD_CONFIG_H_
