// Instruction counts (under callgrind) of bench_cartpole's three loops, for
// comparing two builds on a busy machine: the bare CartPole loop, the
// VectorEnv over AllowAll and the VectorEnv under the shipped zone policy
// (examples/policies/cartpole_zone.yaml) with a safety zone, 1 thread, the
// same actions as the benchmark. argv: bare|allow|safety, num_envs, batches,
// the policy file. Driven by bench/instructions/cartpole.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

// Relative to this file, so a TREE given to cartpole.sh that predates the
// header still builds with the same actions.
#include "../cartpole_actions.h"
#include "env/task_registry.h"
#include "env/vector_env.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

constexpr std::size_t kRows = 64;


int Bare(std::size_t n, long batches, const std::vector<std::int64_t>& actions) {
  std::unique_ptr<TaskFactory> factory;
  if (!MakeTaskFactoryFromJson(R"({"type":"cartpole"})", &factory).ok()) return 2;
  std::vector<std::unique_ptr<Task>> tasks(n);
  for (auto& t : tasks) {
    if (!factory->Make(&t).ok()) return 2;
  }
  std::vector<float> obs(n * 4);
  for (std::size_t i = 0; i < n; ++i) {
    tasks[i]->BindObservation(&obs[i * 4], &obs[i * 4]);
    (void)tasks[i]->Reset(i);
  }
  std::vector<double> reward(n);
  Action action;
  action.kind = ActionKind::kNumeric;
  StepInput input;
  input.action = &action;
  std::size_t row = 0;
  for (long b = 0; b < batches; ++b) {
    const std::int64_t* a = &actions[row * n];
    for (std::size_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(a[i]);
      action.values = {&v, 1};
      const TaskOutcome o = tasks[i]->Execute(input);
      reward[i] = o.reward;
      if (o.done) (void)tasks[i]->Reset(i + row);
    }
    row = (row + 1) % kRows;
  }
  std::printf("bare reward[0]=%g\n", reward[0]);
  return 0;
}

int Governed(std::shared_ptr<const KernelSpace> kernel, const char* spec, std::size_t n, long batches,
             const std::vector<std::int64_t>& actions) {
  VectorEnvConfig config;
  config.num_envs = n;
  config.num_threads = 1;
  config.env.max_steps = 500;
  std::unique_ptr<TaskFactory> factory;
  if (!MakeTaskFactoryFromJson(spec, &factory).ok()) return 2;
  std::unique_ptr<VectorEnv> env;
  if (!VectorEnv::Create(std::move(kernel), config, *factory, &env).ok()) return 3;
  if (!env->Reset(0).ok()) return 4;
  std::size_t row = 0;
  for (long b = 0; b < batches; ++b) {
    BatchActions a;
    a.discrete = std::span<const std::int64_t>(&actions[row * n], n);
    if (!env->Step(a).ok()) return 5;
    row = (row + 1) % kRows;
  }
  const EnvMetrics m = env->Metrics();
  std::printf("governed steps=%llu blocked=%llu\n", static_cast<unsigned long long>(m.counters.steps),
              static_cast<unsigned long long>(m.counters.blocked));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s bare|allow|safety NUM_ENVS BATCHES POLICY_YAML\n", argv[0]);
    return 1;
  }
  const std::string which = argv[1];
  const auto n = static_cast<std::size_t>(std::atol(argv[2]));
  const long batches = std::atol(argv[3]);
  const auto actions = CartPoleRandomActions(n, kRows);
  if (which == "bare") return Bare(n, batches, actions);
  if (which == "allow") return Governed(KernelSpace::AllowAll(), R"({"type":"cartpole"})", n, batches, actions);
  std::ifstream in(argv[4]);
  std::stringstream yaml;
  yaml << in.rdbuf();
  std::shared_ptr<const KernelSpace> kernel;
  if (!LoadKernelFromYaml(yaml.str(), "zone", &kernel).ok()) return 6;
  return Governed(kernel, R"({"type":"cartpole","safety_zone":1.0})", n, batches, actions);
}
