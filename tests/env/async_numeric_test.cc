// Specification of async mode (AsyncSend / AsyncRecv) for numeric tasks:
// a sent env steps with its own discrete or numeric action, recv hands back
// its numeric observation row, and each env's CartPole trajectory under a
// state-dependent numeric policy is the one Step gives it, whatever the
// batch size and thread count.
#include <catch2/catch.hpp>

#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "env/task_api.h"
#include "env/task_registry.h"
#include "env/vector_env.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

constexpr std::size_t kObsDim = 4;  // CartPole: x, x_dot, theta, theta_dot (float32)

// Only left pushes while the cart moves right faster than 0.3 m/s: blocks
// depend on the state at the moment the env steps.
std::shared_ptr<const KernelSpace> ZoneKernel() {
  std::shared_ptr<const KernelSpace> kernel;
  const Status s = LoadKernelFromYaml(
      "version: 1\npolicies:\n  - name: slow_right\n    type: numeric\n    severity: low\n"
      "    rules:\n      - {state_index: 1, above: 0.3, action_min: 0, action_max: 0}\n",
      "k", &kernel);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return kernel;
}

std::unique_ptr<VectorEnv> MakeEnv(std::string_view spec, std::size_t n, unsigned threads, std::size_t batch,
                                   AutoresetMode autoreset, std::shared_ptr<const KernelSpace> kernel) {
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeTaskFactoryFromJson(spec, &factory);
  REQUIRE(s.ok());
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = threads;
  c.batch_size = batch;
  c.env.max_steps = 25;  // truncations too, not only falls
  c.env.autoreset = autoreset;
  std::unique_ptr<VectorEnv> env;
  s = VectorEnv::Create(std::move(kernel), c, *factory, &env);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return env;
}

// Env e's t-th CartPole action: runs of 2 to 4 equal pushes, differing per
// env, so the cart gathers speed (and meets the policy) and the pole falls
// in some episodes but not all.
std::int64_t ActionFor(std::size_t e, std::size_t t) { return static_cast<std::int64_t>((t / (2 + e % 3) + e) % 2); }

// One row of an env's trajectory, as text so a mismatch prints readably.
std::string RowText(const float* obs, const float* final_obs, double reward, int term, int trunc, int exec, int reset,
                    std::uint32_t step) {
  std::string s;
  for (std::size_t j = 0; j < kObsDim; ++j) s += std::to_string(obs[j]) + " ";
  if (reset) {
    s += "final ";
    for (std::size_t j = 0; j < kObsDim; ++j) s += std::to_string(final_obs[j]) + " ";
  }
  return s + "r=" + std::to_string(reward) + " term=" + std::to_string(term) + " trunc=" + std::to_string(trunc) +
         " exec=" + std::to_string(exec) + " reset=" + std::to_string(reset) + " step=" + std::to_string(step);
}

using Trajectories = std::vector<std::vector<std::string>>;

Trajectories SyncTrajectories(std::size_t n, std::size_t steps, AutoresetMode mode) {
  auto env = MakeEnv(R"({"type":"cartpole"})", n, 1, 0, mode, ZoneKernel());
  REQUIRE(env->Reset(11).ok());
  Trajectories out(n);
  std::vector<std::int64_t> actions(n);
  const auto* obs = static_cast<const float*>(env->numeric_observations());
  const auto* fin = static_cast<const float*>(env->final_numeric_observations());
  for (std::size_t t = 0; t < steps; ++t) {
    for (std::size_t e = 0; e < n; ++e) actions[e] = ActionFor(e, t);
    BatchActions a;
    a.discrete = actions;
    REQUIRE(env->Step(a).ok());
    const VectorBuffers& b = env->buffers();
    for (std::size_t e = 0; e < n; ++e) {
      out[e].push_back(RowText(obs + e * kObsDim, fin + e * kObsDim, b.reward[e], b.terminated[e], b.truncated[e],
                               b.executed[e], b.autoreset[e], b.episode_step[e]));
    }
  }
  return out;
}

// Every received env is sent again at once with its next action, so envs
// drift apart in step count and land in ever different batches.
Trajectories AsyncTrajectories(std::size_t n, std::size_t steps, unsigned threads, std::size_t batch,
                               AutoresetMode mode) {
  auto env = MakeEnv(R"({"type":"cartpole"})", n, threads, batch, mode, ZoneKernel());
  REQUIRE(env->Reset(11).ok());
  Trajectories out(n);
  auto send = [&](const std::uint32_t* ids, std::size_t count) {
    std::vector<std::uint32_t> go;
    std::vector<std::int64_t> actions;
    for (std::size_t k = 0; k < count; ++k) {
      if (out[ids[k]].size() >= steps) continue;
      go.push_back(ids[k]);
      actions.push_back(ActionFor(ids[k], out[ids[k]].size()));
    }
    if (go.empty()) return;
    BatchActions a;
    a.discrete = actions;
    const Status s = env->AsyncSend(go, a);
    INFO(s.ToString());
    REQUIRE(s.ok());
  };
  std::vector<std::uint32_t> all(n);
  std::iota(all.begin(), all.end(), 0u);
  send(all.data(), n);
  const std::size_t cap = batch == 0 ? n : batch;
  std::vector<std::uint32_t> id(cap);
  std::vector<float> obs(cap * kObsDim), fin(cap * kObsDim);
  std::vector<double> reward(cap);
  std::vector<std::uint8_t> term(cap), trunc(cap), exec(cap), reset(cap);
  std::vector<std::uint32_t> step(cap);
  RecvRows rows;
  rows.capacity = cap;
  rows.env_id = id.data();
  rows.numeric_observation = obs.data();
  rows.final_numeric_observation = fin.data();
  rows.reward = reward.data();
  rows.terminated = term.data();
  rows.truncated = trunc.data();
  rows.executed = exec.data();
  rows.autoreset = reset.data();
  rows.episode_step = step.data();
  while (env->in_flight() > 0) {
    std::size_t count = 0;
    REQUIRE(env->AsyncRecv(rows, &count).ok());
    for (std::size_t k = 0; k < count; ++k) {
      out[id[k]].push_back(RowText(obs.data() + k * kObsDim, fin.data() + k * kObsDim, reward[k], term[k], trunc[k],
                                   exec[k], reset[k], step[k]));
    }
    send(id.data(), count);
  }
  return out;
}

int RowsWith(const Trajectories& t, const char* text) {
  int k = 0;
  for (const auto& env : t) {
    for (const auto& row : env) k += row.find(text) != std::string::npos ? 1 : 0;
  }
  return k;
}

// Counts its steps into a float64 observation: obs = sum of a0 + a1.
class Counter final : public NumericTask {
 public:
  Status Reset(std::uint64_t, void* obs) override {
    n_ = 0;
    std::memcpy(obs, &n_, sizeof n_);
    return Status::Ok();
  }
  NumericStep Step(std::span<const double> action, void* obs) override {
    n_ += action[0] + action[1];
    std::memcpy(obs, &n_, sizeof n_);
    return {};
  }

 private:
  double n_ = 0;
};

}  // namespace

TEST_CASE("async numeric: each CartPole env's trajectory equals Step's, whatever the batch size and thread count") {
  const std::size_t n = 9, steps = 120;
  for (AutoresetMode mode : {AutoresetMode::kNextStep, AutoresetMode::kSameStep}) {
    const Trajectories sync = SyncTrajectories(n, steps, mode);
    // Falls, truncations, autoresets and blocked pushes are all part of it.
    INFO("falls " << RowsWith(sync, "term=1") << ", truncations " << RowsWith(sync, "trunc=1") << ", blocked "
                  << RowsWith(sync, "exec=0 reset=0"));
    CHECK(RowsWith(sync, "term=1") > 5);
    CHECK(RowsWith(sync, "trunc=1") > 5);
    CHECK(RowsWith(sync, "reset=1") > 10);
    CHECK(RowsWith(sync, "exec=0 reset=0") > 5);
    for (unsigned threads : {1u, 2u}) {
      for (std::size_t batch : {std::size_t{1}, std::size_t{4}, n}) {
        INFO("autoreset " << static_cast<int>(mode) << ", threads " << threads << ", batch_size " << batch);
        CHECK(AsyncTrajectories(n, steps, threads, batch, mode) == sync);
      }
    }
  }
}

TEST_CASE("async numeric: continuous actions reach the task and recv returns float64 rows") {
  TaskShape shape;
  shape.obs_dim = 1;
  shape.obs_dtype = ObsDtype::kFloat64;
  shape.action_type = ActionSpaceType::kContinuous;
  shape.action_dim = 2;
  REQUIRE(RegisterTask("counter_async", shape, [](std::string_view, std::unique_ptr<NumericTask>* out) {
            *out = std::make_unique<Counter>();
            return Status::Ok();
          }).ok());
  auto env = MakeEnv(R"({"type":"counter_async"})", 3, 2, 2, AutoresetMode::kNextStep, KernelSpace::AllowAll());
  REQUIRE(env->Reset(0).ok());
  const std::vector<std::uint32_t> ids = {2, 0};
  const std::vector<double> values = {1, 2, 10, 20};  // env 2: 1 + 2; env 0: 10 + 20
  BatchActions a;
  a.numeric = values;
  REQUIRE(env->AsyncSend(ids, a).ok());
  std::uint32_t id[2];
  double obs[2];
  RecvRows rows;
  rows.capacity = 2;
  rows.env_id = id;
  rows.numeric_observation = obs;
  std::size_t count = 0;
  REQUIRE(env->AsyncRecv(rows, &count).ok());
  REQUIRE(count == 2);
  for (std::size_t k = 0; k < 2; ++k) CHECK(obs[k] == (id[k] == 2 ? 3.0 : 30.0));
  const auto* all = static_cast<const double*>(env->numeric_observations());
  CHECK(all[0] == 30.0);
  CHECK(all[1] == 0.0);  // not sent
  CHECK(all[2] == 3.0);
}

TEST_CASE("async numeric: bad numeric sends are refused and change nothing") {
  auto env = MakeEnv(R"({"type":"cartpole"})", 4, 2, 2, AutoresetMode::kNextStep, KernelSpace::AllowAll());
  REQUIRE(env->Reset(0).ok());
  const std::vector<std::uint32_t> ids = {1, 3};
  const std::vector<std::int64_t> three = {0, 1, 0};
  BatchActions wrong_count;
  wrong_count.discrete = three;
  Status s = env->AsyncSend(ids, wrong_count);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message() == "send: discrete actions must have 2 entries (one per env), got 3");

  const std::string text = "01";
  const std::vector<std::uint64_t> offsets = {0, 1, 2};
  BatchActions text_actions;
  text_actions.bytes = text;
  text_actions.offsets = offsets;
  s = env->AsyncSend(ids, text_actions);
  CHECK(s.message() == "send: a numeric task takes exactly one of discrete and numeric actions");

  const std::vector<std::int64_t> two = {0, 1};
  const std::vector<std::uint8_t> kinds = {0, 0};
  BatchActions with_kinds;
  with_kinds.discrete = two;
  with_kinds.kinds = kinds;
  s = env->AsyncSend(ids, with_kinds);
  CHECK(s.message() == "send: kinds must be absent for a numeric task: its actions are numeric");
  CHECK(env->in_flight() == 0);
}

TEST_CASE("async numeric: a text task refuses discrete actions on send") {
  std::unique_ptr<TaskFactory> factory;
  REQUIRE(MakeTaskFactoryFromJson(R"({"type":"noop"})", &factory).ok());
  VectorEnvConfig c;
  c.num_envs = 2;
  std::unique_ptr<VectorEnv> env;
  REQUIRE(VectorEnv::Create(KernelSpace::AllowAll(), c, *factory, &env).ok());
  REQUIRE(env->Reset(0).ok());
  const std::vector<std::uint32_t> ids = {0};
  const std::vector<std::int64_t> one = {1};
  const std::vector<std::uint64_t> offsets = {0, 0};
  BatchActions a;
  a.offsets = offsets;
  a.discrete = one;
  const Status s = env->AsyncSend(ids, a);
  CHECK(s.message() == "send: numeric actions for a text task");
  CHECK(env->in_flight() == 0);
}
