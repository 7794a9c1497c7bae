#include "env/async_steps.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace agentos {

AsyncSteps::AsyncSteps(VectorEnv& env, unsigned num_workers)
    : env_(env), slots_(env.num_envs()), sent_(env.num_envs(), 0), marks_(env.num_envs(), 0), scratch_(std::max(1u, num_workers)) {
  todo_.ids.resize(env.num_envs());
  done_.ids.resize(env.num_envs());
  const std::string& agent = env.shared_->config.agent_id;
  const TaskShape* shape = env.numeric_shape();
  for (Slot& s : slots_) {
    s.action.agent_id = agent;
    s.input.action = &s.action;
    if (shape != nullptr) {
      s.values.assign(shape->values_per_action(), 0.0);
      s.action.values = s.values;
    }
  }
  threads_.reserve(scratch_.size());
  for (unsigned w = 0; w < scratch_.size(); ++w) threads_.emplace_back([this, w] { WorkerLoop(w); });
}

AsyncSteps::~AsyncSteps() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void AsyncSteps::FillSlot(std::uint32_t env, std::size_t k, const BatchActions& a) {
  Slot& s = slots_[env];
  if (!a.offsets.empty()) {
    s.payload.assign(a.bytes.substr(a.offsets[k], a.offsets[k + 1] - a.offsets[k]));
  } else {
    s.payload.clear();
  }
  s.action.payload = s.payload;
  if (!a.discrete.empty()) {
    s.values[0] = static_cast<double>(a.discrete[k]);
  } else if (!a.numeric.empty()) {
    const std::size_t per = s.values.size();
    std::copy_n(a.numeric.begin() + static_cast<std::ptrdiff_t>(k * per), per, s.values.begin());
  }
  if (!a.tool_offsets.empty()) {
    s.tool.assign(a.tool_bytes.substr(a.tool_offsets[k], a.tool_offsets[k + 1] - a.tool_offsets[k]));
  } else {
    s.tool.clear();
  }
  s.action.tool = s.tool;
  if (env_.shape_ != nullptr) {
    s.action.kind = ActionKind::kNumeric;
  } else {
    s.action.kind = a.kinds.empty() ? env_.config_.default_kind : static_cast<ActionKind>(a.kinds[k]);
  }
  s.action.cost_usd = a.cost_usd.empty() ? 0.0 : a.cost_usd[k];
  s.action.tokens = a.tokens.empty() ? 0 : a.tokens[k];
  s.input.external_reward = a.external_reward.empty() ? 0.0 : a.external_reward[k];
  s.input.external_success = !a.external_success.empty() && a.external_success[k] != 0;
  s.input.external_done = !a.external_done.empty() && a.external_done[k] != 0;
}

Status AsyncSteps::CheckIds(std::span<const std::uint32_t> env_ids) {
  const std::size_t n = slots_.size();
  Status s;
  std::size_t k = 0;
  for (; k < env_ids.size(); ++k) {
    const std::uint32_t id = env_ids[k];
    if (id >= n) {
      s = Status::InvalidArgument("send: env_ids[" + std::to_string(k) + "] = " + std::to_string(id) +
                                  " out of range [0, " + std::to_string(n) + ")");
      break;
    }
    if (marks_[id]) {
      s = Status::InvalidArgument("send: env " + std::to_string(id) + " appears twice in env_ids");
      break;
    }
    if (sent_[id]) {
      s = Status::StateError("send: env " + std::to_string(id) +
                             " is already in flight (sent and not yet received); recv it first");
      break;
    }
    marks_[id] = 1;
  }
  for (std::size_t j = 0; j < k; ++j) marks_[env_ids[j]] = 0;
  return s;
}

void AsyncSteps::Send(std::span<const std::uint32_t> env_ids, const BatchActions& actions) {
  for (std::size_t k = 0; k < env_ids.size(); ++k) {
    FillSlot(env_ids[k], k, actions);
    sent_[env_ids[k]] = 1;
  }
  in_flight_ += env_ids.size();
  unsigned wake = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::uint32_t id : env_ids) todo_.Push(id);
    wake = static_cast<unsigned>(std::min<std::size_t>(idle_workers_, env_ids.size()));
  }
  for (unsigned i = 0; i < wake; ++i) work_cv_.notify_one();
}

void AsyncSteps::Recv(std::span<std::uint32_t> ids, Status* first_error) {
  const std::size_t want = ids.size();
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (done_.size < want) {
      want_ = want;
      done_cv_.wait(lock, [&] { return done_.size >= want; });
      want_ = 0;  // already 0 unless the wake-up was spurious and then satisfied
    }
    for (std::size_t k = 0; k < want; ++k) ids[k] = done_.Pop();
  }
  *first_error = Status::Ok();
  for (std::uint32_t id : ids) {
    sent_[id] = 0;
    Slot& s = slots_[id];
    if (!s.error.ok() && first_error->ok()) *first_error = std::move(s.error);
    s.error = Status::Ok();
  }
  in_flight_ -= want;
}

void AsyncSteps::WorkerLoop(unsigned worker) {
  StepResult& scratch = scratch_[worker].result;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (todo_.size == 0 && !stop_) {
      ++idle_workers_;
      work_cv_.wait(lock);
      --idle_workers_;
    }
    if (stop_) return;
    const std::uint32_t id = todo_.Pop();
    lock.unlock();
    Slot& s = slots_[id];
    // Read now, as Step does just before stepping: the state is valid only
    // until the task's next call.
    if (env_.shape_ != nullptr) s.action.state = env_.envs_[id].task().NumericState();
    s.error = env_.StepOne(id, s.input, scratch);
    lock.lock();
    done_.Push(id);
    if (want_ != 0 && done_.size >= want_) {
      // One wake-up per Recv: workers finishing after this one see want_ 0
      // and make no system call. Notified after unlocking, so the receiver
      // does not wake only to block on mu_ still held here.
      want_ = 0;
      lock.unlock();
      done_cv_.notify_one();
      lock.lock();
    }
  }
}

// ---- VectorEnv's async mode --------------------------------------------------

Status VectorEnv::CheckNoneInFlight(const char* what) const {
  if (!async_ || async_->in_flight() == 0) return Status::Ok();
  return Status::StateError(std::string(what) + " refused: " + std::to_string(async_->in_flight()) +
                            " env(s) sent and not yet received; recv them first");
}

std::size_t VectorEnv::in_flight() const { return async_ ? async_->in_flight() : 0; }

bool VectorEnv::in_flight(std::size_t env) const {
  return async_ && env < envs_.size() && async_->in_flight(env);
}

Status VectorEnv::AsyncSend(std::span<const std::uint32_t> env_ids, const BatchActions& actions) {
  const std::size_t n = envs_.size();
  if (env_ids.empty()) return Status::InvalidArgument("send: env_ids is empty");
  // The gathered buffer holds every env's text at one moment; with envs in
  // flight there is no such moment. Each received env's own text stays
  // readable (ObservationText(env_id)).
  if (config_.text_observations) {
    return Status::StateError(
        "send: text_observations gathers texts at step and reset only; in async mode read each received "
        "env's text with its observation text instead");
  }
  if (env_ids.size() > n) {
    return Status::InvalidArgument("send: " + std::to_string(env_ids.size()) + " env ids for " + std::to_string(n) +
                                   " envs");
  }
  if (shape_ != nullptr) {
    if (Status s = ValidateNumeric(actions, env_ids.size()); !s.ok()) return Status::InvalidArgument("send: " + s.message());
  } else if (!actions.discrete.empty() || !actions.numeric.empty()) {
    return Status::InvalidArgument("send: numeric actions for a text task");
  }
  if (Status s = ValidateActions(actions, env_ids.size(), shape_ != nullptr); !s.ok()) {
    return Status::InvalidArgument("send: " + s.message());
  }
  if (!async_) async_ = std::make_unique<AsyncSteps>(*this, config_.num_threads);
  if (Status s = async_->CheckIds(env_ids); !s.ok()) return s;
  for (std::uint32_t id : env_ids) {
    if (!envs_[id].steppable()) return envs_[id].CheckSteppable();
  }
  steppable_known_ = false;
  async_->Send(env_ids, actions);
  return Status::Ok();
}

namespace {

template <typename T, typename Col>
void Gather(T* out, const Col& column, std::span<const std::uint32_t> ids) {
  if (out == nullptr) return;
  const T* in = column.data();
  for (std::size_t k = 0; k < ids.size(); ++k) out[k] = in[ids[k]];
}

// Numeric observations: row_bytes per env.
void GatherRows(void* out, const void* rows, std::size_t row_bytes, std::span<const std::uint32_t> ids) {
  if (out == nullptr) return;
  char* dst = static_cast<char*>(out);
  const char* src = static_cast<const char*>(rows);
  for (std::size_t k = 0; k < ids.size(); ++k) std::memcpy(dst + k * row_bytes, src + ids[k] * row_bytes, row_bytes);
}

}  // namespace

Status VectorEnv::AsyncRecv(const RecvRows& out, std::size_t* count) {
  if (count == nullptr) return Status::InvalidArgument("recv: count is null");
  *count = 0;
  if (out.env_id == nullptr) return Status::InvalidArgument("recv: out.env_id is null");
  const std::size_t pending = in_flight();
  if (pending == 0) return Status::StateError("recv: no env is in flight (send some first)");
  const std::size_t want = std::min(batch_size(), pending);
  if (out.capacity < want) {
    return Status::InvalidArgument("recv: out.capacity is " + std::to_string(out.capacity) + ", needs " +
                                   std::to_string(want) + " (batch_size)");
  }
  const std::span<std::uint32_t> ids(out.env_id, want);
  Status first_error;
  async_->Recv(ids, &first_error);
  const VectorBuffers& b = buffers_;
  Gather(out.observation, b.observation, ids);
  Gather(out.reward, b.reward, ids);
  Gather(out.terminated, b.terminated, ids);
  Gather(out.truncated, b.truncated, ids);
  Gather(out.executed, b.executed, ids);
  Gather(out.success, b.success, ids);
  Gather(out.task_error, b.task_error, ids);
  Gather(out.violations, b.violations, ids);
  Gather(out.max_severity, b.max_severity, ids);
  Gather(out.signals, b.signals, ids);
  Gather(out.episode_step, b.episode_step, ids);
  Gather(out.cost_usd, b.cost_usd, ids);
  Gather(out.episode_return, b.episode_return, ids);
  Gather(out.autoreset, b.autoreset, ids);
  Gather(out.final_observation, b.final_observation, ids);
  Gather(out.policy_cost, b.policy_cost, ids);
  if (shape_ != nullptr) {
    GatherRows(out.numeric_observation, numeric_obs_.data(), shape_->obs_bytes(), ids);
    GatherRows(out.final_numeric_observation, numeric_final_obs_.data(), shape_->obs_bytes(), ids);
  }
  *count = want;
  return first_error;
}

}  // namespace agentos
