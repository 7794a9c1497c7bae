// GovernedEnvironment: one Gymnasium-style environment whose every action
// passes the policy kernel before the task sees it. Also the building block
// of VectorEnv (which holds N of them in one array).
//
// Contract (tests/env/governed_environment_test.cc):
//  * Reset(seed) starts an episode. A seed re-seeds the env's EpisodeRng;
//    no seed continues it (Gymnasium). The task is reset with the next draw,
//    so the same seed always gives the same episode.
//  * Step(action) on a running episode:
//      0. if the audit sink cannot record (AuditSink::Ready, e.g. a closed
//         flight recorder), the step is refused before anything runs and
//         nothing changes;
//      1. the kernel decides the action (its bytes first, kernel/action_screen.h)
//         against this episode's EpisodeState, with config.max_action_bytes
//         as the kernel's action limit;
//      2. only an allowed action reaches Task::Execute (shielding); a blocked
//         one never runs and earns only its penalties (env/reward_config.h);
//         a task that wants feedback (Task::wants_feedback) is told why it
//         was blocked (Task::OnBlocked, text: env/blocked_feedback.h);
//      3. terminated = the task ended the episode (TaskOutcome::done, only for
//         an executed action) or a critical violation with
//         terminate_on_critical (SIGPOLICY); truncated = max_steps governed
//         steps were taken, or the cost budget is exhausted (SIGBUDGET), or
//         SIGTERM arrived. Both may be true at once (Gymnasium TimeLimit).
//  * Stepping an ended episode is a state error with autoreset disabled, a
//    reset step with NEXT_STEP; SAME_STEP never leaves an episode ended
//    (environment_config.h). Stepping before the first Reset is an error.
//  * Signals: env/signals.h. Metrics: env/metrics.h (counters of this env).
//  * Audit: every governed step goes to config.audit_sink (if any), after
//    the decision and its outcome are known. If the sink fails (throws),
//    that step returns the sink's error (AuditError's status, else an I/O
//    error) and the env refuses every later step (state error): once
//    auditing broke, nothing more runs. A sink that already knows it cannot
//    record (Ready() fails) stops the step before the action runs; one that
//    fails only while recording (a race with Close, a disk error) surfaces
//    after the action ran: that step's result is complete and the error says
//    it is unaudited.
//  * A task that throws from Execute is a task error for that step (the
//    env stays consistent); one that throws from Reset fails the reset.
//  * A failed call (Status not OK) changes nothing, with one exception: when
//    the task's reset inside a SAME_STEP ending step fails, the result
//    describes the ending transition, the error is returned and the env
//    stays ended (its next step retries the reset).
//
// Thread safety: one thread at a time per environment. Different
// environments may be stepped on different threads at once; they share only
// immutable state (the kernel, the config).
#ifndef AGENTOS_ENV_GOVERNED_ENVIRONMENT_H_
#define AGENTOS_ENV_GOVERNED_ENVIRONMENT_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "env/environment_config.h"
#include "env/episode_rng.h"
#include "env/metrics.h"
#include "env/signals.h"
#include "env/task.h"
#include "kernel/decision.h"
#include "kernel/episode_state.h"
#include "kernel/kernel_space.h"
#include "kernel/status.h"

namespace agentos {

// What every environment of one kernel and config shares, read-only.
// Always valid: only MakeEnvShared builds one, after validating.
struct EnvShared {
  std::shared_ptr<const KernelSpace> kernel;
  EnvironmentConfig config;
  PolicyIndex policies;
};
Status MakeEnvShared(std::shared_ptr<const KernelSpace> kernel, EnvironmentConfig config,
                     std::shared_ptr<const EnvShared>* out);

struct ResetInfo {
  std::int64_t observation = -1;  // Task::ObservationIndex() of the new episode
  std::uint64_t episode = 0;      // this env's episode number, from 0
  std::uint64_t task_seed = 0;    // the seed the task was reset with
};

// Everything one step returns. Reused across steps: Step overwrites all of
// it, so a caller allocates one and steps into it millions of times.
struct StepResult {
  // -- Gymnasium's (obs, reward, terminated, truncated) -------------------
  std::int64_t observation = -1;  // after the step; the new episode's after a reset
  double reward = 0.0;
  bool terminated = false;
  bool truncated = false;
  // -- info -------------------------------------------------------------------
  bool governed = false;   // the kernel decided this step's action
  bool executed = false;   // the task ran the action (governed and allowed)
  bool autoreset = false;  // this step reset the env (NEXT_STEP's reset step; SAME_STEP's ending step)
  bool success = false;    // the task reported success at this step
  bool task_error = false; // the executed action failed in the task
  std::int8_t max_severity = -1;  // of this step's violations; -1 for none
  std::uint32_t violations = 0;   // every violation of this step (kept or not)
  std::uint32_t signals = 0;      // Signal bits delivered since the last step or raised by this one
  std::uint32_t episode_step = 0; // governed steps taken in the episode (the ended one for SAME_STEP)
  double penalty = 0.0;           // the step's policy penalties (<= 0), in reward when penalties_in_reward
  double policy_cost = 0.0;       // the same as a cost, -penalty (>= 0), whatever penalties_in_reward says,
                                  // plus the task's own safety cost (TaskOutcome::cost)
  double cost_usd = 0.0;          // cost of the episode's executed actions so far
  double episode_return = 0.0;    // Σ rewards returned in the episode, this one included
  std::int64_t final_observation = -1;  // SAME_STEP ending step: the terminal observation
  Decision decision;              // this step's decision (empty when !governed)

  // The task's message when task_error (cut to kMaxTaskMessage bytes, like
  // violation reasons). Owned here, so it stays valid after the task moves
  // on (a SAME_STEP reset, the next step).
  static constexpr std::size_t kMaxTaskMessage = 191;
  std::string_view task_message() const { return {task_message_.data(), task_message_len_}; }
  void set_task_message(std::string_view text);
  // set_task_message({}), inline: every step starts with it.
  void clear_task_message() { task_message_len_ = 0; }

 private:
  std::uint8_t task_message_len_ = 0;
  std::array<char, kMaxTaskMessage> task_message_{};
};

class GovernedEnvironment {
 public:
  // Validates the config and makes the task; the env's id (in audit events
  // and error messages) is 0.
  static Status Create(std::shared_ptr<const KernelSpace> kernel, const EnvironmentConfig& config,
                       TaskFactory& factory, std::unique_ptr<GovernedEnvironment>* out);
  // For VectorEnv: an env over an already validated EnvShared and a task.
  GovernedEnvironment(std::shared_ptr<const EnvShared> shared, std::unique_ptr<Task> task, std::uint64_t env_id);

  GovernedEnvironment(GovernedEnvironment&&) noexcept = default;
  GovernedEnvironment& operator=(GovernedEnvironment&&) noexcept = default;

  Status Reset(std::optional<std::uint64_t> seed = std::nullopt, ResetInfo* info = nullptr);
  // Resets like Reset, playing task `task_index` of the task's own list
  // (Task::ResetTo); the seed still decides everything else. Only this
  // episode is pinned: a later reset (autoreset included) lets the seed
  // pick again. A task without tasks to pin, or an index out of its range,
  // is an InvalidArgument error that changes nothing.
  Status ResetTo(std::int64_t task_index, std::optional<std::uint64_t> seed = std::nullopt, ResetInfo* info = nullptr);
  Status Step(const StepInput& input, StepResult* out);
  // Sends a trainer signal (STOP, CONT, KILL, TERM); others are refused.
  Status Send(Signal signal);

  // True if Step would not be refused for the env's state (reset done; an
  // ended episode only with autoreset, or while paused). CheckSteppable
  // says why not. Neither changes anything.
  bool steppable() const {
    return started_ && !audit_failed_ &&
           !(ended_ && !paused_ && shared_->config.autoreset == AutoresetMode::kDisabled);
  }
  Status CheckSteppable() const;
  // True if Step(action) would execute `action` now: the env would take a
  // governed step (not paused, killed, ended, refused) and the kernel would
  // allow it against the episode's current state. The decision goes to
  // `out` (cleared when no governed step would happen). Changes nothing; so
  // a caller that runs the action's effects itself (an external task's
  // executor) asks the engine instead of predicting it.
  bool WouldExecute(const Action& action, Decision& out) const;

  std::int64_t ObservationIndex() const { return task_->ObservationIndex(); }
  std::string_view ObservationText() const { return task_->ObservationText(); }
  bool started() const { return started_; }
  bool episode_ended() const { return ended_; }
  bool paused() const { return paused_; }
  std::uint32_t episode_step() const { return step_; }
  std::uint64_t env_id() const { return env_id_; }
  const EpisodeState& episode_state() const { return state_; }
  const EnvironmentConfig& config() const { return shared_->config; }
  const Task& task() const { return *task_; }

  // This env's counters; violations per policy in shared PolicyIndex order.
  const EnvCounters& counters() const { return counters_; }
  const std::vector<std::uint64_t>& policy_violations() const { return by_policy_; }
  const PolicyIndex& policy_index() const { return shared_->policies; }
  // Its metrics alone (VectorEnv sums many).
  EnvMetrics Metrics() const;

 private:
  // task_index < 0: the task's seed picks (Task::Reset); else Task::ResetTo.
  Status ResetEpisode(std::optional<std::uint64_t> seed, ResetInfo* info, std::int64_t task_index = -1);
  // A blocked action's outcome (nothing ran); tells a task that wants
  // feedback why, out of line so the allowed path does not pay for it.
  TaskOutcome Blocked(const Decision& d) {
    if (task_feedback_) ReportBlocked(d);
    return TaskOutcome{};
  }
  [[gnu::noinline]] void ReportBlocked(const Decision& d);
  Status GovernedStep(const StepInput& input, StepResult& r);
  Status GovernedStepNamed(const StepInput& input, StepResult& r);  // action.agent_id is set
  Status KillStep(StepResult& r);
  // Resets a result's scalars for the steps that are not governed (a governed
  // step's FillResult sets every one).
  static void ClearResult(StepResult& r);
  void IdleStep(StepResult& r);
  // Books an ended episode; in SAME_STEP mode resets inside the step.
  Status EndEpisode(StepResult& r);
  // GovernedStepNamed's steps, in order. One function per step so each can
  // be read on its own; forced inline because together they are the env's
  // hot path, where a call per step costs ~5% of a governed step.
  struct StepReward {
    double reward = 0.0;
    double penalty = 0.0;  // the policy penalties in reward (<= 0)
  };
  struct StepEnd {
    std::uint32_t signals = 0;
    bool terminated = false;
    bool truncated = false;
  };
  // The audit sink's refusal (if any) before the action may run; needs a sink.
  Status CheckAuditSink() const;
  // Runs an allowed action; a throwing task or a non-finite reward is a task error.
  TaskOutcome Execute(const StepInput& input);
  // The step's reward (RewardConfig::Reward); books the episode's
  // violations, first success and return.
  [[gnu::always_inline]] inline StepReward Reward(const Decision& d, const TaskOutcome& outcome);
  // Signals raised by this step and whether it ends the episode.
  [[gnu::always_inline]] inline StepEnd EndOfStep(const Decision& d, const TaskOutcome& outcome);
  [[gnu::always_inline]] inline void CountStep(const Decision& d, const TaskOutcome& outcome,
                                               const StepReward& reward);
  [[gnu::always_inline]] inline void FillResult(const Decision& d, const TaskOutcome& outcome,
                                                const StepReward& reward, const StepEnd& end, StepResult& r) const;
  void Count(Signal s) { ++counters_.signals[SignalIndex(s)]; }
  // Records the step. If the sink fails, returns its error and the env
  // refuses every later step: no action runs unaudited once auditing broke.
  Status Audit(const Action& action, const StepResult& r);

  std::shared_ptr<const EnvShared> shared_;
  std::unique_ptr<Task> task_;
  std::uint64_t env_id_ = 0;
  EpisodeState state_;
  EpisodeRng rng_;
  std::uint64_t resets_ = 0;  // successful resets; the episode number is resets_ - 1
  std::uint64_t episode_violations_ = 0;
  double episode_return_ = 0.0;
  std::uint32_t step_ = 0;
  std::uint32_t pending_signals_ = 0;  // STOP/CONT delivered, reported by the next step
  bool started_ = false;        // a reset succeeded
  bool ended_ = false;          // the episode ended; awaiting reset
  bool paused_ = false;         // SIGSTOP
  bool kill_pending_ = false;   // SIGKILL, acted on by the next step
  bool term_pending_ = false;   // SIGTERM, acted on at the end of the next governed step
  bool episode_success_ = false;
  bool audit_failed_ = false;
  bool task_feedback_ = false;  // Task::wants_feedback(), asked once
  std::string blocked_text_;    // ReportBlocked's text, reused
  // With an audit sink: a copy of the state an allowed numeric action was
  // judged in, taken before the task runs it (reused, so no allocation once
  // it has its size).
  std::vector<double> judged_state_;
  [[gnu::noinline]] void KeepJudgedState(const Action& action);
  EnvCounters counters_;
  std::vector<std::uint64_t> by_policy_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_GOVERNED_ENVIRONMENT_H_
