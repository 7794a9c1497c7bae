// EnvironmentConfig: episode limits, termination, reward and audit for one
// governed environment (and, shared, for every env of a VectorEnv).
#ifndef AGENTOS_ENV_ENVIRONMENT_CONFIG_H_
#define AGENTOS_ENV_ENVIRONMENT_CONFIG_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "env/reward_config.h"
#include "kernel/action.h"
#include "kernel/audit_sink.h"
#include "kernel/kernel_space.h"
#include "kernel/status.h"

namespace agentos {

// What stepping an environment whose episode has ended does (Gymnasium 1.x
// vector autoreset modes). The numeric values are part of the
// C API (AGENTOS_AUTORESET_*).
enum class AutoresetMode : std::uint8_t {
  // The ending step returns the true terminal observation. The NEXT step
  // resets the env: its action is ignored (not checked, not executed, not
  // audited) and it returns the reset observation with reward 0 and
  // terminated = truncated = 0.
  kNextStep = 0,
  // The env resets inside the ending step: the step's reward, flags and info
  // describe the ending transition, its observation is the new episode's
  // first one, and the terminal observation is kept aside (final_obs).
  kSameStep = 1,
  // No autoreset: stepping an ended episode is a state error; reset it.
  kDisabled = 2,
};
std::string_view ToString(AutoresetMode mode);  // "next_step", "same_step", "disabled"
std::optional<AutoresetMode> ParseAutoresetMode(std::string_view text);

struct EnvironmentConfig {
  // An episode is truncated once this many governed steps were taken
  // (Gymnasium's TimeLimit: independent of terminated, so both can be true).
  std::uint32_t max_steps = 100;
  // A critical violation raises SIGPOLICY and, when true, ends the episode
  // (terminated). Block-and-continue is the default for every other
  // severity.
  bool terminate_on_critical = true;
  RewardConfig reward;
  AutoresetMode autoreset = AutoresetMode::kNextStep;
  // The episode's cost budget in USD, or none. Once the cost of the actions
  // the kernel let execute reaches it, SIGBUDGET is raised and the episode is
  // truncated. SIGBUDGET is also raised (and the episode truncated) when the
  // kernel blocks an action because a cost policy's episode budget would be
  // exceeded (rules cost.episode_budget, cost.token_budget): the agent can
  // no longer act within its budget, which is an outside limit, like time.
  std::optional<double> max_cost_usd;
  // The env's kernel's action limit (KernelSpace::WithMaxActionBytes):
  // payloads or tools longer than this are denied unread (rule
  // kernel.action_too_large). The default is the kernel's own, so an env's
  // decisions equal agentos_kernel_check's for the same action and state.
  std::uint32_t max_action_bytes = KernelSpace::kDefaultMaxActionBytes;
  // Recorder for every governed step (may be null). Called from the thread
  // that ran the step; see kernel/audit_sink.h.
  std::shared_ptr<AuditSink> audit_sink;
  // The agent id the kernel sees for actions that carry none.
  std::string agent_id = "agent";

  // max_steps >= 1, max_cost_usd finite and > 0 when set, max_action_bytes
  // >= 1, a known autoreset mode, and a valid reward config.
  Status Validate() const;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_ENVIRONMENT_CONFIG_H_
