// agentos_env.h: governed vector environments over the C boundary.
#include <array>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "env/observation_chat.h"
#include "env/signals.h"
#include "env/task_registry.h"
#include "env/vector_env.h"

using agentos::Status;
using agentos::VectorEnv;
using agentos::capi::Fail;
using agentos::capi::FromStatus;
using agentos::capi::Guard;
using agentos::capi::ToView;

struct agentos_venv {
  // The factory outlives the env: tasks may share data it owns.
  std::unique_ptr<agentos::TaskFactory> factory;
  std::unique_ptr<VectorEnv> env;
  std::vector<std::string> slot_names;  // NUL-terminated policy slot names
  agentos::ObservationChat chat;         // agentos_venv_observation_chat's buffers
};

namespace {

constexpr const char* kSignalNames[] = {"SIGSTOP", "SIGCONT", "SIGKILL", "SIGTERM", "SIGPOLICY", "SIGBUDGET"};
static_assert(sizeof(kSignalNames) / sizeof(kSignalNames[0]) == agentos::kSignalCount);
static_assert(AGENTOS_SIGSTOP == agentos::Bit(agentos::Signal::kStop));
static_assert(AGENTOS_SIGCONT == agentos::Bit(agentos::Signal::kCont));
static_assert(AGENTOS_SIGKILL == agentos::Bit(agentos::Signal::kKill));
static_assert(AGENTOS_SIGTERM == agentos::Bit(agentos::Signal::kTerm));
static_assert(AGENTOS_SIGPOLICY == agentos::Bit(agentos::Signal::kPolicy));
static_assert(AGENTOS_SIGBUDGET == agentos::Bit(agentos::Signal::kBudget));
static_assert(AGENTOS_SIGNAL_COUNT == agentos::kSignalCount);
static_assert(AGENTOS_CHAT_SYSTEM == static_cast<int>(agentos::ChatRole::kSystem));
static_assert(AGENTOS_CHAT_USER == static_cast<int>(agentos::ChatRole::kUser));
static_assert(AGENTOS_AUTORESET_NEXT_STEP == static_cast<int>(agentos::AutoresetMode::kNextStep));
static_assert(AGENTOS_AUTORESET_SAME_STEP == static_cast<int>(agentos::AutoresetMode::kSameStep));
static_assert(AGENTOS_AUTORESET_DISABLED == static_cast<int>(agentos::AutoresetMode::kDisabled));

// Idle workers spinning longer than this would burn a core between batches
// for no latency a trainer could notice.
constexpr uint32_t kMaxSpinMicros = 1000000;

int NullArg(const char* fn, const char* what) { return Fail(AGENTOS_INVALID, std::string(fn) + ": " + what + " is NULL"); }

int Invalid(const char* fn, const std::string& msg) { return Fail(AGENTOS_INVALID, std::string(fn) + ": " + msg); }

agentos::RewardConfig RewardOf(const agentos_env_config& c) {
  agentos::RewardConfig r;
  r.critical = c.critical_penalty;
  r.high = c.high_penalty;
  r.medium = c.medium_penalty;
  r.low = c.low_penalty;
  r.clean_bonus = c.clean_bonus;
  r.step_penalty = c.step_penalty;
  r.min_reward = c.min_reward;
  r.max_reward = c.max_reward;
  r.penalties_in_reward = c.penalties_in_reward == 1;
  return r;
}

int CheckStructSize(const char* fn, const agentos_env_config& c) {
  if (c.struct_size == sizeof(agentos_env_config)) return AGENTOS_OK;
  return Invalid(fn, "config.struct_size is " + std::to_string(c.struct_size) + ", expected " +
                         std::to_string(sizeof(agentos_env_config)) +
                         " (call agentos_env_config_init; a caller built against another agentos?)");
}

// Converts and checks a C config; returns AGENTOS_OK or an error code.
int ToConfig(const char* fn, const agentos_env_config& c, agentos::VectorEnvConfig* out) {
  if (int code = CheckStructSize(fn, c); code != AGENTOS_OK) return code;
  if (c.terminate_on_critical != 0 && c.terminate_on_critical != 1) {
    return Invalid(fn, "config.terminate_on_critical must be 0 or 1");
  }
  if (c.keep_results != 0 && c.keep_results != 1) return Invalid(fn, "config.keep_results must be 0 or 1");
  if (c.penalties_in_reward != 0 && c.penalties_in_reward != 1) {
    return Invalid(fn, "config.penalties_in_reward must be 0 or 1");
  }
  if (c.text_observations != 0 && c.text_observations != 1) {
    return Invalid(fn, "config.text_observations must be 0 or 1");
  }
  if (c.autoreset < AGENTOS_AUTORESET_NEXT_STEP || c.autoreset > AGENTOS_AUTORESET_DISABLED) {
    return Invalid(fn, "config.autoreset must be an AGENTOS_AUTORESET_* value, got " + std::to_string(c.autoreset));
  }
  if (c.default_action_kind < 0 || c.default_action_kind >= agentos::kActionKindCount) {
    return Invalid(fn, "config.default_action_kind must be an AGENTOS_ACTION_* value, got " +
                           std::to_string(c.default_action_kind));
  }
  if (c.spin_us > kMaxSpinMicros) {
    return Invalid(fn, "config.spin_us must be <= " + std::to_string(kMaxSpinMicros) + " (1 s), got " +
                           std::to_string(c.spin_us));
  }
  if (!(std::isfinite(c.max_cost_usd) && c.max_cost_usd >= 0)) {
    return Invalid(fn, "config.max_cost_usd must be finite and >= 0 (0 = no budget)");
  }
  std::string_view agent_id;
  if (!ToView(c.agent_id, c.agent_id_len, &agent_id)) {
    return Invalid(fn, "config.agent_id is NULL with a non-zero length");
  }
  agentos::VectorEnvConfig v;
  v.num_envs = c.num_envs;
  v.num_threads = c.num_threads;
  v.seed = c.seed;
  v.keep_results = c.keep_results == 1;
  v.text_observations = c.text_observations == 1;
  v.min_envs_per_thread = c.min_envs_per_thread;
  v.spin_us = c.spin_us;
  v.default_kind = static_cast<agentos::ActionKind>(c.default_action_kind);
  v.batch_size = c.batch_size;
  agentos::EnvironmentConfig& e = v.env;
  e.max_steps = c.max_steps;
  e.terminate_on_critical = c.terminate_on_critical == 1;
  e.autoreset = static_cast<agentos::AutoresetMode>(c.autoreset);
  e.reward = RewardOf(c);
  if (c.max_cost_usd > 0) e.max_cost_usd = c.max_cost_usd;
  e.max_action_bytes = c.max_action_bytes;
  if (!agent_id.empty()) e.agent_id = std::string(agent_id);
  e.audit_sink = agentos::capi::RecorderSinkOf(c.recorder);
  *out = std::move(v);
  return AGENTOS_OK;
}

bool ValidEnv(const char* fn, const agentos_venv* venv, size_t env, int* code) {
  if (venv == nullptr) {
    *code = NullArg(fn, "venv");
    return false;
  }
  if (env >= venv->env->num_envs()) {
    *code = Invalid(fn, "env index " + std::to_string(env) + " out of range [0, " +
                            std::to_string(venv->env->num_envs()) + ")");
    return false;
  }
  return true;
}

template <typename T>
std::span<const T> Opt(const T* p, size_t n) {
  return p == nullptr ? std::span<const T>() : std::span<const T>(p, n);
}

// n rows of actions (step: n = num_envs; send: one per env id) and their
// optional extras as a BatchActions over the caller's memory.
int ToBatch(const char* fn, const char* bytes, size_t bytes_len, const uint64_t* offsets, size_t n,
            const agentos_step_extras* extras, agentos::BatchActions* out) {
  if (offsets == nullptr) return NullArg(fn, "offsets");
  agentos::BatchActions& a = *out;
  if (!ToView(bytes, bytes_len, &a.bytes)) return Invalid(fn, "bytes is NULL with a non-zero length");
  a.offsets = std::span<const uint64_t>(offsets, n + 1);
  if (extras == nullptr) return AGENTOS_OK;
  const agentos_step_extras& x = *extras;
  int code = AGENTOS_OK;
  if (!agentos::capi::SizeOk(fn, "extras", x, &code)) return code;
  if (!ToView(x.tool_bytes, x.tool_bytes_len, &a.tool_bytes)) {
    return Invalid(fn, "extras.tool_bytes is NULL with a non-zero length");
  }
  if (x.tool_offsets == nullptr && x.tool_bytes_len != 0) {
    return Invalid(fn, "extras.tool_bytes is given without extras.tool_offsets");
  }
  a.tool_offsets = Opt(x.tool_offsets, n + 1);
  a.kinds = Opt(x.kinds, n);
  a.cost_usd = Opt(x.cost_usd, n);
  a.tokens = Opt(x.tokens, n);
  a.external_reward = Opt(x.external_reward, n);
  a.external_success = Opt(x.external_success, n);
  a.external_done = Opt(x.external_done, n);
  return AGENTOS_OK;
}

// Readers of one env's state refuse an env a worker may be stepping.
bool Idle(const char* fn, const agentos_venv* venv, size_t env, int* code) {
  if (!venv->env->in_flight(env)) return true;
  *code = Fail(AGENTOS_STATE, std::string(fn) + ": env " + std::to_string(env) +
                                  " is in flight (sent and not yet received); recv it first");
  return false;
}

// Readers of every env's counters refuse while any env is in flight.
bool AllIdle(const char* fn, const agentos_venv* venv, int* code) {
  const size_t n = venv->env->in_flight();
  if (n == 0) return true;
  *code = Fail(AGENTOS_STATE, std::string(fn) + ": " + std::to_string(n) +
                                  " env(s) in flight (sent and not yet received); recv them first");
  return false;
}

}  // namespace

extern "C" {

AGENTOS_API int agentos_env_config_init(agentos_env_config* config) {
  return Guard([&] {
    if (config == nullptr) return NullArg("agentos_env_config_init", "config");
    const agentos::VectorEnvConfig v;
    agentos_env_config c{};
    c.struct_size = sizeof(agentos_env_config);
    c.num_envs = static_cast<uint32_t>(v.num_envs);
    c.num_threads = v.num_threads;
    c.max_steps = v.env.max_steps;
    c.seed = v.seed;
    c.terminate_on_critical = v.env.terminate_on_critical ? 1 : 0;
    c.autoreset = static_cast<int32_t>(v.env.autoreset);
    c.default_action_kind = static_cast<int32_t>(v.default_kind);
    c.keep_results = v.keep_results ? 1 : 0;
    c.critical_penalty = v.env.reward.critical;
    c.high_penalty = v.env.reward.high;
    c.medium_penalty = v.env.reward.medium;
    c.low_penalty = v.env.reward.low;
    c.clean_bonus = v.env.reward.clean_bonus;
    c.step_penalty = v.env.reward.step_penalty;
    c.min_reward = v.env.reward.min_reward;
    c.max_reward = v.env.reward.max_reward;
    c.max_cost_usd = 0.0;
    c.max_action_bytes = v.env.max_action_bytes;
    c.min_envs_per_thread = static_cast<uint32_t>(v.min_envs_per_thread);
    c.spin_us = v.spin_us;
    c.agent_id = nullptr;
    c.agent_id_len = 0;
    c.recorder = nullptr;
    c.penalties_in_reward = v.env.reward.penalties_in_reward ? 1 : 0;
    c.batch_size = static_cast<uint32_t>(v.batch_size);
    c.text_observations = v.text_observations ? 1 : 0;
    *config = c;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_create(const agentos_kernel* kernel, const agentos_env_config* config,
                                    const char* task_spec, size_t task_spec_len, agentos_venv** out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_create";
    if (out == nullptr) return NullArg(fn, "out");
    if (kernel == nullptr) return NullArg(fn, "kernel");
    if (config == nullptr) return NullArg(fn, "config");
    std::string_view spec;
    if (!ToView(task_spec, task_spec_len, &spec)) return Invalid(fn, "task_spec is NULL with a non-zero length");
    agentos::VectorEnvConfig vc;
    if (int code = ToConfig(fn, *config, &vc); code != AGENTOS_OK) return code;
    if (Status s = vc.Validate(); !s.ok()) {
      return Invalid(fn, "config: " + s.message());
    }
    auto handle = std::make_unique<agentos_venv>();
    if (Status s = agentos::MakeTaskFactoryFromJson(spec, &handle->factory); !s.ok()) return FromStatus(s);
    if (Status s = VectorEnv::Create(kernel->space, vc, *handle->factory, &handle->env); !s.ok()) {
      return FromStatus(s);
    }
    const agentos::PolicyIndex& index = handle->env->policy_index();
    handle->slot_names.reserve(index.size());
    for (std::size_t i = 0; i < index.size(); ++i) handle->slot_names.emplace_back(index.name(i));
    *out = handle.release();
    return AGENTOS_OK;
  });
}

AGENTOS_API void agentos_venv_free(agentos_venv* venv) { delete venv; }

AGENTOS_API int agentos_venv_num_envs(const agentos_venv* venv, size_t* count) {
  return Guard([&] {
    if (venv == nullptr) return NullArg("agentos_venv_num_envs", "venv");
    if (count == nullptr) return NullArg("agentos_venv_num_envs", "count");
    *count = venv->env->num_envs();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_reset(agentos_venv* venv, int32_t has_seed, uint64_t seed, const uint8_t* mask) {
  return Guard([&] {
    if (venv == nullptr) return NullArg("agentos_venv_reset", "venv");
    std::optional<uint64_t> s;
    if (has_seed != 0) s = seed;
    return FromStatus(venv->env->Reset(s, Opt(mask, venv->env->num_envs())));
  });
}

AGENTOS_API int agentos_venv_reset_seeds(agentos_venv* venv, const uint64_t* seeds, const uint8_t* has_seed,
                                         const uint8_t* mask) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_reset_seeds";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (seeds == nullptr) return NullArg(fn, "seeds");
    const size_t n = venv->env->num_envs();
    return FromStatus(venv->env->ResetSeeds(std::span<const uint64_t>(seeds, n), Opt(has_seed, n), Opt(mask, n)));
  });
}

AGENTOS_API int agentos_venv_reset_with(agentos_venv* venv, const agentos_reset_options* options) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_reset_with";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (options == nullptr) return NullArg(fn, "options");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "options", *options, &code)) return code;
    const agentos_reset_options& o = *options;
    if (o.seeds != nullptr && o.has_seed != 0) return Invalid(fn, "give either seeds or has_seed/seed, not both");
    if (o.has_seeds != nullptr && o.seeds == nullptr) return Invalid(fn, "has_seeds is given without seeds");
    const size_t n = venv->env->num_envs();
    std::vector<int64_t> unpinned;
    std::span<const int64_t> pins;
    if (o.task_index != nullptr) {
      pins = std::span<const int64_t>(o.task_index, n);
    } else {
      unpinned.assign(n, -1);
      pins = unpinned;
    }
    std::optional<uint64_t> seed;
    if (o.has_seed != 0) seed = o.seed;
    return FromStatus(venv->env->ResetTasks(pins, seed, Opt(o.seeds, n), Opt(o.has_seeds, n), Opt(o.mask, n)));
  });
}

AGENTOS_API int agentos_venv_find_task(const agentos_venv* venv, const char* id, size_t id_len, int64_t* index) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_find_task";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (index == nullptr) return NullArg(fn, "index");
    std::string_view text;
    if (!ToView(id, id_len, &text)) return Invalid(fn, "id is NULL with a non-zero length");
    return FromStatus(venv->env->FindTask(text, index));
  });
}

AGENTOS_API int agentos_venv_step(agentos_venv* venv, const char* bytes, size_t bytes_len, const uint64_t* offsets,
                                  size_t n, const agentos_step_extras* extras) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_step";
    if (venv == nullptr) return NullArg(fn, "venv");
    const size_t envs = venv->env->num_envs();
    if (n != envs) return Invalid(fn, "n is " + std::to_string(n) + " but the venv has " + std::to_string(envs) + " envs");
    agentos::BatchActions a;
    if (int code = ToBatch(fn, bytes, bytes_len, offsets, n, extras, &a); code != AGENTOS_OK) return code;
    return FromStatus(venv->env->Step(a));
  });
}

AGENTOS_API int agentos_venv_send(agentos_venv* venv, const uint32_t* env_ids, size_t n, const char* bytes,
                                  size_t bytes_len, const uint64_t* offsets, const agentos_step_extras* extras) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_send";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (env_ids == nullptr) return NullArg(fn, "env_ids");
    const size_t envs = venv->env->num_envs();
    if (n == 0 || n > envs) {
      return Invalid(fn, "n is " + std::to_string(n) + "; it must be in [1, " + std::to_string(envs) + "] (num_envs)");
    }
    agentos::BatchActions a;
    if (int code = ToBatch(fn, bytes, bytes_len, offsets, n, extras, &a); code != AGENTOS_OK) return code;
    return FromStatus(venv->env->AsyncSend(std::span<const uint32_t>(env_ids, n), a));
  });
}

AGENTOS_API int agentos_venv_recv(agentos_venv* venv, const agentos_recv_rows* out, size_t* count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_recv";
    if (count != nullptr) *count = 0;
    if (venv == nullptr) return NullArg(fn, "venv");
    if (out == nullptr) return NullArg(fn, "out");
    if (count == nullptr) return NullArg(fn, "count");
    // Callers built before the numeric fields were appended pass the older size.
    constexpr size_t kSizeBeforeNumeric = offsetof(agentos_recv_rows, numeric_observation);
    const bool has_numeric = out->struct_size == sizeof(agentos_recv_rows);
    int code = AGENTOS_OK;
    if (!has_numeric && out->struct_size != kSizeBeforeNumeric && !agentos::capi::SizeOk(fn, "out", *out, &code)) {
      return code;
    }
    if (out->env_id == nullptr) return NullArg(fn, "out->env_id");
    agentos::RecvRows rows;
    rows.capacity = out->capacity;
    rows.env_id = out->env_id;
    rows.observation = out->observation;
    rows.reward = out->reward;
    rows.terminated = out->terminated;
    rows.truncated = out->truncated;
    rows.executed = out->executed;
    rows.success = out->success;
    rows.task_error = out->task_error;
    rows.violations = out->violations;
    rows.max_severity = out->max_severity;
    rows.signals = out->signals;
    rows.episode_step = out->episode_step;
    rows.cost_usd = out->cost_usd;
    rows.episode_return = out->episode_return;
    rows.autoreset = out->autoreset;
    rows.final_observation = out->final_observation;
    rows.policy_cost = out->policy_cost;
    if (has_numeric) {
      rows.numeric_observation = out->numeric_observation;
      rows.final_numeric_observation = out->final_numeric_observation;
    }
    return FromStatus(venv->env->AsyncRecv(rows, count));
  });
}

AGENTOS_API int agentos_venv_batch_size(const agentos_venv* venv, size_t* batch_size) {
  return Guard([&] {
    if (venv == nullptr) return NullArg("agentos_venv_batch_size", "venv");
    if (batch_size == nullptr) return NullArg("agentos_venv_batch_size", "batch_size");
    *batch_size = venv->env->batch_size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_in_flight(const agentos_venv* venv, size_t* count) {
  return Guard([&] {
    if (venv == nullptr) return NullArg("agentos_venv_in_flight", "venv");
    if (count == nullptr) return NullArg("agentos_venv_in_flight", "count");
    *count = venv->env->in_flight();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_signal(agentos_venv* venv, size_t env, uint32_t signal) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_signal";
    int code = AGENTOS_OK;
    if (!ValidEnv(fn, venv, env, &code)) return code;
    auto sig = agentos::SignalFromBit(signal);
    if (!sig) return Invalid(fn, "signal " + std::to_string(signal) + " is not one AGENTOS_SIG* bit");
    return FromStatus(venv->env->Send(env, *sig));
  });
}

AGENTOS_API int agentos_venv_would_execute(const agentos_venv* venv, size_t env, const agentos_action* action,
                                           int32_t* would_execute) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_would_execute";
    int code = AGENTOS_OK;
    if (!ValidEnv(fn, venv, env, &code)) return code;
    if (!Idle(fn, venv, env, &code)) return code;
    if (action == nullptr) return NullArg(fn, "action");
    if (would_execute == nullptr) return NullArg(fn, "would_execute");
    agentos::Action a;
    if (!agentos::capi::ToAction(fn, *action, &a, &code)) return code;
    agentos::Decision d;
    *would_execute = venv->env->env(env).WouldExecute(a, d) ? 1 : 0;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_reward(const agentos_env_config* config, double task_reward, const uint32_t* counts,
                               int32_t clean_success, double* reward, double* penalty) {
  return Guard([&] {
    constexpr const char* fn = "agentos_reward";
    if (config == nullptr) return NullArg(fn, "config");
    if (counts == nullptr) return NullArg(fn, "counts");
    if (reward == nullptr) return NullArg(fn, "reward");
    if (int code = CheckStructSize(fn, *config); code != AGENTOS_OK) return code;
    if (!std::isfinite(task_reward)) return Invalid(fn, "task_reward must be finite");
    if (config->penalties_in_reward != 0 && config->penalties_in_reward != 1) {
      return Invalid(fn, "config.penalties_in_reward must be 0 or 1");
    }
    const agentos::RewardConfig rc = RewardOf(*config);
    if (agentos::Status s = rc.Validate(); !s.ok()) return Invalid(fn, s.message());
    std::array<std::uint32_t, agentos::kSeverityCount> n;
    for (int i = 0; i < agentos::kSeverityCount; ++i) n[i] = counts[i];
    *reward = rc.Reward(task_reward, rc.PolicyPenalty(n), clean_success != 0, penalty);
    return AGENTOS_OK;
  });
}

AGENTOS_API const char* agentos_signal_name(uint32_t signal) {
  auto sig = agentos::SignalFromBit(signal);
  return sig ? kSignalNames[agentos::SignalIndex(*sig)] : "";
}

#define AGENTOS_VENV_BUFFER(fn, type, field) \
  AGENTOS_API const type* fn(const agentos_venv* venv) { \
    return venv == nullptr ? nullptr : venv->env->buffers().field.data(); \
  }
AGENTOS_VENV_BUFFER(agentos_venv_observations, int64_t, observation)
AGENTOS_VENV_BUFFER(agentos_venv_rewards, double, reward)
AGENTOS_VENV_BUFFER(agentos_venv_terminated, uint8_t, terminated)
AGENTOS_VENV_BUFFER(agentos_venv_truncated, uint8_t, truncated)
AGENTOS_VENV_BUFFER(agentos_venv_executed, uint8_t, executed)
AGENTOS_VENV_BUFFER(agentos_venv_success, uint8_t, success)
AGENTOS_VENV_BUFFER(agentos_venv_task_error, uint8_t, task_error)
AGENTOS_VENV_BUFFER(agentos_venv_violations, uint32_t, violations)
AGENTOS_VENV_BUFFER(agentos_venv_max_severity, int8_t, max_severity)
AGENTOS_VENV_BUFFER(agentos_venv_signals, uint32_t, signals)
AGENTOS_VENV_BUFFER(agentos_venv_episode_steps, uint32_t, episode_step)
AGENTOS_VENV_BUFFER(agentos_venv_costs, double, cost_usd)
AGENTOS_VENV_BUFFER(agentos_venv_episode_returns, double, episode_return)
AGENTOS_VENV_BUFFER(agentos_venv_autoreset, uint8_t, autoreset)
AGENTOS_VENV_BUFFER(agentos_venv_final_observations, int64_t, final_observation)
AGENTOS_VENV_BUFFER(agentos_venv_policy_costs, double, policy_cost)
#undef AGENTOS_VENV_BUFFER

AGENTOS_API int agentos_venv_observation_text(const agentos_venv* venv, size_t env, const char** text, size_t* len) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_observation_text";
    int code = AGENTOS_OK;
    if (!ValidEnv(fn, venv, env, &code)) return code;
    if (!Idle(fn, venv, env, &code)) return code;
    if (text == nullptr || len == nullptr) return NullArg(fn, "text or len");
    std::string_view t = venv->env->ObservationText(env);
    *text = t.data() == nullptr ? "" : t.data();
    *len = t.size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_observation_texts(const agentos_venv* venv, const char** bytes,
                                               const uint64_t** offsets, size_t* nbytes) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_observation_texts";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (bytes == nullptr || offsets == nullptr || nbytes == nullptr) return NullArg(fn, "bytes, offsets or nbytes");
    if (!venv->env->config().text_observations) {
      return Fail(AGENTOS_STATE, std::string(fn) + ": the venv was created without text_observations");
    }
    const VectorEnv::ObservationTextBuffer t = venv->env->ObservationTexts();
    *bytes = t.bytes.data();
    *offsets = t.offsets.data();
    *nbytes = t.bytes.size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_observation_chat(agentos_venv* venv, agentos_chat* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_observation_chat";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (out == nullptr) return NullArg(fn, "out");
    if (out->struct_size != sizeof(agentos_chat)) {
      return Invalid(fn, "out->struct_size is " + std::to_string(out->struct_size) + ", expected " +
                             std::to_string(sizeof(agentos_chat)));
    }
    agentos::ObservationChat& chat = venv->chat;
    chat.Build(*venv->env);
    out->bytes = chat.bytes().data();
    out->nbytes = chat.bytes().size();
    out->offsets = chat.offsets().data();
    out->roles = chat.roles().data();
    out->num_messages = chat.num_messages();
    out->env_first = chat.env_first().data();
    return AGENTOS_OK;
  });
}

AGENTOS_API const char* agentos_chat_role_name(uint32_t role) {
  // ChatRoleName's views are literals: NUL-terminated.
  if (role >= static_cast<uint32_t>(agentos::kChatRoleCount)) return "";
  return agentos::ChatRoleName(static_cast<agentos::ChatRole>(role)).data();
}

AGENTOS_API int agentos_venv_task_message(const agentos_venv* venv, size_t env, const char** text, size_t* len) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_task_message";
    int code = AGENTOS_OK;
    if (!ValidEnv(fn, venv, env, &code)) return code;
    if (!Idle(fn, venv, env, &code)) return code;
    if (text == nullptr || len == nullptr) return NullArg(fn, "text or len");
    const agentos::StepResult* r = venv->env->LastResult(env);
    if (r == nullptr) return Fail(AGENTOS_STATE, std::string(fn) + ": the venv was created without keep_results");
    std::string_view m = r->task_message();
    *text = m.data() == nullptr ? "" : m.data();
    *len = m.size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_violation_count(const agentos_venv* venv, size_t env, size_t* count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_violation_count";
    int code = AGENTOS_OK;
    if (!ValidEnv(fn, venv, env, &code)) return code;
    if (!Idle(fn, venv, env, &code)) return code;
    if (count == nullptr) return NullArg(fn, "count");
    const agentos::StepResult* r = venv->env->LastResult(env);
    if (r == nullptr) return Fail(AGENTOS_STATE, std::string(fn) + ": the venv was created without keep_results");
    *count = r->decision.violations().size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_violation(const agentos_venv* venv, size_t env, size_t index, agentos_violation* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_violation";
    int code = AGENTOS_OK;
    if (!ValidEnv(fn, venv, env, &code)) return code;
    if (!Idle(fn, venv, env, &code)) return code;
    if (out == nullptr) return NullArg(fn, "out");
    if (!agentos::capi::SizeOk(fn, "out", *out, &code)) return code;
    const agentos::StepResult* r = venv->env->LastResult(env);
    if (r == nullptr) return Fail(AGENTOS_STATE, std::string(fn) + ": the venv was created without keep_results");
    const auto vs = r->decision.violations();
    if (index >= vs.size()) {
      return Invalid(fn, "violation index " + std::to_string(index) + " out of range [0, " + std::to_string(vs.size()) + ")");
    }
    agentos::capi::WriteViolation(vs[static_cast<size_t>(index)], out);
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_metrics(const agentos_venv* venv, agentos_env_metrics* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_metrics";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (out == nullptr) return NullArg(fn, "out");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "out", *out, &code)) return code;
    if (!AllIdle(fn, venv, &code)) return code;
    const agentos::EnvMetrics m = venv->env->Metrics();
    const agentos::EnvCounters& c = m.counters;
    agentos_env_metrics o{};
    o.struct_size = sizeof(agentos_env_metrics);
    o.episodes = c.episodes;
    o.successful_episodes = c.successful_episodes;
    o.episodes_with_violations = c.episodes_with_violations;
    o.steps = c.steps;
    o.executed = c.executed;
    o.blocked = c.blocked;
    o.idle_steps = c.idle_steps;
    o.violations = c.violations;
    o.unattributed_violations = c.unattributed_violations;
    o.task_errors = c.task_errors;
    o.backend_destructive_ops = m.backend_destructive_ops;
    for (int i = 0; i < agentos::kSeverityCount; ++i) o.by_severity[i] = c.by_severity[i];
    for (int i = 0; i < agentos::kSignalCount; ++i) o.signals[i] = c.signals[i];
    o.success_rate = m.success_rate();
    o.violation_rate = m.violation_rate();
    o.clean_rate = m.clean_rate();
    o.violations_per_step = m.violations_per_step();
    o.average_penalty = m.average_penalty();
    o.penalty_sum = c.penalty_sum;
    o.reward_sum = c.reward_sum;
    o.changed_database_episodes = m.changed_state_episodes;
    *out = o;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_policy_slots(const agentos_venv* venv, size_t* count) {
  return Guard([&] {
    if (venv == nullptr) return NullArg("agentos_venv_policy_slots", "venv");
    if (count == nullptr) return NullArg("agentos_venv_policy_slots", "count");
    *count = venv->slot_names.size();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_policy_violations(const agentos_venv* venv, size_t slot, const char** name,
                                               uint64_t* count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_policy_violations";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (slot >= venv->slot_names.size()) {
      return Invalid(fn, "slot " + std::to_string(slot) + " out of range [0, " +
                             std::to_string(venv->slot_names.size()) + ")");
    }
    if (name != nullptr) *name = venv->slot_names[slot].c_str();
    int code = AGENTOS_OK;
    if (count != nullptr && !AllIdle(fn, venv, &code)) return code;
    if (count != nullptr) {
      uint64_t total = 0;
      for (std::size_t i = 0; i < venv->env->num_envs(); ++i) {
        total += venv->env->env(i).policy_violations()[slot];
      }
      *count = total;
    }
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_venv_policy_violations_by_name(const agentos_venv* venv, const char* name, size_t name_len,
                                                       uint64_t* count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_policy_violations_by_name";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (count == nullptr) return NullArg(fn, "count");
    std::string_view want;
    if (!ToView(name, name_len, &want)) return Invalid(fn, "name is NULL with a non-zero length");
    int code = AGENTOS_OK;
    if (!AllIdle(fn, venv, &code)) return code;
    for (std::size_t slot = 0; slot < venv->slot_names.size(); ++slot) {
      if (venv->slot_names[slot] != want) continue;
      uint64_t total = 0;
      for (std::size_t i = 0; i < venv->env->num_envs(); ++i) total += venv->env->env(i).policy_violations()[slot];
      *count = total;
      return AGENTOS_OK;
    }
    return Fail(AGENTOS_NOTFOUND, std::string(fn) + ": no policy named '" + std::string(want) + "'");
  });
}

}  // extern "C"

// ---- numeric tasks ----------------------------------------------------------

namespace {

// The checks agentos_venv_send_discrete and _numeric share; AGENTOS_OK to go on.
int CheckNumericSend(const char* fn, const agentos_venv* venv, const uint32_t* env_ids, size_t n,
                     const void* actions) {
  if (venv == nullptr) return NullArg(fn, "venv");
  if (env_ids == nullptr) return NullArg(fn, "env_ids");
  if (actions == nullptr) return NullArg(fn, "actions");
  if (venv->env->numeric_shape() == nullptr) return Invalid(fn, "the venv's task is not numeric");
  const size_t envs = venv->env->num_envs();
  if (n == 0 || n > envs) {
    return Invalid(fn, "n is " + std::to_string(n) + "; it must be in [1, " + std::to_string(envs) + "] (num_envs)");
  }
  return AGENTOS_OK;
}

}  // namespace

extern "C" {

AGENTOS_API int agentos_venv_numeric_shape(const agentos_venv* venv, agentos_numeric_shape* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_numeric_shape";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (out == nullptr) return NullArg(fn, "out");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "out", *out, &code)) return code;
    const agentos::TaskShape* shape = venv->env->numeric_shape();
    if (shape == nullptr) return Fail(AGENTOS_STATE, std::string(fn) + ": the venv's task is not numeric");
    agentos_numeric_shape s{};
    s.struct_size = sizeof(agentos_numeric_shape);
    s.obs_dim = shape->obs_dim;
    s.obs_dtype = static_cast<int32_t>(shape->obs_dtype);
    s.action_space = static_cast<int32_t>(shape->action_type);
    s.num_actions = shape->num_actions;
    s.action_dim = shape->action_dim;
    s.obs_bounded = shape->obs_low.empty() ? 0 : 1;
    s.action_bounded = shape->action_low.empty() ? 0 : 1;
    s.obs_low = s.obs_bounded ? shape->obs_low.data() : nullptr;
    s.obs_high = s.obs_bounded ? shape->obs_high.data() : nullptr;
    s.action_low = s.action_bounded ? shape->action_low.data() : nullptr;
    s.action_high = s.action_bounded ? shape->action_high.data() : nullptr;
    *out = s;
    return AGENTOS_OK;
  });
}

AGENTOS_API const void* agentos_venv_numeric_observations(const agentos_venv* venv) {
  return venv == nullptr ? nullptr : venv->env->numeric_observations();
}

AGENTOS_API const void* agentos_venv_final_numeric_observations(const agentos_venv* venv) {
  return venv == nullptr ? nullptr : venv->env->final_numeric_observations();
}

AGENTOS_API int agentos_venv_step_discrete(agentos_venv* venv, const int64_t* actions, size_t n) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_step_discrete";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (actions == nullptr) return NullArg(fn, "actions");
    if (venv->env->numeric_shape() == nullptr) return Invalid(fn, "the venv's task is not numeric");
    agentos::BatchActions a;
    a.discrete = std::span<const int64_t>(actions, n);
    return FromStatus(venv->env->Step(a));
  });
}

AGENTOS_API int agentos_venv_step_numeric(agentos_venv* venv, const double* actions, size_t count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_step_numeric";
    if (venv == nullptr) return NullArg(fn, "venv");
    if (actions == nullptr) return NullArg(fn, "actions");
    if (venv->env->numeric_shape() == nullptr) return Invalid(fn, "the venv's task is not numeric");
    agentos::BatchActions a;
    a.numeric = std::span<const double>(actions, count);
    return FromStatus(venv->env->Step(a));
  });
}

AGENTOS_API int agentos_venv_send_discrete(agentos_venv* venv, const uint32_t* env_ids, size_t n,
                                           const int64_t* actions) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_send_discrete";
    if (int code = CheckNumericSend(fn, venv, env_ids, n, actions); code != AGENTOS_OK) return code;
    agentos::BatchActions a;
    a.discrete = std::span<const int64_t>(actions, n);
    return FromStatus(venv->env->AsyncSend(std::span<const uint32_t>(env_ids, n), a));
  });
}

AGENTOS_API int agentos_venv_send_numeric(agentos_venv* venv, const uint32_t* env_ids, size_t n,
                                          const double* actions, size_t count) {
  return Guard([&] {
    constexpr const char* fn = "agentos_venv_send_numeric";
    if (int code = CheckNumericSend(fn, venv, env_ids, n, actions); code != AGENTOS_OK) return code;
    agentos::BatchActions a;
    a.numeric = std::span<const double>(actions, count);
    return FromStatus(venv->env->AsyncSend(std::span<const uint32_t>(env_ids, n), a));
  });
}

}  // extern "C"
