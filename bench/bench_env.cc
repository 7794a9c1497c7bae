// Governed environments: what governance costs per env-step, how the batch
// scales over threads, and what an environment costs in memory. Every
// number is a ratio or difference against a baseline measured in the same
// run (the summary printed at the end):
//
//   * baseline  — the same no-op tasks stepped by a plain loop (task call,
//                 obs/reward/flags written, time limit): an env with no
//                 governance at all;
//   * allow_all — VectorEnv over KernelSpace::AllowAll(): the whole engine
//                 (screen, check with no policy, reward, counters, buffers);
//   * governed  — VectorEnv over the three-rule SQL policy of sql_safety.yaml, loaded
//                 from YAML, with a short SELECT as every action.
//
// Governance overhead per env-step = governed − allow_all (the policy
// check itself) and governed − baseline (everything agentos adds). Targets:
// governed − baseline ≤ 100 ns; ≥ 10M governed env-steps/s on 2
// cores; ≤ 1 KB per no-op env.
//
//   build/release/bench/bench_env                       (full run, ~1 min)
//   build/release/bench/bench_env --benchmark_filter=Governed   (a subset)
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>
#include <unistd.h>

#include "agentos.h"
#include "capi_internal.h"
#include "env/governed_environment.h"
#include "env/noop_task.h"
#include "env/thread_pool.h"
#include "env/vector_env.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

// ---- a counting allocator: allocations on the hot path -------------------
// (GCC flags free() in a replaced operator delete as mismatched: it is not,
// every operator new here allocates with malloc/aligned_alloc.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<std::uint64_t> g_alloc_count{0};
}  // namespace

void* operator new(std::size_t n) {
  g_alloc_count.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  g_alloc_count.fetch_add(1, std::memory_order_relaxed);
  const std::size_t align = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(align, (n + align - 1) / align * align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using agentos::ActionKind;
using agentos::BatchActions;
using agentos::KernelSpace;
using agentos::Status;
using agentos::VectorEnv;
using agentos::VectorEnvConfig;

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
)";
constexpr const char kAction[] = "SELECT name FROM customers WHERE id = 42";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_env: %s\n", what.c_str());
  std::exit(1);
}

std::shared_ptr<const KernelSpace> SqlKernel() {
  static auto k = [] {
    std::shared_ptr<const KernelSpace> out;
    Status s = agentos::LoadKernelFromYaml(kPolicy, "bench_env.yaml", &out);
    if (!s.ok()) Die("policy: " + s.ToString());
    return out;
  }();
  return k;
}

struct Actions {
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  explicit Actions(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      bytes += kAction;
      offsets.push_back(bytes.size());
    }
  }
  BatchActions view() const {
    BatchActions b;
    b.bytes = bytes;
    b.offsets = offsets;
    return b;
  }
};

std::unique_ptr<VectorEnv> MakeEnv(std::shared_ptr<const KernelSpace> kernel, std::size_t n, unsigned threads,
                                   std::size_t min_per_thread = VectorEnvConfig{}.min_envs_per_thread) {
  static auto factory = agentos::MakeNoopTaskFactory();
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = threads;
  c.min_envs_per_thread = min_per_thread;
  std::unique_ptr<VectorEnv> v;
  Status s = VectorEnv::Create(std::move(kernel), c, *factory, &v);
  if (!s.ok()) Die(s.ToString());
  if (!(s = v->Reset(1)).ok()) Die(s.ToString());
  return v;
}

void RunVec(benchmark::State& state, std::shared_ptr<const KernelSpace> kernel, std::size_t min_per_thread) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  auto v = MakeEnv(std::move(kernel), n, threads, min_per_thread);
  Actions a(n);
  const BatchActions batch = a.view();
  for (auto _ : state) {
    Status s = v->Step(batch);
    if (!s.ok()) Die(s.ToString());
    benchmark::DoNotOptimize(v->buffers().reward.data());
    benchmark::ClobberMemory();
  }
  const double steps = static_cast<double>(state.iterations()) * static_cast<double>(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  if (v->Metrics().counters.blocked != 0) Die("the benchmark action was blocked");
}

void BM_AllowAll(benchmark::State& state) { RunVec(state, KernelSpace::AllowAll(), VectorEnvConfig{}.min_envs_per_thread); }
void BM_Governed(benchmark::State& state) { RunVec(state, SqlKernel(), VectorEnvConfig{}.min_envs_per_thread); }
// Parallel at every size: shows where splitting a batch starts to pay.
void BM_GovernedForcedSplit(benchmark::State& state) { RunVec(state, SqlKernel(), 1); }

// The baseline: no-op tasks stepped by a plain loop writing the same
// obs/reward/flag buffers, with a time limit, and nothing else.
void BM_Baseline(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto factory = agentos::MakeNoopTaskFactory();
  std::vector<std::unique_ptr<agentos::Task>> tasks(n);
  for (auto& t : tasks) {
    if (!factory->Make(&t).ok() || !t->Reset(1).ok()) Die("noop task");
  }
  std::vector<std::int64_t> obs(n);
  std::vector<double> reward(n);
  std::vector<std::uint8_t> terminated(n), truncated(n);
  std::vector<std::uint32_t> step(n);
  Actions a(n);
  agentos::Action action;
  agentos::StepInput input;
  input.action = &action;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      action.payload = std::string_view(a.bytes).substr(a.offsets[i], a.offsets[i + 1] - a.offsets[i]);
      agentos::TaskOutcome o = tasks[i]->Execute(input);
      if (++step[i] >= 100) step[i] = 0;
      obs[i] = tasks[i]->ObservationIndex();
      reward[i] = o.reward;
      terminated[i] = o.done;
      truncated[i] = step[i] == 0;
    }
    benchmark::DoNotOptimize(reward.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// The same governed batch through the C API (what ctypes / ccall pay).
void BM_GovernedCApi(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  agentos_kernel* k = agentos::capi::NewKernelHandle(SqlKernel());
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = static_cast<std::uint32_t>(n);
  agentos_venv* v = nullptr;
  const char spec[] = R"({"type":"noop"})";
  if (agentos_venv_create(k, &c, spec, sizeof(spec) - 1, &v) != AGENTOS_OK) Die(agentos_errmsg());
  if (agentos_venv_reset(v, 1, 1, nullptr) != AGENTOS_OK) Die(agentos_errmsg());
  Actions a(n);
  const double* reward = agentos_venv_rewards(v);
  for (auto _ : state) {
    if (agentos_venv_step(v, a.bytes.data(), a.bytes.size(), a.offsets.data(), n, nullptr) != AGENTOS_OK) {
      Die(agentos_errmsg());
    }
    benchmark::DoNotOptimize(reward);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  agentos_venv_free(v);
  agentos_kernel_free(k);
}

// One batch handed to the pool and back with no work in it: the fixed cost
// a split must earn back (a queue + condition variable handoff costs ~35–50 µs
// on a 2-core machine; see env/thread_pool.h).
void BM_PoolHandoff(benchmark::State& state) {
  agentos::ChunkPool pool(2);
  int sink[2] = {0, 0};
  auto body = [&](unsigned c) { sink[c] += 1; };
  for (auto _ : state) {
    pool.Run(2, body);
    benchmark::DoNotOptimize(sink);
  }
}
BENCHMARK(BM_PoolHandoff)->UseRealTime();

const std::vector<std::int64_t> kSizes = {64, 256, 1024, 4096, 8192};

void SizesAndThreads(benchmark::internal::Benchmark* b) {
  for (std::int64_t t : {1, 2}) {
    for (std::int64_t n : kSizes) b->Args({n, t});
  }
  b->ArgNames({"envs", "threads"})->UseRealTime();
}

BENCHMARK(BM_Baseline)->ArgName("envs")->Arg(1024)->Arg(8192)->UseRealTime();
BENCHMARK(BM_AllowAll)->Apply(SizesAndThreads);
BENCHMARK(BM_Governed)->Apply(SizesAndThreads);
BENCHMARK(BM_GovernedForcedSplit)->ArgNames({"envs", "threads"})->Args({64, 2})->Args({256, 2})->Args({1024, 2})->UseRealTime();
// The parallel ceiling for 2 threads: two independent 1-thread VectorEnvs
// of n/2 envs each, stepped at the same time by two threads that share
// nothing but the kernel. BM_Governed at 2 threads is judged against it.
void BM_TwoIndependentEnvs(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  auto v1 = MakeEnv(SqlKernel(), n / 2, 1), v2 = MakeEnv(SqlKernel(), n / 2, 1);
  Actions a(n / 2);
  const BatchActions batch = a.view();
  std::atomic<std::uint64_t> go{0}, done{0};
  std::atomic<bool> stop{false};
  std::thread helper([&] {
    for (std::uint64_t seen = 0; !stop.load(std::memory_order_acquire);) {
      if (go.load(std::memory_order_acquire) == seen) continue;
      ++seen;
      if (!v2->Step(batch).ok()) Die("step");
      done.fetch_add(1, std::memory_order_release);
    }
  });
  std::uint64_t k = 0;
  for (auto _ : state) {
    go.fetch_add(1, std::memory_order_release);
    if (!v1->Step(batch).ok()) Die("step");
    ++k;
    while (done.load(std::memory_order_acquire) != k) {
    }
  }
  stop.store(true, std::memory_order_release);
  helper.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_TwoIndependentEnvs)->ArgName("envs")->Arg(4096)->Arg(8192)->UseRealTime();

BENCHMARK(BM_GovernedCApi)->ArgName("envs")->Arg(1024)->UseRealTime();

// ---- memory per env ---------------------------------------------------------
struct Memory {
  std::uint64_t hot_path_allocs = 0;  // allocations in 1,000 governed batch steps (episode ends included)
  double heap_per_env = 0;  // heap in use after VectorEnv::Create, per env (malloc's own view: buffers, envs, tasks, overhead)
  std::size_t sizeof_env = sizeof(agentos::GovernedEnvironment);
  std::size_t sizeof_result = sizeof(agentos::StepResult);
};

Memory MeasureMemory() {
  constexpr std::size_t kN = 8192;
  auto factory = agentos::MakeNoopTaskFactory();
  auto kernel = SqlKernel();
  VectorEnvConfig c;
  c.num_envs = kN;
  // mallinfo2 sees every byte malloc hands out (Eigen allocates its
  // buffers with malloc, not operator new), with malloc's per-chunk overhead.
  auto heap = [] {
    struct mallinfo2 mi = mallinfo2();
    return static_cast<double>(mi.uordblks + mi.hblkhd);
  };
  const double before = heap();
  std::unique_ptr<VectorEnv> v;
  if (!VectorEnv::Create(kernel, c, *factory, &v).ok()) Die("create");
  Memory m;
  m.heap_per_env = (heap() - before) / kN;
  // The hot path must not allocate: 1,000 steps of 64 governed envs, 10
  // episode boundaries each (max_steps 100, NEXT_STEP autoreset).
  auto small = MakeEnv(kernel, 64, 1);
  Actions a(64);
  const BatchActions batch = a.view();
  if (!small->Step(batch).ok()) Die("step");
  const std::uint64_t allocs = g_alloc_count.load();
  for (int k = 0; k < 1000; ++k) {
    if (!small->Step(batch).ok()) Die("step");
  }
  m.hot_path_allocs = g_alloc_count.load() - allocs;
  return m;
}

// ---- the summary: differences and ratios within this run ---------------------
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;
  std::map<std::string, double> ns_per_item;      // real (wall) ns per env-step, by run name
  std::map<std::string, double> cpu_ns_per_item;  // CPU ns of the calling thread per env-step
  std::map<std::string, double> ns_per_iter;      // real ns per iteration
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred || r.iterations == 0) continue;
      ns_per_iter[r.benchmark_name()] = 1e9 * r.real_accumulated_time / static_cast<double>(r.iterations);
      auto it = r.counters.find("items_per_second");
      if (it == r.counters.end() || it->second.value <= 0) continue;
      const double real_per_iter = r.real_accumulated_time / static_cast<double>(r.iterations);
      const double items_per_iter = it->second.value * real_per_iter;
      ns_per_item[r.benchmark_name()] = 1e9 / it->second.value;
      cpu_ns_per_item[r.benchmark_name()] =
          1e9 * r.cpu_accumulated_time / static_cast<double>(r.iterations) / items_per_iter;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double Get(const std::string& name) const { return Find(ns_per_item, name); }
  double Cpu(const std::string& name) const { return Find(cpu_ns_per_item, name); }
  double PerIter(const std::string& name) const { return Find(ns_per_iter, name); }

 private:
  static double Find(const std::map<std::string, double>& m, const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? -1 : it->second;
  }
};

std::string Name(const char* bench, std::int64_t n, std::int64_t t) {
  return std::string(bench) + "/envs:" + std::to_string(n) + "/threads:" + std::to_string(t) + "/real_time";
}

void PrintSummary(const SummaryReporter& r, const Memory& mem) {
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("\n== bench_env summary (ns per env-step, wall clock; same run; load average %.1f on %ld CPUs) ==\n",
              load[0], sysconf(_SC_NPROCESSORS_ONLN));
  for (std::int64_t n : {1024, 8192}) {
    const std::string b = "BM_Baseline/envs:" + std::to_string(n) + "/real_time";
    const std::string a = Name("BM_AllowAll", n, 1), g = Name("BM_Governed", n, 1);
    const double base = r.Get(b), all = r.Get(a), gov = r.Get(g);
    if (base < 0 || all < 0 || gov < 0) continue;
    std::printf("envs=%-5lld baseline %6.1f | allow_all %6.1f | governed %6.1f | engine (allow_all-baseline) %6.1f | "
                "policy check (governed-allow_all) %6.1f | governed-baseline %6.1f (target <= 100)\n",
                static_cast<long long>(n), base, all, gov, all - base, gov - all, gov - base);
    std::printf("            CPU time:  baseline %6.1f | allow_all %6.1f | governed %6.1f | engine %6.1f | policy check "
                "%6.1f | governed-baseline %6.1f\n",
                r.Cpu(b), r.Cpu(a), r.Cpu(g), r.Cpu(a) - r.Cpu(b), r.Cpu(g) - r.Cpu(a), r.Cpu(g) - r.Cpu(b));
  }
  std::printf("\nthroughput, governed (M env-steps/s): envs | 1 thread | 2 threads | 2t/1t\n");
  for (std::int64_t n : kSizes) {
    const double t1 = r.Get(Name("BM_Governed", n, 1));
    const double t2 = r.Get(Name("BM_Governed", n, 2));
    if (t1 < 0 || t2 < 0) continue;
    std::printf("  %5lld | %7.2f | %7.2f | %.2fx%s\n", static_cast<long long>(n), 1e3 / t1, 1e3 / t2, t1 / t2,
                n < 2 * static_cast<std::int64_t>(VectorEnvConfig{}.min_envs_per_thread) ? "  (inline: below the split threshold)" : "");
  }
  for (std::int64_t n : {4096, 8192}) {
    const double ceil = r.Get("BM_TwoIndependentEnvs/envs:" + std::to_string(n) + "/real_time");
    const double t2 = r.Get(Name("BM_Governed", n, 2));
    if (ceil > 0 && t2 > 0) {
      std::printf("  %5lld envs, 2 threads: %.2f M/s = %.2fx the ceiling of two independent 1-thread envs (%.2f M/s)\n",
                  static_cast<long long>(n), 1e3 / t2, ceil / t2, 1e3 / ceil);
    }
  }
  std::printf("forced split at 2 threads vs inline (1 thread): ");
  for (std::int64_t n : {64, 256, 1024}) {
    const double f = r.Get(Name("BM_GovernedForcedSplit", n, 2));
    const double t1 = r.Get(Name("BM_Governed", n, 1));
    if (f > 0 && t1 > 0) std::printf("envs=%lld %.2fx  ", static_cast<long long>(n), t1 / f);
  }
  const double handoff = r.PerIter("BM_PoolHandoff/real_time");
  if (handoff > 0) std::printf("\npool handoff round trip (2 threads, empty batch): %.2f us", handoff / 1e3);
  const double capi = r.Get("BM_GovernedCApi/envs:1024/real_time");
  const double cpp = r.Get(Name("BM_Governed", 1024, 1));
  if (capi > 0 && cpp > 0) std::printf("\nC API / C++ at 1024 envs: %.3fx", capi / cpp);
  std::printf("\nmemory per no-op env: %.0f bytes heap at create (target <= 1024); sizeof(GovernedEnvironment) = %zu; "
              "sizeof(StepResult) = %zu (per chunk, or per env with keep_results)\n",
              mem.heap_per_env, mem.sizeof_env, mem.sizeof_result);
  std::printf("allocations in 1,000 governed batch steps of 64 envs: %llu (target 0)\n",
              static_cast<unsigned long long>(mem.hot_path_allocs));
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Memory mem = MeasureMemory();
  SummaryReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Defaults
                                                : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintSummary(reporter, mem);
  benchmark::Shutdown();
  return 0;
}
