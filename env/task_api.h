// The public task API: how to put your own environment under the kernel.
//
// A numeric task is a simulator with a fixed-size numeric observation
// (obs_dim values, float32 or float64) and a discrete or continuous action.
// You write two things:
//
//   1. a NumericTask: Reset(seed, obs) and Step(action, obs), writing the
//      observation straight into a buffer the engine owns (row i of the
//      VectorEnv's observation buffer: no copy between your task and a
//      trainer's numpy view);
//   2. a registration: RegisterTask("my_task", shape, maker), once, before
//      any spec names it.
//
// From then on {"type": "my_task", ...} is a task spec like "sql" or "noop"
// (env/task_registry.h): VectorEnv, the C API (agentos_venv_create), the CLI
// and Python (VectorEnv(kernel, n, task="my_task")) all make it, and every
// step of it is governed like any other task's:
//
//   * the action reaches the kernel as an Action of kind kNumeric whose
//     `values` are the action (a discrete action is one integral value) and
//     whose `state` is your NumericTask::State() -- so a numeric policy
//     (policies/numeric_policy.h) can bound actions, also only in a zone of
//     the state. A denied action never reaches Step: the observation stays,
//     the step earns only its penalties;
//   * the engine checks what the agent sent before the task sees it: a
//     discrete action outside 0..num_actions-1 or not an integer, or a
//     continuous one of the wrong length, is a task error for that step and
//     Step is not called;
//   * rewards, penalties, max_steps truncation, signals, autoreset, audit
//     and metrics are the environment's (env/governed_environment.h); your
//     task reports only the reward, `terminated` and an optional safety
//     cost of each step it ran.
//
// C and other languages register through agentos_task_register
// (bindings/c/agentos_env.h), the same registry with function pointers.
// examples/custom_task/ is a complete task written that way.
//
// Threads: a NumericTask is used by one thread at a time (different tasks
// of one VectorEnv run on different threads at once). A maker may be called
// from any thread. RegisterTask and the lookup behind a task spec are
// thread-safe.
#ifndef AGENTOS_ENV_TASK_API_H_
#define AGENTOS_ENV_TASK_API_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "kernel/status.h"

namespace agentos {

// The numeric values are part of the C API (AGENTOS_DTYPE_*).
enum class ObsDtype : std::uint8_t {
  kFloat32 = 0,
  kFloat64 = 1,
};
// The numeric values are part of the C API (AGENTOS_ACTION_SPACE_*).
enum class ActionSpaceType : std::uint8_t {
  kDiscrete = 0,    // one integer in [0, num_actions)
  kContinuous = 1,  // action_dim doubles
};

// What a task's observations and actions look like; fixed for every task
// registered under one name.
struct TaskShape {
  std::uint32_t obs_dim = 0;  // >= 1
  ObsDtype obs_dtype = ObsDtype::kFloat32;
  // Bounds of each observation value (obs_dim each; +-infinity allowed), or
  // both empty for unbounded. Only describe the space (Gymnasium's Box).
  std::vector<double> obs_low, obs_high;
  ActionSpaceType action_type = ActionSpaceType::kDiscrete;
  std::int64_t num_actions = 0;  // discrete: >= 1
  std::uint32_t action_dim = 1;  // continuous: >= 1; discrete: 1
  // Continuous: bounds of each action value (action_dim each, finite), or
  // both empty. Describe the space; bounding what runs is a policy's job.
  std::vector<double> action_low, action_high;

  Status Validate() const;
  std::size_t obs_value_bytes() const { return obs_dtype == ObsDtype::kFloat32 ? 4 : 8; }
  std::size_t obs_bytes() const { return obs_dim * obs_value_bytes(); }
  // Values per action in a batch: action_dim (1 for discrete).
  std::uint32_t values_per_action() const { return action_type == ActionSpaceType::kDiscrete ? 1 : action_dim; }
};

// What one executed step did.
struct NumericStep {
  double reward = 0.0;      // finite
  bool terminated = false;  // the task ended the episode (Gymnasium `terminated`)
  // A safety cost of this step (finite, >= 0; e.g. leaving a marked zone),
  // reported with the policy cost (StepResult::policy_cost, info["cost"]),
  // never in the reward.
  double cost = 0.0;
  bool error = false;        // the step failed; the env reports a task error
  std::string_view message;  // why, when error; valid until the next call
};

class NumericTask {
 public:
  virtual ~NumericTask() = default;
  // Starts an episode picked deterministically by `seed` and writes its
  // first observation to `obs` (obs_dim values of obs_dtype).
  virtual Status Reset(std::uint64_t seed, void* obs) = 0;
  // Runs one action the kernel allowed (values_per_action() values, already
  // checked against the shape) and writes the next observation to `obs`.
  // `obs` is the same buffer as at Reset for the task's life.
  virtual NumericStep Step(std::span<const double> action, void* obs) = 0;
  // The state the kernel judges the next action in (Action::state; numeric
  // policies' state_index). Default: none. Valid until the next call.
  virtual std::span<const double> State() const { return {}; }
};

// Makes one task per environment. `params` is the task spec without its
// "type" key, as a JSON object ("{}" when it has no other key); a maker
// refuses keys it does not know (Status::ParseError, naming the key).
using NumericTaskMaker = std::function<Status(std::string_view params, std::unique_ptr<NumericTask>* out)>;

// Registers a task type. Fails (InvalidArgument) on a bad shape, a name that
// is not 1-64 of [a-z0-9_.-], a built-in name (sql, external, noop) or a
// name already registered (tasks cannot be replaced while specs use them).
Status RegisterTask(std::string_view name, TaskShape shape, NumericTaskMaker make);

// The shape registered under `name`, or null. The pointer stays valid for
// the process's life.
const TaskShape* RegisteredTaskShape(std::string_view name);

}  // namespace agentos

#endif  // AGENTOS_ENV_TASK_API_H_
