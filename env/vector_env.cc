#include "env/vector_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "env/async_steps.h"
#include "env/thread_pool.h"

namespace agentos {
namespace {

constexpr std::size_t kNoEnv = std::numeric_limits<std::size_t>::max();
// A bound that keeps every per-env array addressable and every index an int64.
constexpr std::size_t kMaxEnvs = std::size_t{1} << 28;
constexpr unsigned kMaxThreads = 256;

Status CheckOffsets(const char* what, std::span<const std::uint64_t> offsets, std::size_t n, std::size_t bytes) {
  if (offsets.size() != n + 1) {
    return Status::InvalidArgument(std::string(what) + " must have num_envs + 1 = " + std::to_string(n + 1) +
                                   " entries, got " + std::to_string(offsets.size()));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) {
      return Status::InvalidArgument(std::string(what) + " must be non-decreasing: entry " + std::to_string(i + 1) +
                                     " (" + std::to_string(offsets[i + 1]) + ") < entry " + std::to_string(i) + " (" +
                                     std::to_string(offsets[i]) + ")");
    }
  }
  if (offsets[n] > bytes) {
    return Status::InvalidArgument(std::string(what) + " ends at " + std::to_string(offsets[n]) +
                                   ", past the end of its " + std::to_string(bytes) + " bytes");
  }
  return Status::Ok();
}

template <typename T>
Status CheckLength(const char* what, std::span<const T> s, std::size_t n) {
  if (s.empty() || s.size() == n) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " must be absent or have num_envs = " + std::to_string(n) +
                                 " entries, got " + std::to_string(s.size()));
}

// Steps run on pool workers, where an exception would end the process; a
// step that throws (a bug, or bad_alloc) fails that env's step instead.
Status GuardedStep(GovernedEnvironment& env, const StepInput& input, StepResult& r) {
  try {
    return env.Step(input, &r);
  } catch (const std::exception& e) {
    r = StepResult{};  // a governed step fills its result only once it is complete
    return Status::Internal("env " + std::to_string(env.env_id()) + ": step threw: " + e.what());
  } catch (...) {
    r = StepResult{};
    return Status::Internal("env " + std::to_string(env.env_id()) + ": step threw an unknown exception");
  }
}

bool OffsetsWellFormed(std::span<const std::uint64_t> offsets, std::size_t n, std::size_t bytes) {
  if (offsets.size() != n + 1) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (offsets[i + 1] < offsets[i]) return false;
  }
  return offsets[n] <= bytes;
}

template <typename T>
bool LengthWellFormed(std::span<const T> s, std::size_t n) {
  return s.empty() || s.size() == n;
}

// True when VectorEnv::ValidateActions would find nothing wrong (it asks
// this first, and describes the problem only when this says there is one).
bool ActionsWellFormed(const BatchActions& a, std::size_t n, bool numeric_task) {
  if ((!numeric_task || !a.offsets.empty() || !a.bytes.empty()) && !OffsetsWellFormed(a.offsets, n, a.bytes.size())) {
    return false;
  }
  if ((!a.tool_offsets.empty() || !a.tool_bytes.empty()) &&
      !OffsetsWellFormed(a.tool_offsets, n, a.tool_bytes.size())) {
    return false;
  }
  if (!LengthWellFormed(a.kinds, n) || !LengthWellFormed(a.cost_usd, n) || !LengthWellFormed(a.tokens, n) ||
      !LengthWellFormed(a.external_reward, n) || !LengthWellFormed(a.external_success, n) ||
      !LengthWellFormed(a.external_done, n)) {
    return false;
  }
  for (const std::uint8_t k : a.kinds) {
    if (k >= kActionKindCount) return false;
  }
  for (const double r : a.external_reward) {
    if (!std::isfinite(r)) return false;
  }
  return true;
}

}  // namespace

Status VectorEnvConfig::Validate() const {
  if (num_envs == 0) return Status::InvalidArgument("num_envs must be >= 1");
  if (num_envs > kMaxEnvs) return Status::InvalidArgument("num_envs must be <= " + std::to_string(kMaxEnvs));
  if (num_threads == 0 || num_threads > kMaxThreads) {
    return Status::InvalidArgument("num_threads must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                                   std::to_string(num_threads));
  }
  if (min_envs_per_thread == 0) return Status::InvalidArgument("min_envs_per_thread must be >= 1");
  if (batch_size > num_envs) {
    return Status::InvalidArgument("batch_size must be <= num_envs = " + std::to_string(num_envs) + " (0 = num_envs), got " +
                                   std::to_string(batch_size));
  }
  if (static_cast<int>(default_kind) >= kActionKindCount) {
    return Status::InvalidArgument("default_kind is not an action kind");
  }
  return env.Validate();
}

Status VectorEnv::Create(std::shared_ptr<const KernelSpace> kernel, const VectorEnvConfig& config,
                         TaskFactory& factory, std::unique_ptr<VectorEnv>* out) {
  if (out == nullptr) return Status::InvalidArgument("VectorEnv::Create: out is null");
  Status s = config.Validate();
  if (!s.ok()) return s;
  std::unique_ptr<VectorEnv> v(new VectorEnv());
  v->config_ = config;
  s = MakeEnvShared(std::move(kernel), config.env, &v->shared_);
  if (!s.ok()) return s;
  const std::size_t n = config.num_envs;
  v->envs_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::unique_ptr<Task> task;
    s = factory.Make(&task);
    if (!s.ok()) return s;
    if (!task) return Status::Internal("task factory '" + std::string(factory.name()) + "' made a null task");
    if (i == 0 && task->numeric_shape() != nullptr) v->AllocateNumeric(*task->numeric_shape());
    if (v->shape_ != nullptr) {
      if (task->numeric_shape() != v->shape_) {
        return Status::Internal("task factory '" + std::string(factory.name()) + "' made tasks of different shapes");
      }
      const std::size_t row = i * v->shape_->obs_bytes();
      task->BindObservation(reinterpret_cast<char*>(v->numeric_obs_.data()) + row,
                            reinterpret_cast<char*>(v->numeric_final_obs_.data()) + row);
    }
    v->envs_.emplace_back(v->shared_, std::move(task), i);
  }
  VectorBuffers& b = v->buffers_;
  const auto rows = static_cast<Eigen::Index>(n);
  b.observation = Column<std::int64_t>::Constant(rows, -1);
  b.reward = Column<double>::Zero(rows);
  b.terminated = Column<std::uint8_t>::Zero(rows);
  b.truncated = Column<std::uint8_t>::Zero(rows);
  b.executed = Column<std::uint8_t>::Zero(rows);
  b.success = Column<std::uint8_t>::Zero(rows);
  b.task_error = Column<std::uint8_t>::Zero(rows);
  b.violations = Column<std::uint32_t>::Zero(rows);
  b.max_severity = Column<std::int8_t>::Constant(rows, -1);
  b.signals = Column<std::uint32_t>::Zero(rows);
  b.episode_step = Column<std::uint32_t>::Zero(rows);
  b.cost_usd = Column<double>::Zero(rows);
  b.episode_return = Column<double>::Zero(rows);
  b.autoreset = Column<std::uint8_t>::Zero(rows);
  b.final_observation = Column<std::int64_t>::Constant(rows, -1);
  b.policy_cost = Column<double>::Zero(rows);
  v->pool_ = std::make_unique<ChunkPool>(config.num_threads, config.spin_us);
  v->chunks_.resize(v->MaxChunks());
  if (config.keep_results) v->results_.resize(n);
  v->InitObservationTexts();
  *out = std::move(v);
  return Status::Ok();
}

VectorEnv::~VectorEnv() = default;

void VectorEnv::AllocateNumeric(const TaskShape& shape) {
  shape_ = &shape;
  const std::size_t words = (config_.num_envs * shape.obs_bytes() + sizeof(double) - 1) / sizeof(double);
  numeric_obs_.assign(words, 0.0);
  numeric_final_obs_.assign(words, 0.0);
}

Status VectorEnv::ValidateNumeric(const BatchActions& a, std::size_t n) const {
  // The common case first, with no Status message built.
  const bool discrete_ok =
      a.numeric.empty() && a.discrete.size() == n && shape_->action_type == ActionSpaceType::kDiscrete;
  const bool numeric_ok = a.discrete.empty() && a.numeric.size() == n * shape_->values_per_action();
  if (a.kinds.empty() && (discrete_ok || numeric_ok)) return Status::Ok();
  if (!a.kinds.empty()) return Status::InvalidArgument("kinds must be absent for a numeric task: its actions are numeric");
  if (a.discrete.empty() == a.numeric.empty()) {
    return Status::InvalidArgument("a numeric task takes exactly one of discrete and numeric actions");
  }
  if (!a.discrete.empty()) {
    if (shape_->action_type != ActionSpaceType::kDiscrete) {
      return Status::InvalidArgument("discrete actions for a continuous task; give numeric actions");
    }
    if (a.discrete.size() != n) {
      return Status::InvalidArgument("discrete actions must have " + std::to_string(n) + " entries (one per env), got " +
                                     std::to_string(a.discrete.size()));
    }
  } else if (a.numeric.size() != n * shape_->values_per_action()) {
    return Status::InvalidArgument("numeric actions must have " + std::to_string(n) + " envs x " +
                                   std::to_string(shape_->values_per_action()) + " = " +
                                   std::to_string(n * shape_->values_per_action()) + " values, got " +
                                   std::to_string(a.numeric.size()));
  }
  return Status::Ok();
}

unsigned VectorEnv::ChunksFor(std::size_t n) const {
  if (config_.num_threads == 1 || n < 2 * config_.min_envs_per_thread) return 1;
  const std::size_t min_chunk = std::max<std::size_t>(1, config_.min_envs_per_thread / kChunksPerThread);
  return static_cast<unsigned>(std::min<std::size_t>(MaxChunks(), n / min_chunk));
}

Status VectorEnv::Reset(std::optional<std::uint64_t> seed, std::span<const std::uint8_t> mask) {
  return ResetImpl(seed, {}, {}, mask);
}

Status VectorEnv::ResetSeeds(std::span<const std::uint64_t> seeds, std::span<const std::uint8_t> has_seed,
                             std::span<const std::uint8_t> mask) {
  const std::size_t n = envs_.size();
  if (seeds.size() != n) {
    return Status::InvalidArgument("reset seeds must have num_envs = " + std::to_string(n) + " entries, got " +
                                   std::to_string(seeds.size()));
  }
  if (!has_seed.empty() && has_seed.size() != n) {
    return Status::InvalidArgument("reset has_seed must be absent or have num_envs = " + std::to_string(n) +
                                   " entries, got " + std::to_string(has_seed.size()));
  }
  return ResetImpl(std::nullopt, seeds, has_seed, mask);
}

Status VectorEnv::ResetTasks(std::span<const std::int64_t> task_index, std::optional<std::uint64_t> seed,
                             std::span<const std::uint64_t> seeds, std::span<const std::uint8_t> has_seed,
                             std::span<const std::uint8_t> mask) {
  const std::size_t n = envs_.size();
  if (task_index.size() != n) {
    return Status::InvalidArgument("reset task_index must have num_envs = " + std::to_string(n) + " entries, got " +
                                   std::to_string(task_index.size()));
  }
  if (!seeds.empty() && seeds.size() != n) {
    return Status::InvalidArgument("reset seeds must be absent or have num_envs = " + std::to_string(n) +
                                   " entries, got " + std::to_string(seeds.size()));
  }
  if (!has_seed.empty() && (seeds.empty() || has_seed.size() != n)) {
    return Status::InvalidArgument("reset has_seed needs seeds and must have num_envs = " + std::to_string(n) +
                                   " entries, got " + std::to_string(has_seed.size()));
  }
  if (!mask.empty() && mask.size() != n) {
    return Status::InvalidArgument("reset mask must be absent or have num_envs = " + std::to_string(n) +
                                   " entries, got " + std::to_string(mask.size()));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!mask.empty() && mask[i] == 0) continue;
    const std::int64_t t = task_index[i];
    if (t == -1) continue;
    if (t < -1) {
      return Status::InvalidArgument("env " + std::to_string(i) + ": task index " + std::to_string(t) +
                                     " is invalid (-1: the seed picks; >= 0: that task)");
    }
    const std::int64_t count = envs_[i].task().num_tasks();
    if (count <= 0) {
      return Status::InvalidArgument("env " + std::to_string(i) +
                                     ": its task has no tasks to choose from; it cannot be pinned to task " +
                                     std::to_string(t));
    }
    if (t >= count) {
      return Status::InvalidArgument("env " + std::to_string(i) + ": task index " + std::to_string(t) +
                                     " is out of range [0, " + std::to_string(count) + ") (-1: the seed picks)");
    }
  }
  return ResetImpl(seeds.empty() ? seed : std::nullopt, seeds, has_seed, mask, task_index);
}

Status VectorEnv::FindTask(std::string_view id, std::int64_t* index) const {
  if (index == nullptr) return Status::InvalidArgument("FindTask: index is null");
  const std::int64_t found = envs_.front().task().FindTask(id);
  if (found < 0) {
    std::string shown(id.substr(0, 64));
    if (id.size() > 64) shown += "...";
    return Status::NotFound("no task has the id '" + shown + "'");
  }
  *index = found;
  return Status::Ok();
}

Status VectorEnv::ResetImpl(std::optional<std::uint64_t> seed, std::span<const std::uint64_t> seeds,
                            std::span<const std::uint8_t> has_seed, std::span<const std::uint8_t> mask,
                            std::span<const std::int64_t> task_index) {
  if (Status s = CheckNoneInFlight("reset"); !s.ok()) return s;
  const std::size_t n = envs_.size();
  if (!mask.empty() && mask.size() != n) {
    return Status::InvalidArgument("reset mask must be absent or have num_envs = " + std::to_string(n) +
                                   " entries, got " + std::to_string(mask.size()));
  }
  if (!seed && !seeded_) seed = config_.seed;
  steppable_known_ = false;
  const unsigned chunks = ChunksFor(n);
  auto body = [&](unsigned c) {
    const std::size_t lo = n * c / chunks, hi = n * (c + 1) / chunks;
    ChunkError& err = chunks_[c].error;
    err.env = kNoEnv;
    for (std::size_t i = lo; i < hi; ++i) {
      if (!mask.empty() && mask[i] == 0) continue;
      std::optional<std::uint64_t> env_seed;
      if (!seeds.empty() && (has_seed.empty() || has_seed[i] != 0)) {
        env_seed = seeds[i];
      } else if (seed) {
        env_seed = *seed + i;
      }
      Status s;
      try {
        s = task_index.empty() || task_index[i] < 0 ? envs_[i].Reset(env_seed)
                                                    : envs_[i].ResetTo(task_index[i], env_seed);
      } catch (const std::exception& e) {
        s = Status::Internal("env " + std::to_string(i) + ": reset threw: " + e.what());
      } catch (...) {
        s = Status::Internal("env " + std::to_string(i) + ": reset threw an unknown exception");
      }
      if (!s.ok()) {
        if (err.env == kNoEnv) err = {i, std::move(s)};
        continue;
      }
      WriteResetRow(i);
    }
  };
  pool_->Run(chunks, body);
  seeded_ = true;
  RefreshObservationTexts();
  for (unsigned c = 0; c < chunks; ++c) {
    if (chunks_[c].error.env != kNoEnv) return chunks_[c].error.status;
  }
  return Status::Ok();
}

void VectorEnv::WriteResetRow(std::size_t i) {
  VectorBuffers& b = buffers_;
  const auto r = static_cast<Eigen::Index>(i);
  b.observation[r] = envs_[i].ObservationIndex();
  b.reward[r] = 0.0;
  b.terminated[r] = 0;
  b.truncated[r] = 0;
  b.executed[r] = 0;
  b.success[r] = 0;
  b.task_error[r] = 0;
  b.violations[r] = 0;
  b.max_severity[r] = -1;
  b.signals[r] = 0;
  b.episode_step[r] = 0;
  b.cost_usd[r] = 0.0;
  b.episode_return[r] = 0.0;
  b.autoreset[r] = 0;
  b.final_observation[r] = -1;
  b.policy_cost[r] = 0.0;
  if (!results_.empty()) {
    StepResult& last = results_[i];
    last.decision.Clear();
    last.governed = last.executed = last.success = last.task_error = false;
    last.set_task_message({});
  }
}

VectorEnv::Rows VectorEnv::RowPointers() {
  VectorBuffers& b = buffers_;
  return Rows{b.observation.data(),  b.reward.data(),     b.terminated.data(),     b.truncated.data(),
              b.executed.data(),     b.success.data(),    b.task_error.data(),     b.violations.data(),
              b.max_severity.data(), b.signals.data(),    b.episode_step.data(),   b.cost_usd.data(),
              b.episode_return.data(), b.autoreset.data(), b.final_observation.data(),
              b.policy_cost.data()};
}

// Writes through a local copy of the buffer pointers: stores to the uint8
// columns may alias anything, and would otherwise force a reload of every
// pointer after every store.
void VectorEnv::WriteRow(const Rows& out, std::size_t i, const StepResult& r) {
  out.observation[i] = r.observation;
  out.reward[i] = r.reward;
  out.terminated[i] = r.terminated;
  out.truncated[i] = r.truncated;
  out.executed[i] = r.executed;
  out.success[i] = r.success;
  out.task_error[i] = r.task_error;
  out.violations[i] = r.violations;
  out.max_severity[i] = r.max_severity;
  out.signals[i] = r.signals;
  out.episode_step[i] = r.episode_step;
  out.cost_usd[i] = r.cost_usd;
  out.episode_return[i] = r.episode_return;
  out.autoreset[i] = r.autoreset;
  out.final_observation[i] = r.final_observation;
  out.policy_cost[i] = r.policy_cost;
}

Status VectorEnv::ValidateBatch(const BatchActions& a) const {
  const std::size_t n = envs_.size();
  if (shape_ != nullptr) {
    if (Status s = ValidateNumeric(a, n); !s.ok()) return s;
  } else if (!a.discrete.empty() || !a.numeric.empty()) {
    return Status::InvalidArgument("numeric actions for a text task");
  }
  if (Status s = ValidateActions(a, n, shape_ != nullptr); !s.ok()) return s;
  if (steppable_known_) {
    bool all = true;
    const unsigned chunks = ChunksFor(n);
    for (unsigned c = 0; c < chunks && all; ++c) all = chunks_[c].steppable;
    if (all) return Status::Ok();
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!envs_[i].steppable()) return envs_[i].CheckSteppable();
  }
  return Status::Ok();
}

Status VectorEnv::ValidateActions(const BatchActions& a, std::size_t n, bool numeric_task) {
  // Every batch is checked, and nearly every batch is fine: a check with no
  // Status built, then the one that says what is wrong only when needed.
  if (ActionsWellFormed(a, n, numeric_task)) return Status::Ok();
  Status s;
  // A numeric task's actions are its discrete/numeric values; text is optional.
  if (!numeric_task || !a.offsets.empty() || !a.bytes.empty()) {
    if (s = CheckOffsets("offsets", a.offsets, n, a.bytes.size()); !s.ok()) return s;
  }
  if (!a.tool_offsets.empty() || !a.tool_bytes.empty()) {
    if (s = CheckOffsets("tool_offsets", a.tool_offsets, n, a.tool_bytes.size()); !s.ok()) return s;
  }
  if (s = CheckLength("kinds", a.kinds, n); !s.ok()) return s;
  if (s = CheckLength("cost_usd", a.cost_usd, n); !s.ok()) return s;
  if (s = CheckLength("tokens", a.tokens, n); !s.ok()) return s;
  if (s = CheckLength("external_reward", a.external_reward, n); !s.ok()) return s;
  if (s = CheckLength("external_success", a.external_success, n); !s.ok()) return s;
  if (s = CheckLength("external_done", a.external_done, n); !s.ok()) return s;
  for (std::size_t i = 0; i < a.kinds.size(); ++i) {
    if (a.kinds[i] >= kActionKindCount) {
      return Status::InvalidArgument("kinds[" + std::to_string(i) + "] = " + std::to_string(a.kinds[i]) +
                                     " is not an action kind (0.." + std::to_string(kActionKindCount - 1) + ")");
    }
  }
  for (std::size_t i = 0; i < a.external_reward.size(); ++i) {
    if (!std::isfinite(a.external_reward[i])) {
      return Status::InvalidArgument("external_reward[" + std::to_string(i) + "] is not finite");
    }
  }
  return Status::Ok();
}

void VectorEnv::StepChunk(unsigned c, unsigned chunks, const BatchActions& a) {
  const std::size_t n = envs_.size();
  const std::size_t lo = n * c / chunks, hi = n * (c + 1) / chunks;
  ChunkError& err = chunks_[c].error;
  err.env = kNoEnv;
  StepResult& scratch = chunks_[c].scratch;
  const bool keep = !results_.empty();
  const bool has_tools = !a.tool_offsets.empty();
  const Rows rows = RowPointers();
  Action action;
  action.kind = config_.default_kind;
  action.agent_id = shared_->config.agent_id;
  StepInput input;
  input.action = &action;
  bool steppable = true;
  const bool has_payloads = !a.offsets.empty();
  const std::size_t per_action = shape_ ? shape_->values_per_action() : 0;
  double discrete_value = 0.0;
  if (shape_ != nullptr) action.kind = ActionKind::kNumeric;
  for (std::size_t i = lo; i < hi; ++i) {
    if (!a.kinds.empty()) action.kind = static_cast<ActionKind>(a.kinds[i]);
    if (has_payloads) action.payload = a.bytes.substr(a.offsets[i], a.offsets[i + 1] - a.offsets[i]);
    if (shape_ != nullptr) {
      if (!a.discrete.empty()) {
        discrete_value = static_cast<double>(a.discrete[i]);
        action.values = {&discrete_value, 1};
      } else {
        action.values = a.numeric.subspan(i * per_action, per_action);
      }
      action.state = envs_[i].task().NumericState();
    }
    if (has_tools) action.tool = a.tool_bytes.substr(a.tool_offsets[i], a.tool_offsets[i + 1] - a.tool_offsets[i]);
    if (!a.cost_usd.empty()) action.cost_usd = a.cost_usd[i];
    if (!a.tokens.empty()) action.tokens = a.tokens[i];
    if (!a.external_reward.empty()) input.external_reward = a.external_reward[i];
    if (!a.external_success.empty()) input.external_success = a.external_success[i] != 0;
    if (!a.external_done.empty()) input.external_done = a.external_done[i] != 0;
    StepResult& r = keep ? results_[i] : scratch;
    Status s = GuardedStep(envs_[i], input, r);
    if (!s.ok() && err.env == kNoEnv) err = {i, std::move(s)};
    steppable = steppable && envs_[i].steppable();
    WriteRow(rows, i, r);
  }
  chunks_[c].steppable = steppable;
}

Status VectorEnv::StepOne(std::size_t i, const StepInput& input, StepResult& scratch) {
  StepResult& r = results_.empty() ? scratch : results_[i];
  Status s = GuardedStep(envs_[i], input, r);
  WriteRow(RowPointers(), i, r);
  return s;
}

Status VectorEnv::Step(const BatchActions& actions) {
  if (async_ != nullptr) {
    if (Status s = CheckNoneInFlight("step"); !s.ok()) return s;
  }
  if (Status s = ValidateBatch(actions); !s.ok()) return s;
  const unsigned chunks = ChunksFor(envs_.size());
  auto body = [&](unsigned c) { StepChunk(c, chunks, actions); };
  pool_->Run(chunks, body);
  steppable_known_ = true;
  RefreshObservationTexts();
  for (unsigned c = 0; c < chunks; ++c) {
    if (chunks_[c].error.env != kNoEnv) return chunks_[c].error.status;
  }
  return Status::Ok();
}

Status VectorEnv::Send(std::size_t env, Signal signal) {
  if (env >= envs_.size()) {
    return Status::InvalidArgument("env index " + std::to_string(env) + " out of range [0, " +
                                   std::to_string(envs_.size()) + ")");
  }
  if (Status s = CheckNoneInFlight("signal"); !s.ok()) return s;
  steppable_known_ = false;
  return envs_[env].Send(signal);
}

void VectorEnv::InitObservationTexts() {
  if (!config_.text_observations) return;
  const std::size_t n = envs_.size();
  text_offsets_.resize(n + 1);
  // n empty texts: n NULs.
  for (std::size_t i = 0; i <= n; ++i) text_offsets_[i] = i;
  text_bytes_.assign(n, '\0');
  text_size_ = n;
}

// Two passes over the envs (sizes, then copies) so the buffer grows at most
// once per call, and only when this batch's texts need more room than any
// before.
void VectorEnv::RefreshObservationTexts() {
  if (!config_.text_observations) return;
  const std::size_t n = envs_.size();
  std::uint64_t* offsets = text_offsets_.data();
  std::uint64_t total = 0;
  offsets[0] = 0;
  for (std::size_t i = 0; i < n; ++i) {
    total += envs_[i].ObservationText().size() + 1;
    offsets[i + 1] = total;
  }
  if (total > text_bytes_.size()) text_bytes_.resize(std::max<std::size_t>(total, 2 * text_bytes_.size()));
  char* out = text_bytes_.data();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view t = envs_[i].ObservationText();
    if (!t.empty()) std::memcpy(out + offsets[i], t.data(), t.size());
    out[offsets[i + 1] - 1] = '\0';
  }
  text_size_ = total;
}

const StepResult* VectorEnv::LastResult(std::size_t env) const {
  if (results_.empty() || env >= results_.size()) return nullptr;
  return &results_[env];
}

EnvMetrics VectorEnv::Metrics() const {
  EnvMetrics m;
  const PolicyIndex& index = shared_->policies;
  std::vector<std::uint64_t> by_policy(index.size(), 0);
  for (const GovernedEnvironment& e : envs_) {
    m.counters.Add(e.counters());
    const auto& counts = e.policy_violations();
    for (std::size_t p = 0; p < counts.size(); ++p) by_policy[p] += counts[p];
    m.backend_destructive_ops += e.task().BackendDestructiveOps();
    m.changed_state_episodes += e.task().ChangedStateEpisodes();
  }
  m.by_policy.reserve(index.size());
  for (std::size_t p = 0; p < index.size(); ++p) m.by_policy.emplace_back(std::string(index.name(p)), by_policy[p]);
  return m;
}

}  // namespace agentos
