#include "env/governed_environment.h"

#include <cmath>
#include <cstring>
#include <string>

#include "env/blocked_feedback.h"
#include "kernel/audit_sink.h"

namespace agentos {
namespace {

// Episode costs are sums of doubles; a budget reached up to rounding noise
// counts as reached (the cost policy uses the same tolerance).
constexpr double kBudgetTolerance = 1e-9;

std::string EnvName(std::uint64_t env_id) { return "env " + std::to_string(env_id); }

// The same error with `prefix` before its message.
Status WithContext(const Status& s, const std::string& prefix) {
  std::string msg = prefix + s.message();
  switch (s.code()) {
    case Status::Code::kOk: return s;
    case Status::Code::kInvalidArgument: return Status::InvalidArgument(std::move(msg));
    case Status::Code::kParseError: return Status::ParseError(std::move(msg));
    case Status::Code::kIoError: return Status::IoError(std::move(msg));
    case Status::Code::kState: return Status::StateError(std::move(msg));
    case Status::Code::kNotFound: return Status::NotFound(std::move(msg));
    case Status::Code::kInternal: return Status::Internal(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

}  // namespace

void StepResult::set_task_message(std::string_view text) {
  constexpr std::string_view kCut = "...";
  if (text.size() > kMaxTaskMessage) {
    std::memcpy(task_message_.data(), text.data(), kMaxTaskMessage - kCut.size());
    std::memcpy(task_message_.data() + kMaxTaskMessage - kCut.size(), kCut.data(), kCut.size());
    task_message_len_ = static_cast<std::uint8_t>(kMaxTaskMessage);
    return;
  }
  if (!text.empty()) std::memcpy(task_message_.data(), text.data(), text.size());
  task_message_len_ = static_cast<std::uint8_t>(text.size());
}

Status MakeEnvShared(std::shared_ptr<const KernelSpace> kernel, EnvironmentConfig config,
                     std::shared_ptr<const EnvShared>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeEnvShared: out is null");
  if (!kernel) {
    return Status::InvalidArgument(
        "an environment needs a kernel; use KernelSpace::AllowAll() to run ungoverned on purpose");
  }
  Status s = config.Validate();
  if (!s.ok()) return s;
  // The environment's action limit is its kernel's: every decision of the
  // env is one the kernel makes.
  if (kernel->max_action_bytes() != config.max_action_bytes) {
    kernel = kernel->WithMaxActionBytes(config.max_action_bytes);
  }
  PolicyIndex index(*kernel);
  *out = std::make_shared<const EnvShared>(EnvShared{std::move(kernel), std::move(config), std::move(index)});
  return Status::Ok();
}

Status GovernedEnvironment::Create(std::shared_ptr<const KernelSpace> kernel, const EnvironmentConfig& config,
                                   TaskFactory& factory, std::unique_ptr<GovernedEnvironment>* out) {
  if (out == nullptr) return Status::InvalidArgument("GovernedEnvironment::Create: out is null");
  std::shared_ptr<const EnvShared> shared;
  Status s = MakeEnvShared(std::move(kernel), config, &shared);
  if (!s.ok()) return s;
  std::unique_ptr<Task> task;
  s = factory.Make(&task);
  if (!s.ok()) return s;
  if (!task) return Status::Internal("task factory '" + std::string(factory.name()) + "' made a null task");
  *out = std::make_unique<GovernedEnvironment>(std::move(shared), std::move(task), 0);
  return Status::Ok();
}

GovernedEnvironment::GovernedEnvironment(std::shared_ptr<const EnvShared> shared, std::unique_ptr<Task> task,
                                         std::uint64_t env_id)
    : shared_(std::move(shared)), task_(std::move(task)), env_id_(env_id), by_policy_(shared_->policies.size(), 0) {
  task_feedback_ = task_->wants_feedback();
}

Status GovernedEnvironment::Reset(std::optional<std::uint64_t> seed, ResetInfo* info) {
  return ResetEpisode(seed, info);
}

Status GovernedEnvironment::ResetTo(std::int64_t task_index, std::optional<std::uint64_t> seed, ResetInfo* info) {
  // Checked here so a bad index changes nothing, not even a half-done reset.
  const std::int64_t n = task_->num_tasks();
  if (n <= 0) {
    return Status::InvalidArgument(EnvName(env_id_) + ": its task has no tasks to choose from; it cannot be pinned");
  }
  if (task_index < 0 || task_index >= n) {
    return Status::InvalidArgument(EnvName(env_id_) + ": task index " + std::to_string(task_index) +
                                   " is out of range [0, " + std::to_string(n) + ")");
  }
  return ResetEpisode(seed, info, task_index);
}

Status GovernedEnvironment::ResetEpisode(std::optional<std::uint64_t> seed, ResetInfo* info, std::int64_t task_index) {
  // Draw from a copy so a failed task reset leaves the RNG where it was.
  EpisodeRng rng = rng_;
  if (seed) rng.seed(*seed);
  const std::uint64_t task_seed = rng();
  Status s;
  try {
    s = task_index < 0 ? task_->Reset(task_seed) : task_->ResetTo(task_seed, task_index);
  } catch (const std::exception& e) {
    s = Status::Internal(std::string("the task threw: ") + e.what());
  } catch (...) {
    s = Status::Internal("the task threw an unknown exception");
  }
  if (!s.ok()) {
    // The old episode may be half torn down by the task: it cannot go on.
    if (started_) ended_ = true;
    return WithContext(s, EnvName(env_id_) + ": task reset failed: ");
  }
  rng_ = rng;
  state_.Reset();
  step_ = 0;
  episode_violations_ = 0;
  episode_return_ = 0.0;
  episode_success_ = false;
  kill_pending_ = false;
  term_pending_ = false;
  started_ = true;
  ended_ = false;
  ++resets_;
  if (info != nullptr) {
    info->observation = task_->ObservationIndex();
    info->episode = resets_ - 1;
    info->task_seed = task_seed;
  }
  return Status::Ok();
}

Status GovernedEnvironment::CheckSteppable() const {
  if (audit_failed_) {
    return Status::StateError(EnvName(env_id_) + ": its audit sink failed; no further action is taken unaudited");
  }
  if (!started_) return Status::StateError(EnvName(env_id_) + ": step before reset; call Reset first");
  if (ended_ && !paused_ && shared_->config.autoreset == AutoresetMode::kDisabled) {
    return Status::StateError(EnvName(env_id_) +
                              ": the episode ended (terminated or truncated) and autoreset is disabled; "
                              "reset it before stepping");
  }
  return Status::Ok();
}

bool GovernedEnvironment::WouldExecute(const Action& action, Decision& out) const {
  out.Clear();
  if (!steppable() || kill_pending_ || paused_ || ended_) return false;
  if (shared_->config.audit_sink && !CheckAuditSink().ok()) return false;
  Action named = action;
  if (named.agent_id.empty()) named.agent_id = shared_->config.agent_id;
  EpisodeState state = state_;
  shared_->kernel->Check(named, state, out);
  return out.allowed();
}

Status GovernedEnvironment::Step(const StepInput& input, StepResult* out) {
  if (out == nullptr) return Status::InvalidArgument("Step: out is null");
  if (!steppable()) return CheckSteppable();
  if (input.action == nullptr) return Status::InvalidArgument("StepInput.action is null");
  if (!std::isfinite(input.external_reward)) {
    return Status::InvalidArgument("StepInput.external_reward must be finite");
  }
  StepResult& r = *out;
  if (!kill_pending_ && !paused_ && !ended_) {
    // The governed step (nearly every step) fills every field itself.
    return GovernedStep(input, r);
  }
  ClearResult(r);
  if (kill_pending_) return KillStep(r);
  if (paused_) {
    r.decision.Clear();
    IdleStep(r);
    r.signals |= Bit(Signal::kStop);
    return Status::Ok();
  }
  if (ended_) {
    // NEXT_STEP's reset step (or a retry after a failed SAME_STEP reset).
    r.decision.Clear();
    Status rs = ResetEpisode(std::nullopt, nullptr);
    if (!rs.ok()) return rs;
    IdleStep(r);
    r.autoreset = true;
    r.observation = task_->ObservationIndex();
    return Status::Ok();
  }
  return GovernedStep(input, r);
}

void GovernedEnvironment::ClearResult(StepResult& r) {
  // The scalar part; the decision is cleared by whoever fills it.
  r.observation = -1;
  r.reward = 0.0;
  r.terminated = r.truncated = false;
  r.governed = r.executed = r.autoreset = r.success = r.task_error = false;
  r.max_severity = -1;
  r.violations = 0;
  r.signals = 0;
  r.penalty = 0.0;
  r.policy_cost = 0.0;
  r.final_observation = -1;
  r.clear_task_message();
}

void GovernedEnvironment::IdleStep(StepResult& r) {
  ++counters_.idle_steps;
  r.signals |= pending_signals_;
  pending_signals_ = 0;
  r.observation = task_->ObservationIndex();
  r.episode_step = step_;
  r.cost_usd = state_.cost_usd;
  r.episode_return = episode_return_;
}

Status GovernedEnvironment::KillStep(StepResult& r) {
  kill_pending_ = false;
  r.decision.Clear();
  IdleStep(r);
  r.signals |= Bit(Signal::kKill);
  r.terminated = true;
  return EndEpisode(r);
}

// Inline into Step (their only caller, like Execute into GovernedStepNamed):
// a call layer per step is a measurable share of a governed numeric step.
[[gnu::always_inline]] inline Status GovernedEnvironment::GovernedStep(const StepInput& input, StepResult& r) {
  // The kernel sees the configured agent id when the action names none
  // (VectorEnv always fills it in, which spares this copy on its hot path).
  // Likewise a numeric action is judged in the task's current state unless
  // the caller (VectorEnv) already said what it is.
  const bool needs_state = input.action->kind == ActionKind::kNumeric && input.action->state.empty();
  if (input.action->agent_id.empty() || needs_state) {
    Action with_agent = *input.action;
    if (with_agent.agent_id.empty()) with_agent.agent_id = shared_->config.agent_id;
    if (needs_state) with_agent.state = task_->NumericState();
    StepInput named = input;
    named.action = &with_agent;
    return GovernedStepNamed(named, r);
  }
  return GovernedStepNamed(input, r);
}

Status GovernedEnvironment::GovernedStepNamed(const StepInput& input, StepResult& r) {
  // Before anything runs or changes: an action must never execute unless
  // its step can still be recorded.
  if (shared_->config.audit_sink) {
    if (Status ready = CheckAuditSink(); !ready.ok()) {
      ClearResult(r);
      return ready;
    }
  }
  const Action& action = *input.action;
  Decision& d = r.decision;
  shared_->kernel->Check(action, state_, d);
  ++step_;
  // A numeric action's state is the task's, which executing the action
  // moves on: the record keeps the state the action was judged in.
  if (shared_->config.audit_sink && !action.state.empty() && d.allowed()) KeepJudgedState(action);
  const TaskOutcome outcome = d.allowed() ? Execute(input) : Blocked(d);
  const StepReward reward = Reward(d, outcome);
  const StepEnd end = EndOfStep(d, outcome);
  CountStep(d, outcome, reward);
  FillResult(d, outcome, reward, end, r);
  if (shared_->config.audit_sink) {
    Action judged = action;
    if (!action.state.empty() && d.allowed()) judged.state = judged_state_;
    Status audited = Audit(judged, r);
    if (!audited.ok()) {
      if (end.terminated || end.truncated) (void)EndEpisode(r);
      return audited;
    }
  }
  if (end.terminated || end.truncated) return EndEpisode(r);
  return Status::Ok();
}

Status GovernedEnvironment::CheckAuditSink() const {
  Status ready = shared_->config.audit_sink->Ready();
  if (ready.ok()) return ready;
  return WithContext(ready, EnvName(env_id_) + ": the audit sink cannot record; the action was not run: ");
}

[[gnu::always_inline]] inline TaskOutcome GovernedEnvironment::Execute(const StepInput& input) {
  TaskOutcome outcome;
  try {
    outcome = task_->Execute(input);
  } catch (...) {
    outcome = TaskOutcome{};
    outcome.error = true;
    outcome.message = "the task threw an exception while executing the action";
  }
  if (!(std::isfinite(outcome.cost) && outcome.cost >= 0)) {
    outcome.cost = 0.0;
    outcome.error = true;
    outcome.message = "the task returned a cost that is not finite and >= 0; counted as 0";
  }
  if (!std::isfinite(outcome.reward)) {
    outcome.reward = 0.0;
    outcome.error = true;
    outcome.message = "the task returned a non-finite reward; counted as 0";
  }
  return outcome;
}

void GovernedEnvironment::KeepJudgedState(const Action& action) {
  judged_state_.assign(action.state.begin(), action.state.end());
}

void GovernedEnvironment::ReportBlocked(const Decision& d) {
  // Feedback is a courtesy to the agent: failing to give it (out of memory,
  // a throwing task) must not fail a step whose governance is complete.
  try {
    FormatBlockedReason(d, &blocked_text_);
    task_->OnBlocked(blocked_text_);
  } catch (...) {
  }
}

GovernedEnvironment::StepReward GovernedEnvironment::Reward(const Decision& d, const TaskOutcome& outcome) {
  episode_violations_ += d.total_violations();
  bool clean_success = false;
  if (outcome.success && !episode_success_) {
    episode_success_ = true;
    clean_success = episode_violations_ == 0;
  }
  StepReward out;
  // A clean decision's penalty is 0 without summing its (zero) counts.
  const RewardConfig& rc = shared_->config.reward;
  out.reward = d.total_violations() == 0 ? rc.Reward(outcome.reward, 0.0, clean_success, &out.penalty)
                                         : rc.Reward(outcome.reward, d, clean_success, &out.penalty);
  episode_return_ += out.reward;
  return out;
}

GovernedEnvironment::StepEnd GovernedEnvironment::EndOfStep(const Decision& d, const TaskOutcome& outcome) {
  const EnvironmentConfig& cfg = shared_->config;
  StepEnd end;
  end.signals = pending_signals_ | (d.total_violations() == 0 ? 0u : DecisionSignals(d));
  pending_signals_ = 0;
  if (cfg.max_cost_usd && state_.cost_usd >= *cfg.max_cost_usd * (1.0 - kBudgetTolerance)) {
    end.signals |= Bit(Signal::kBudget);
  }
  end.terminated = outcome.done || ((end.signals & Bit(Signal::kPolicy)) != 0 && cfg.terminate_on_critical);
  end.truncated = (end.signals & Bit(Signal::kBudget)) != 0 || step_ >= cfg.max_steps;
  if (term_pending_) {
    term_pending_ = false;
    end.signals |= Bit(Signal::kTerm);
    end.truncated = true;
  }
  if (end.signals & Bit(Signal::kPolicy)) Count(Signal::kPolicy);
  if (end.signals & Bit(Signal::kBudget)) Count(Signal::kBudget);
  return end;
}

void GovernedEnvironment::CountStep(const Decision& d, const TaskOutcome& outcome, const StepReward& reward) {
  // Each violation once, here and nowhere else.
  const std::uint32_t total = d.total_violations();
  ++counters_.steps;
  if (d.allowed()) {
    ++counters_.executed;
  } else {
    ++counters_.blocked;
  }
  if (outcome.error) ++counters_.task_errors;
  counters_.penalty_sum += reward.penalty;
  counters_.reward_sum += reward.reward;
  if (total == 0) return;
  counters_.violations += total;
  counters_.unattributed_violations += total - static_cast<std::uint32_t>(d.violations().size());
  for (int s = 0; s < kSeverityCount; ++s) counters_.by_severity[s] += d.count(static_cast<Severity>(s));
  for (const Violation& v : d.violations()) {
    const std::size_t slot = shared_->policies.Find(v.policy());
    if (slot < by_policy_.size()) ++by_policy_[slot];
  }
}

void GovernedEnvironment::FillResult(const Decision& d, const TaskOutcome& outcome, const StepReward& reward,
                                     const StepEnd& end, StepResult& r) const {
  const auto max_sev = d.max_severity();
  r.observation = task_->ObservationIndex();
  r.reward = reward.reward;
  r.terminated = end.terminated;
  r.truncated = end.truncated;
  r.governed = true;
  r.executed = d.allowed();
  r.success = outcome.success;
  r.task_error = outcome.error;
  if (outcome.error) {
    r.set_task_message(outcome.message.empty() ? "the task reported an error" : outcome.message);
  } else {
    r.clear_task_message();
  }
  r.autoreset = false;
  r.final_observation = -1;
  r.max_severity = max_sev ? static_cast<std::int8_t>(*max_sev) : std::int8_t{-1};
  r.violations = d.total_violations();
  r.signals = end.signals;
  r.episode_step = step_;
  r.penalty = reward.penalty;
  r.policy_cost = RewardConfig::Cost(reward.penalty) + outcome.cost;
  r.cost_usd = state_.cost_usd;
  r.episode_return = episode_return_;
}

Status GovernedEnvironment::EndEpisode(StepResult& r) {
  ended_ = true;
  term_pending_ = false;
  kill_pending_ = false;
  ++counters_.episodes;
  if (episode_success_) ++counters_.successful_episodes;
  if (episode_violations_ > 0) ++counters_.episodes_with_violations;
  if (shared_->config.autoreset != AutoresetMode::kSameStep) return Status::Ok();
  r.final_observation = r.observation;
  task_->KeepFinalObservation();
  Status s = ResetEpisode(std::nullopt, nullptr);
  if (!s.ok()) return s;
  r.autoreset = true;
  r.observation = task_->ObservationIndex();
  return Status::Ok();
}

Status GovernedEnvironment::Audit(const Action& action, const StepResult& r) {
  AuditEvent e;
  e.env_id = env_id_;
  e.episode = resets_ - 1;
  e.step = step_;
  e.action = &action;
  e.decision = &r.decision;
  e.executed = r.executed;
  e.reward = r.reward;
  e.penalty = r.penalty;
  e.signals = r.signals;
  try {
    shared_->config.audit_sink->Record(e);
    return Status::Ok();
  } catch (const AuditError& err) {
    audit_failed_ = true;
    return WithContext(err.status(), EnvName(env_id_) + ": step " + std::to_string(step_) +
                                         " ran but was not audited; the env refuses further steps: ");
  } catch (const std::exception& err) {
    audit_failed_ = true;
    return Status::IoError(EnvName(env_id_) + ": step " + std::to_string(step_) +
                           " ran but was not audited; the env refuses further steps: " + err.what());
  } catch (...) {
    audit_failed_ = true;
    return Status::IoError(EnvName(env_id_) + ": step " + std::to_string(step_) +
                           " ran but was not audited (unknown error); the env refuses further steps");
  }
}

Status GovernedEnvironment::Send(Signal signal) {
  if (!SignalFromBit(Bit(signal))) return Status::InvalidArgument("unknown signal");
  if (!IsSendable(signal)) {
    return Status::InvalidArgument(std::string(ToString(signal)) +
                                   " is raised by the environment only; trainers may send SIGSTOP, SIGCONT, "
                                   "SIGKILL and SIGTERM");
  }
  const bool running = started_ && !ended_;
  switch (signal) {
    case Signal::kStop:
      if (!paused_) {
        paused_ = true;
        pending_signals_ |= Bit(Signal::kStop);
        Count(signal);
      }
      break;
    case Signal::kCont:
      if (paused_) {
        paused_ = false;
        pending_signals_ |= Bit(Signal::kCont);
        Count(signal);
      }
      break;
    case Signal::kKill:
      if (running && !kill_pending_) {
        kill_pending_ = true;
        Count(signal);
      }
      break;
    case Signal::kTerm:
      if (running && !term_pending_ && !kill_pending_) {
        term_pending_ = true;
        Count(signal);
      }
      break;
    default:
      break;
  }
  return Status::Ok();
}

EnvMetrics GovernedEnvironment::Metrics() const {
  EnvMetrics m;
  m.counters = counters_;
  const PolicyIndex& index = shared_->policies;
  m.by_policy.reserve(index.size());
  for (std::size_t i = 0; i < index.size(); ++i) m.by_policy.emplace_back(std::string(index.name(i)), by_policy_[i]);
  m.backend_destructive_ops = task_->BackendDestructiveOps();
  return m;
}

}  // namespace agentos
