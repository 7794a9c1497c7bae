// Specification of numeric tasks (env/task_api.h) in the engine: the
// registry, the task spec, the VectorEnv's numeric observation buffer and
// numeric actions, shielding, SAME_STEP's terminal observation, the safety
// cost, and thread-count independence.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "env/cartpole_task.h"
#include "env/task_api.h"
#include "env/task_registry.h"
#include "env/vector_env.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

std::unique_ptr<VectorEnv> MakeEnv(std::string_view spec, std::size_t n, unsigned threads = 1,
                                   std::shared_ptr<const KernelSpace> kernel = KernelSpace::AllowAll(),
                                   AutoresetMode autoreset = AutoresetMode::kNextStep) {
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeTaskFactoryFromJson(spec, &factory);
  INFO(s.ToString());
  REQUIRE(s.ok());
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = threads;
  c.min_envs_per_thread = 8;
  c.env.max_steps = 500;
  c.env.autoreset = autoreset;
  std::unique_ptr<VectorEnv> env;
  s = VectorEnv::Create(std::move(kernel), c, *factory, &env);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return env;
}

const float* Obs(const VectorEnv& env) { return static_cast<const float*>(env.numeric_observations()); }

Status StepDiscrete(VectorEnv& env, const std::vector<std::int64_t>& actions) {
  BatchActions a;
  a.discrete = actions;
  return env.Step(a);
}

// A task that counts its steps into a float64 observation.
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
    NumericStep s;
    s.reward = 1;
    return s;
  }

 private:
  double n_ = 0;
};

}  // namespace

TEST_CASE("task api: a registered task is a task spec type, with its shape") {
  TaskShape shape;
  shape.obs_dim = 1;
  shape.obs_dtype = ObsDtype::kFloat64;
  shape.action_type = ActionSpaceType::kContinuous;
  shape.action_dim = 2;
  REQUIRE(RegisterTask("counter_cc", shape, [](std::string_view params, std::unique_ptr<NumericTask>* out) {
            if (params != "{}") return Status::ParseError("counter_cc takes no parameters");
            *out = std::make_unique<Counter>();
            return Status::Ok();
          }).ok());
  CHECK(RegisterTask("counter_cc", shape, nullptr).code() == Status::Code::kInvalidArgument);
  REQUIRE(RegisteredTaskShape("counter_cc") != nullptr);
  CHECK(RegisteredTaskShape("counter_cc")->action_dim == 2);

  auto env = MakeEnv(R"({"type":"counter_cc"})", 2);
  REQUIRE(env->Reset(0).ok());
  const std::vector<double> actions = {1, 2, 10, 20};
  BatchActions a;
  a.numeric = actions;
  REQUIRE(env->Step(a).ok());
  const auto* obs = static_cast<const double*>(env->numeric_observations());
  CHECK(obs[0] == 3.0);
  CHECK(obs[1] == 30.0);
  BatchActions wrong;
  wrong.numeric = std::span<const double>(actions).first(3);
  CHECK(env->Step(wrong).code() == Status::Code::kInvalidArgument);
  CHECK(obs[0] == 3.0);  // nothing moved

  std::unique_ptr<TaskFactory> f;
  const Status bad = MakeTaskFactoryFromJson(R"({"type":"counter_cc","x":1})", &f);
  CHECK(bad.code() == Status::Code::kParseError);
  const Status unknown = MakeTaskFactoryFromJson(R"({"type":"nope"})", &f);
  CHECK(unknown.message().find("unknown type 'nope' (known: sql, external, noop, cartpole") != std::string::npos);
}

TEST_CASE("task api: bad shapes and names are refused") {
  TaskShape shape;  // obs_dim 0
  auto make = [](std::string_view, std::unique_ptr<NumericTask>* out) {
    *out = std::make_unique<Counter>();
    return Status::Ok();
  };
  CHECK(RegisterTask("zero_dim", shape, make).message() == "task shape: obs_dim must be >= 1");
  shape.obs_dim = 1;
  shape.num_actions = 2;
  CHECK(RegisterTask("noop", shape, make).message() == "task name 'noop' is built in");
  CHECK_FALSE(RegisterTask("Upper", shape, make).ok());
  shape.obs_low = {0.0};
  CHECK_FALSE(RegisterTask("half_bounds", shape, make).ok());
}

TEST_CASE("cartpole: observations land in the numeric buffer; obs column is -1") {
  auto env = MakeEnv(R"({"type":"cartpole","initial_state":[0.5,0,0,0]})", 3);
  REQUIRE(env->numeric_shape() != nullptr);
  CHECK(env->numeric_shape()->obs_dim == 4);
  REQUIRE(env->Reset(0).ok());
  CHECK(Obs(*env)[0] == 0.5f);
  CHECK(Obs(*env)[8] == 0.5f);
  CHECK(env->buffers().observation[0] == -1);
  REQUIRE(StepDiscrete(*env, {1, 0, 1}).ok());
  // x_dot after one push: +-tau * xacc; right (1) and left (0) mirror each other.
  CHECK(Obs(*env)[1] > 0.19f);
  CHECK(Obs(*env)[5] < -0.19f);
  CHECK(Obs(*env)[1] == -Obs(*env)[5]);
  CHECK(env->buffers().reward[0] == 1.0);
}

TEST_CASE("cartpole: text actions, kinds and out-of-space values are refused or task errors") {
  auto env = MakeEnv(R"({"type":"cartpole"})", 2);
  REQUIRE(env->Reset(0).ok());
  BatchActions text;
  const std::vector<std::uint64_t> offsets = {0, 1, 2};
  text.bytes = "ab";
  text.offsets = offsets;
  CHECK(env->Step(text).code() == Status::Code::kInvalidArgument);
  const std::vector<double> x(2, 0.0);
  BatchActions both;
  both.numeric = x;
  const std::vector<std::int64_t> d = {0, 1};
  both.discrete = d;
  CHECK(env->Step(both).code() == Status::Code::kInvalidArgument);
  const float before = Obs(*env)[0];
  REQUIRE(StepDiscrete(*env, {2, -1}).ok());
  CHECK(env->buffers().task_error[0] == 1);
  CHECK(env->buffers().task_error[1] == 1);
  CHECK(Obs(*env)[0] == before);
}

TEST_CASE("cartpole: a blocked action leaves the observation and earns the penalty") {
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromYaml("version: 1\npolicies:\n  - name: left_only\n    type: numeric\n    severity: low\n"
                             "    rules:\n      - {action_min: 0, action_max: 0}\n",
                             "k", &kernel)
              .ok());
  auto env = MakeEnv(R"({"type":"cartpole"})", 2, 1, kernel);
  REQUIRE(env->Reset(0).ok());
  std::vector<float> before(Obs(*env), Obs(*env) + 8);
  REQUIRE(StepDiscrete(*env, {0, 1}).ok());
  CHECK(env->buffers().executed[0] == 1);
  CHECK(env->buffers().executed[1] == 0);
  CHECK(std::memcmp(before.data() + 4, Obs(*env) + 4, 16) == 0);
  CHECK(env->buffers().reward[1] == -1.0);
  CHECK(env->buffers().policy_cost[1] == 1.0);
}

TEST_CASE("cartpole: the safety cost joins the policy cost, not the reward") {
  auto env = MakeEnv(R"({"type":"cartpole","safety_zone":0.5,"safety_cost":0.25,"initial_state":[0.6,0,0,0]})", 1);
  REQUIRE(env->Reset(0).ok());
  REQUIRE(StepDiscrete(*env, {1}).ok());
  CHECK(env->buffers().reward[0] == 1.0);
  CHECK(env->buffers().policy_cost[0] == 0.25);
}

TEST_CASE("cartpole: SAME_STEP keeps the terminal observation in the final buffer") {
  // x = 2.39 moving right at 1 m/s: the first step crosses 2.4.
  auto env = MakeEnv(R"({"type":"cartpole","initial_state":[2.39,1,0,0]})", 1, 1, KernelSpace::AllowAll(),
                     AutoresetMode::kSameStep);
  REQUIRE(env->Reset(0).ok());
  REQUIRE(StepDiscrete(*env, {1}).ok());
  CHECK(env->buffers().terminated[0] == 1);
  CHECK(env->buffers().autoreset[0] == 1);
  const auto* final_obs = static_cast<const float*>(env->final_numeric_observations());
  CHECK(final_obs[0] == static_cast<float>(2.39 + 0.02 * 1.0));
  CHECK(Obs(*env)[0] == 2.39f);  // the next episode's first observation
}

TEST_CASE("cartpole: results do not depend on the number of threads") {
  auto one = MakeEnv(R"({"type":"cartpole"})", 64, 1);
  auto two = MakeEnv(R"({"type":"cartpole"})", 64, 2);
  REQUIRE(one->Reset(9).ok());
  REQUIRE(two->Reset(9).ok());
  std::vector<std::int64_t> actions(64);
  for (int t = 0; t < 300; ++t) {
    for (std::size_t i = 0; i < actions.size(); ++i) actions[i] = static_cast<std::int64_t>((i * 7 + t * 3) % 5 < 2);
    REQUIRE(StepDiscrete(*one, actions).ok());
    REQUIRE(StepDiscrete(*two, actions).ok());
    REQUIRE(std::memcmp(Obs(*one), Obs(*two), 64 * 4 * sizeof(float)) == 0);
  }
  CHECK(one->Metrics().counters.episodes == two->Metrics().counters.episodes);
  CHECK(one->Metrics().counters.episodes > 64);
}
