// Task: the world one governed environment acts on (a SQL database, the
// caller's own simulator, nothing at all). The environment owns governance,
// rewards for violations, termination and bookkeeping; the task only says
// what an *allowed* action did. A Task is used by one thread at a time.
#ifndef AGENTOS_ENV_TASK_H_
#define AGENTOS_ENV_TASK_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "kernel/action.h"
#include "kernel/status.h"

namespace agentos {

struct TaskShape;  // env/task_api.h

// What the caller hands in with each action besides the action itself. Only
// the external task reads these; other tasks ignore them.
struct StepInput {
  const Action* action = nullptr;
  double external_reward = 0.0;
  bool external_success = false;
  bool external_done = false;
};

// What executing an allowed action did to the task.
struct TaskOutcome {
  double reward = 0.0;    // task reward for this step, before policy penalties
  bool success = false;   // the task was accomplished by this step
  bool done = false;      // the task ended the episode (Gymnasium `terminated`)
  bool error = false;     // the action failed to run (bad SQL, time limit, ...)
  std::string_view message;  // why, when error; valid until the next call
  double cost = 0.0;      // a safety cost (finite, >= 0), added to the step's policy cost
};

class Task {
 public:
  virtual ~Task() = default;

  // Starts a new episode. `seed` picks the episode deterministically (which
  // question, which initial state); the same seed gives the same episode.
  virtual Status Reset(std::uint64_t seed) = 0;
  // Runs an action the kernel allowed. Never called for a blocked action.
  virtual TaskOutcome Execute(const StepInput& input) = 0;

  // Task pinning, for trainers that choose the task of each episode. Tasks
  // with a notion of tasks (the SQL task's dataset) override all three:
  // num_tasks() > 0 indices are valid for ResetTo, which starts an episode
  // of task `task_index` (seed as in Reset picks everything else); FindTask
  // maps a task id ("shop-042") to its index, -1 when unknown. The defaults
  // say there is nothing to pin, and ResetTo refuses, changing nothing.
  virtual std::int64_t num_tasks() const { return 0; }
  virtual std::int64_t FindTask(std::string_view id) const {
    (void)id;
    return -1;
  }
  virtual Status ResetTo(std::uint64_t seed, std::int64_t task_index) {
    (void)seed;
    (void)task_index;
    return Status::InvalidArgument("this task has no tasks to choose from; it cannot be pinned to a task index");
  }

  // Feedback on blocked actions. A task that shows the agent why its action
  // was blocked returns true from wants_feedback() (asked once, when the
  // environment is made) and gets OnBlocked(reason) after every step whose
  // action the kernel denied, with the kernel's reason as text (which
  // policy, which rule, why; env/blocked_feedback.h). `reason` is valid
  // during the call only. Tasks that ignore it cost nothing: the text is
  // built only for tasks that want it.
  virtual bool wants_feedback() const { return false; }
  virtual void OnBlocked(std::string_view reason) { (void)reason; }

  // The observation: an index identifying the episode's task (e.g. question
  // id; -1 when meaningless) and a short text (question and schema for SQL).
  virtual std::int64_t ObservationIndex() const = 0;
  virtual std::string_view ObservationText() const = 0;
  // What an agent is asked to do in every episode of this task, for the
  // chat form of the observation (env/observation_chat.h: its "system"
  // message). Empty (the default): no standing instructions.
  virtual std::string_view Instructions() const { return {}; }

  // Count of destructive operations that reached the task's backend despite
  // the kernel (defence in depth; must stay 0). Tasks without one return 0.
  virtual std::uint64_t BackendDestructiveOps() const { return 0; }
  // Count of episodes (since the task was made, the current one included
  // once its actions changed anything) in which executed actions changed
  // the task's state: for SQL, the database (rows, schema or destructive
  // statements; SqlBackendStats::changed_database). Tasks without state
  // return 0.
  virtual std::uint64_t ChangedStateEpisodes() const { return 0; }

  // -- numeric tasks (env/task_api.h); text tasks keep the defaults --------
  // The shape of its observations and actions; null for a text task.
  virtual const TaskShape* numeric_shape() const { return nullptr; }
  // Where it writes its observation (shape->obs_bytes() bytes) and, when an
  // episode ends inside a SAME_STEP step, the terminal one: rows of the
  // VectorEnv's buffers. Called once, before the first Reset; unbound, a
  // numeric task keeps its observation to itself.
  virtual void BindObservation(void* /*obs*/, void* /*final_obs*/) {}
  // Copies the observation to the final row (the episode just ended).
  virtual void KeepFinalObservation() {}
  // The state the kernel judges the next numeric action in (Action::state).
  virtual std::span<const double> NumericState() const { return {}; }
};

// Makes one Task per environment. Called once per env at construction, from
// one thread; the Tasks it returns may then run on different threads.
class TaskFactory {
 public:
  virtual ~TaskFactory() = default;
  virtual std::string_view name() const = 0;  // "sql", "external", "noop"
  virtual Status Make(std::unique_ptr<Task>* out) = 0;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_TASK_H_
