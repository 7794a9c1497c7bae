// Batch checks through the C API (agentos_kernel_check_batch) against the
// same checks made by a C++ loop over KernelSpace::Check, in the same run.
// The policy is the three-rule SQL policy of sql_safety.yaml, loaded from YAML; the
// statements are short and mixed (allowed and denied).
//
// Target: >= 10M checks/s on one core through the C API, and a C API cost
// that disappears next to the check itself (ratio close to 1).
//
//   build/release/bench/bench_capi_batch [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "agentos.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
)";

// What an SQL agent sends most of the time, plus the denials it earns.
const char* const kStatements[] = {
    "SELECT id, name FROM users WHERE id = 42",
    "SELECT count(*) FROM orders",
    "INSERT INTO logs (msg) VALUES ('ok')",
    "UPDATE users SET name = 'x' WHERE id = 7",
    "UPDATE users SET active = false",
    "DROP TABLE users",
    "DELETE FROM orders WHERE id = 3",
    "SELECT * FROM t WHERE a = 'DROP TABLE t'",
};
constexpr std::size_t kBatch = 4096;

struct Batch {
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::string_view> views;
};

const Batch& TheBatch() {
  static const Batch batch = [] {
    Batch b;
    const std::size_t n_kinds = sizeof(kStatements) / sizeof(kStatements[0]);
    for (std::size_t i = 0; i < kBatch; ++i) {
      b.bytes += kStatements[i % n_kinds];
      b.offsets.push_back(b.bytes.size());
    }
    for (std::size_t i = 0; i < kBatch; ++i) {
      b.views.emplace_back(b.bytes.data() + b.offsets[i], b.offsets[i + 1] - b.offsets[i]);
    }
    return b;
  }();
  return batch;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_capi_batch: %s\n", what.c_str());
  std::exit(1);
}

agentos_kernel* CKernel() {
  static agentos_kernel* k = [] {
    agentos_kernel* out = nullptr;
    if (agentos_kernel_from_yaml(kPolicy, sizeof(kPolicy) - 1, "bench.yaml", &out) != AGENTOS_OK) {
      Die(std::string("policy: ") + agentos_errmsg());
    }
    return out;
  }();
  return k;
}

std::shared_ptr<const agentos::KernelSpace> CppKernel() {
  static auto k = [] {
    std::shared_ptr<const agentos::KernelSpace> out;
    agentos::Status s = agentos::LoadKernelFromYaml(kPolicy, "bench.yaml", &out);
    if (!s.ok()) Die("policy: " + s.ToString());
    return out;
  }();
  return k;
}

void BM_CApiCheckBatch(benchmark::State& state) {
  const Batch& b = TheBatch();
  agentos_kernel* k = CKernel();
  std::vector<std::uint8_t> allowed(kBatch);
  std::vector<std::int8_t> severity(kBatch);
  for (auto _ : state) {
    int rc = agentos_kernel_check_batch(k, AGENTOS_ACTION_SQL, b.bytes.data(), b.bytes.size(), b.offsets.data(),
                                        kBatch, allowed.data(), severity.data(), nullptr);
    if (rc != AGENTOS_OK) Die(agentos_errmsg());
    benchmark::DoNotOptimize(allowed.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_CApiCheckBatch);

// Baseline: the same checks from C++, one reused Decision, a fresh episode each.
void BM_CppCheckLoop(benchmark::State& state) {
  const Batch& b = TheBatch();
  auto k = CppKernel();
  std::vector<std::uint8_t> allowed(kBatch);
  std::vector<std::int8_t> severity(kBatch);
  agentos::Action a;
  a.kind = agentos::ActionKind::kSql;
  agentos::Decision d;
  agentos::EpisodeState episode;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      a.payload = b.views[i];
      episode = agentos::EpisodeState{};
      k->Check(a, episode, d);
      allowed[i] = d.allowed() ? 1 : 0;
      auto sev = d.max_severity();
      severity[i] = sev ? static_cast<std::int8_t>(*sev) : -1;
    }
    benchmark::DoNotOptimize(allowed.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_CppCheckLoop);

// For scale: one C call per check, into a reused decision handle.
void BM_CApiCheckOneByOne(benchmark::State& state) {
  const Batch& b = TheBatch();
  agentos_kernel* k = CKernel();
  agentos_decision* d = nullptr;
  if (agentos_decision_new(&d) != AGENTOS_OK) Die(agentos_errmsg());
  agentos_action a{};
  a.struct_size = sizeof a;
  a.kind = AGENTOS_ACTION_SQL;
  std::vector<std::uint8_t> allowed(kBatch);
  std::int32_t ok = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      a.payload = b.views[i].data();
      a.payload_len = b.views[i].size();
      if (agentos_kernel_check(k, nullptr, &a, d) != AGENTOS_OK) Die(agentos_errmsg());
      agentos_decision_allowed(d, &ok);
      allowed[i] = static_cast<std::uint8_t>(ok);
    }
    benchmark::DoNotOptimize(allowed.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  agentos_decision_free(d);
}
BENCHMARK(BM_CApiCheckOneByOne);

// The two paths must agree before their speeds mean anything.
void VerifySameAnswers() {
  const Batch& b = TheBatch();
  std::vector<std::uint8_t> allowed(kBatch);
  std::vector<std::int8_t> severity(kBatch);
  if (agentos_kernel_check_batch(CKernel(), AGENTOS_ACTION_SQL, b.bytes.data(), b.bytes.size(), b.offsets.data(),
                                 kBatch, allowed.data(), severity.data(), nullptr) != AGENTOS_OK) {
    Die(agentos_errmsg());
  }
  std::size_t denied = 0;
  for (std::size_t i = 0; i < kBatch; ++i) {
    agentos::Action a;
    a.payload = b.views[i];
    agentos::Decision d = CppKernel()->Check(a);
    auto sev = d.max_severity();
    if (allowed[i] != (d.allowed() ? 1 : 0) || severity[i] != (sev ? static_cast<int>(*sev) : -1)) {
      Die("C API and C++ disagree on '" + std::string(b.views[i]) + "'");
    }
    denied += d.allowed() ? 0 : 1;
  }
  std::printf("batch of %zu short statements, %zu denied; C API and C++ agree on every one\n", kBatch, denied);
  std::fflush(stdout);
}

// Prints the checks/s of each run and the ratio of the C API batch to the
// C++ baseline measured in this run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rate_[r.run_name.function_name] = it->second.value;
    }
  }

  void Summarise() const {
    auto get = [&](const char* name) {
      auto it = rate_.find(name);
      return it == rate_.end() ? 0.0 : it->second;
    };
    double batch = get("BM_CApiCheckBatch");
    double cpp = get("BM_CppCheckLoop");
    double single = get("BM_CApiCheckOneByOne");
    if (batch <= 0 || cpp <= 0) return;
    GetOutputStream().flush();
    std::printf("\nC API batch:      %8.2f M checks/s  (target >= 10: %s)\n", batch / 1e6,
                batch >= 10e6 ? "met" : "NOT met");
    std::printf("C++ Check loop:   %8.2f M checks/s  (baseline, same run)\n", cpp / 1e6);
    if (single > 0) std::printf("C API one by one: %8.2f M checks/s\n", single / 1e6);
    std::printf("ratio C API batch / C++ loop: %.3f\n", batch / cpp);
  }

 private:
  std::map<std::string, double> rate_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  VerifySameAnswers();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.Summarise();
  benchmark::Shutdown();
  agentos_kernel_free(CKernel());
  return 0;
}
