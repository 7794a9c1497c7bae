// CartPole in C++: what governance costs per env-step of a real (if small)
// simulator, against the same CartPole tasks stepped with no engine at all,
// measured in the same run:
//
//   * BM_CartPoleBare     — the NumericTasks of a VectorEnv's registry entry
//                           stepped by a plain loop (step, reward summed,
//                           reset on termination): no kernel, no env;
//   * BM_CartPoleAllowAll — VectorEnv(task "cartpole") over
//                           KernelSpace::AllowAll(): every action is screened,
//                           validated and decided, rewarded, counted, written
//                           to the buffers;
//   * BM_CartPoleSafety   — the same with the numeric zone policy of
//                           examples/policies/cartpole_zone.yaml and a
//                           safety-cost zone.
//
// Governance per env-step = (AllowAll − Bare) and (Safety − Bare), per env,
// in CPU time at 1 thread; target ≤ 100 ns. The summary at the end prints both.
//
//   build/release/bench/bench_cartpole
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/cartpole_actions.h"
#include "env/numeric_task.h"
#include "env/task_registry.h"
#include "env/vector_env.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace {

// The zone policy the Python tests and bench load too: one file, so the
// three measure the same rules.
const std::string kZonePolicyFile = std::string(AGENTOS_SOURCE_DIR) + "/examples/policies/cartpole_zone.yaml";

std::map<std::string, double> g_ns_per_env_step;


constexpr std::size_t kRows = 64;

void Report(benchmark::State& state, std::size_t n) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["envs"] = static_cast<double>(n);
}

void BM_CartPoleBare(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::unique_ptr<agentos::TaskFactory> factory;
  if (!agentos::MakeTaskFactoryFromJson(R"({"type":"cartpole"})", &factory).ok()) std::abort();
  // The registered maker itself, so the bare loop runs exactly the tasks the env runs.
  std::vector<std::unique_ptr<agentos::Task>> tasks(n);
  for (auto& t : tasks) {
    if (!factory->Make(&t).ok()) std::abort();
  }
  std::vector<float> obs(n * 4);
  for (std::size_t i = 0; i < n; ++i) {
    tasks[i]->BindObservation(&obs[i * 4], &obs[i * 4]);
    (void)tasks[i]->Reset(i);
  }
  const auto actions = CartPoleRandomActions(n, kRows);
  std::vector<double> reward(n);
  std::size_t row = 0;
  agentos::Action action;
  action.kind = agentos::ActionKind::kNumeric;
  agentos::StepInput input;
  input.action = &action;
  for (auto _ : state) {
    const std::int64_t* a = &actions[row * n];
    for (std::size_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(a[i]);
      action.values = {&v, 1};
      const agentos::TaskOutcome o = tasks[i]->Execute(input);
      reward[i] = o.reward;
      if (o.done) (void)tasks[i]->Reset(i + row);
    }
    benchmark::DoNotOptimize(reward.data());
    row = (row + 1) % kRows;
  }
  Report(state, n);
}

void RunVectorEnv(benchmark::State& state, std::shared_ptr<const agentos::KernelSpace> kernel, const char* spec) {
  const auto n = static_cast<std::size_t>(state.range(0));
  agentos::VectorEnvConfig config;
  config.num_envs = n;
  config.num_threads = static_cast<unsigned>(state.range(1));
  config.env.max_steps = 500;
  std::unique_ptr<agentos::TaskFactory> factory;
  if (!agentos::MakeTaskFactoryFromJson(spec, &factory).ok()) std::abort();
  std::unique_ptr<agentos::VectorEnv> env;
  if (!agentos::VectorEnv::Create(std::move(kernel), config, *factory, &env).ok()) std::abort();
  if (!env->Reset(0).ok()) std::abort();
  const auto actions = CartPoleRandomActions(n, kRows);
  std::size_t row = 0;
  for (auto _ : state) {
    agentos::BatchActions a;
    a.discrete = std::span<const std::int64_t>(&actions[row * n], n);
    if (!env->Step(a).ok()) std::abort();
    benchmark::DoNotOptimize(env->numeric_observations());
    row = (row + 1) % kRows;
  }
  Report(state, n);
}

void BM_CartPoleAllowAll(benchmark::State& state) {
  RunVectorEnv(state, agentos::KernelSpace::AllowAll(), R"({"type":"cartpole"})");
}

void BM_CartPoleSafety(benchmark::State& state) {
  std::shared_ptr<const agentos::KernelSpace> kernel;
  if (!agentos::LoadKernelFromFile(kZonePolicyFile, &kernel).ok()) std::abort();
  RunVectorEnv(state, kernel, R"({"type":"cartpole","safety_zone":1.0})");
}

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"envs", "threads"});
  for (int n : {8, 64, 1024}) {
    for (int t : {1, 2}) b->Args({n, t});
  }
  b->UseRealTime();
}

BENCHMARK(BM_CartPoleBare)->ArgNames({"envs", "threads"})->Args({8, 1})->Args({64, 1})->Args({1024, 1})->UseRealTime();
BENCHMARK(BM_CartPoleAllowAll)->Apply(Sizes);
BENCHMARK(BM_CartPoleSafety)->Apply(Sizes);

// Collects CPU ns per env-step of every run for the summary. CPU time,
// not wall time: with one thread the step runs entirely on the measured
// thread, and on a shared machine wall time also counts other processes'
// time slices.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      const auto it = r.counters.find("envs");
      if (it != r.counters.end() && it->second.value > 0) {
        g_ns_per_env_step[r.benchmark_name()] = r.GetAdjustedCPUTime() / it->second.value;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\nGovernance per env-step (target <= 100 ns), 1 thread, CPU time:\n");
  for (int n : {8, 64, 1024}) {
    const std::string suffix = "/envs:" + std::to_string(n);
    const auto bare = g_ns_per_env_step.find("BM_CartPoleBare" + suffix + "/threads:1/real_time");
    const auto allow = g_ns_per_env_step.find("BM_CartPoleAllowAll" + suffix + "/threads:1/real_time");
    const auto safety = g_ns_per_env_step.find("BM_CartPoleSafety" + suffix + "/threads:1/real_time");
    if (bare == g_ns_per_env_step.end() || allow == g_ns_per_env_step.end() || safety == g_ns_per_env_step.end()) {
      continue;
    }
    std::printf("  N=%5d  bare %6.1f ns  allow-all %6.1f ns (+%5.1f)  safety policy %6.1f ns (+%5.1f)\n", n,
                bare->second, allow->second, allow->second - bare->second, safety->second,
                safety->second - bare->second);
  }
  benchmark::Shutdown();
  return 0;
}
