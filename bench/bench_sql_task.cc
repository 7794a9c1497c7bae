// The SQL task: steps/s of Execute for typical SELECTs with and without the
// kernel in front, what a reset costs, and memory per environment. Every
// number is read against a baseline measured in the same run (the summary
// printed at the end):
//
//   * kernel overhead = Execute with a kernel check in front / Execute alone
//     (target: the kernel adds <= 5%), for the training kernel
//     (examples/policies/train_governed.yaml) and examples/policies/sql_safety.yaml;
//   * reset cost = Reset after an episode that wrote, against a plain memcpy
//     of the template image (the floor for any copy-based restore), and
//     Reset + first query against the same query on a warm connection (what
//     the reset dropped, page cache or parsed schema, the next query refills);
//   * text observations = a batched VectorEnv step that also gathers every
//     env's observation text into one buffer (text_observations) / the same
//     step with index observations only.
//
//   build/sqltask/bench/bench_sql_task                (full run, ~30 s)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <unistd.h>

#include "env/sql/sql_dataset.h"
#include "env/sql/sql_task.h"
#include "env/vector_env.h"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace {

using namespace agentos;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_sql_task: %s\n", what.c_str());
  std::exit(1);
}

const std::string kSource = AGENTOS_SOURCE_DIR;
const char* kSimpleSelect = "SELECT COUNT(*) FROM orders WHERE status = 'shipped'";

std::shared_ptr<const SqlDataset> Shop() {
  static std::shared_ptr<const SqlDataset> ds = [] {
    std::shared_ptr<const SqlDataset> d;
    Status s = SqlDataset::Load(kSource + "/env/sql/data/shop", &d);
    if (!s.ok()) Die(s.ToString());
    return d;
  }();
  return ds;
}

std::shared_ptr<const KernelSpace> Kernel(const std::string& file) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromFile(kSource + "/examples/policies/" + file, &k);
  if (!s.ok()) Die(file + ": " + s.ToString());
  return k;
}

std::unique_ptr<Task> MakeTask(std::int64_t index = 0) {
  SqlTaskConfig config;
  config.task_index = index;
  config.finish_on_success = false;
  std::unique_ptr<TaskFactory> f;
  if (!MakeSqlTaskFactory(config, Shop(), &f).ok()) Die("factory");
  std::unique_ptr<Task> t;
  if (!f->Make(&t).ok() || !t->Reset(0).ok()) Die("task");
  return t;
}

// The typical workload: every correct candidate of the dataset (joins,
// groupings, subqueries, CTEs), cycled through.
std::vector<std::string> TypicalSelects() {
  std::vector<std::string> out;
  auto ds = Shop();
  for (std::size_t i = 0; i < ds->size(); ++i) {
    for (const auto& c : ds->task(i).candidates) {
      if (c.label == CandidateLabel::kCorrect) out.push_back(c.sql);
    }
  }
  return out;
}

std::vector<Action> AsActions(const std::vector<std::string>& sql) {
  std::vector<Action> out(sql.size());
  for (std::size_t i = 0; i < sql.size(); ++i) {
    out[i].kind = ActionKind::kSql;
    out[i].agent_id = "agent";
    out[i].payload = sql[i];
  }
  return out;
}

// kernel: 0 none, 1 train_governed.yaml, 2 sql_safety.yaml. workload: 0 the
// simple SELECT, 1 the typical mix.
void BM_Execute(benchmark::State& state) {
  const int kernel_id = static_cast<int>(state.range(0));
  const bool mix = state.range(1) == 1;
  std::shared_ptr<const KernelSpace> kernel =
      kernel_id == 1 ? Kernel("train_governed.yaml") : kernel_id == 2 ? Kernel("sql_safety.yaml") : nullptr;
  const std::vector<std::string> sql = mix ? TypicalSelects() : std::vector<std::string>{kSimpleSelect};
  const std::vector<Action> actions = AsActions(sql);
  auto task = MakeTask();
  EpisodeState episode;
  Decision decision;
  std::size_t i = 0, denied = 0, errors = 0;
  for (auto _ : state) {
    const Action& a = actions[i];
    if (++i == actions.size()) i = 0;
    if (kernel) {
      kernel->Check(a, episode, decision);
      if (!decision.allowed()) {
        ++denied;
        continue;
      }
    }
    StepInput in;
    in.action = &a;
    TaskOutcome out = task->Execute(in);
    errors += out.error;
    benchmark::DoNotOptimize(out.reward);
  }
  if (denied != 0 || errors != 0) state.SkipWithError("a benchmark SELECT was denied or failed");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_Execute)
    ->ArgNames({"kernel", "mix"})
    ->Args({0, 0})->Args({1, 0})->Args({2, 0})
    ->Args({0, 1})->Args({1, 1})->Args({2, 1})
    ->MinTime(2.0);

// The kernel check alone, for the same actions.
void BM_KernelCheck(benchmark::State& state) {
  auto kernel = Kernel(state.range(0) == 1 ? "train_governed.yaml" : "sql_safety.yaml");
  const std::vector<std::string> sql = TypicalSelects();
  const std::vector<Action> actions = AsActions(sql);
  EpisodeState episode;
  Decision decision;
  std::size_t i = 0;
  for (auto _ : state) {
    kernel->Check(actions[i], episode, decision);
    benchmark::DoNotOptimize(decision.allowed());
    if (++i == actions.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_KernelCheck)->ArgName("kernel")->Arg(1)->Arg(2);

// Reset after an episode that only read: nothing to restore.
void BM_ResetAfterRead(benchmark::State& state) {
  auto task = MakeTask();
  for (auto _ : state) {
    if (!task->Reset(1).ok()) Die("reset");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ResetAfterRead);

// Reset after an episode that changed rows (image copied back in place),
// the schema or connection state (copied and deserialized into a new
// connection: the schema is re-read). first_query = 1 also runs the next
// episode's first query, which pays for refilling what the reset dropped.
void BM_ResetAfterWrite(benchmark::State& state) {
  const char* writes[] = {"DELETE FROM reviews WHERE id = 1", "DROP INDEX idx_orders_date",
                          "PRAGMA case_sensitive_like = ON"};
  const bool first_query = state.range(1) == 1;
  auto task = MakeTask();
  Action write;
  write.payload = writes[state.range(0)];
  Action select;
  select.payload = kSimpleSelect;
  StepInput w, s;
  w.action = &write;
  s.action = &select;
  for (auto _ : state) {
    state.PauseTiming();
    if (task->Execute(w).error) Die("write");
    state.ResumeTiming();
    if (!task->Reset(1).ok()) Die("reset");
    if (first_query) benchmark::DoNotOptimize(task->Execute(s).reward);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ResetAfterWrite)
    ->ArgNames({"changed", "first_query"})  // changed: 0 rows, 1 schema, 2 connection state
    ->Args({0, 0})->Args({0, 1})->Args({1, 0})->Args({1, 1})->Args({2, 0})->Args({2, 1});

// The same query on a warm connection, for BM_ResetAfterWrite/first_query.
void BM_WarmSimpleSelect(benchmark::State& state) {
  auto task = MakeTask();
  Action select;
  select.payload = kSimpleSelect;
  StepInput s;
  s.action = &select;
  for (auto _ : state) benchmark::DoNotOptimize(task->Execute(s).reward);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_WarmSimpleSelect);

// What execution feedback (env/sql/sql_feedback.h: the rows rendered into
// the observation text) adds to a step of the typical mix: feedback 0 is
// the baseline of the same run.
void BM_ExecuteFeedback(benchmark::State& state) {
  SqlTaskConfig config;
  config.task_index = 0;
  config.finish_on_success = false;
  config.feedback = state.range(0) == 1;
  std::unique_ptr<TaskFactory> f;
  if (!MakeSqlTaskFactory(config, Shop(), &f).ok()) Die("factory");
  std::unique_ptr<Task> task;
  if (!f->Make(&task).ok() || !task->Reset(0).ok()) Die("task");
  const std::vector<std::string> sql = TypicalSelects();  // the actions view it
  const std::vector<Action> actions = AsActions(sql);
  std::size_t i = 0, errors = 0;
  std::string failed;
  for (auto _ : state) {
    StepInput in;
    in.action = &actions[i];
    if (++i == actions.size()) i = 0;
    const TaskOutcome out = task->Execute(in);
    if (out.error && errors++ == 0) failed.assign(out.message);
    benchmark::DoNotOptimize(task->ObservationText().size());
  }
  if (errors != 0) state.SkipWithError(("a benchmark SELECT failed: " + failed).c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ExecuteFeedback)->ArgName("feedback")->Arg(0)->Arg(1)->MinTime(2.0);

// Baseline: copying the template image, the floor of a copy-based restore.
void BM_MemcpyImage(benchmark::State& state) {
  const auto& image = *Shop()->image();
  std::vector<unsigned char> buffer(image.size());
  for (auto _ : state) {
    std::memcpy(buffer.data(), image.data(), image.size());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_MemcpyImage);

// A batched step of num_envs SQL envs (each its own seeded task, the simple
// SELECT in every env: the cheapest real step, so what the texts add shows
// most; the sql_safety kernel in front), with index
// observations only (text 0) or also every env's observation text gathered
// into one buffer (text 1). Episodes end at max_steps and autoreset, so
// reset steps are in the mix as in training.
void BM_SqlVectorStep(benchmark::State& state) {
  const bool text = state.range(0) == 1;
  const auto n = static_cast<std::size_t>(state.range(1));
  VectorEnvConfig config;
  config.num_envs = n;
  config.num_threads = static_cast<unsigned>(state.range(2));
  config.min_envs_per_thread = 16;
  config.env.max_steps = 20;
  config.text_observations = text;
  SqlTaskConfig task_config;
  task_config.finish_on_success = false;
  std::unique_ptr<TaskFactory> factory;
  if (!MakeSqlTaskFactory(task_config, Shop(), &factory).ok()) Die("factory");
  std::unique_ptr<VectorEnv> venv;
  if (Status s = VectorEnv::Create(Kernel("sql_safety.yaml"), config, *factory, &venv); !s.ok()) Die(s.ToString());
  if (!venv->Reset(std::uint64_t{1}).ok()) Die("reset");
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  for (std::size_t i = 0; i < n; ++i) {
    bytes += kSimpleSelect;
    offsets.push_back(bytes.size());
  }
  BatchActions actions;
  actions.bytes = bytes;
  actions.offsets = offsets;
  std::size_t text_bytes = 0;
  for (auto _ : state) {
    if (!venv->Step(actions).ok()) Die("step");
    text_bytes += venv->ObservationTexts().bytes.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  if (text) state.counters["text_bytes_per_env"] = static_cast<double>(text_bytes) / state.iterations() / n;
}
// One thread: CPU time (steadier on a shared machine); two: wall time, the
// only time that counts the worker thread.
BENCHMARK(BM_SqlVectorStep)
    ->ArgNames({"text", "envs", "threads"})
    ->Args({0, 64, 1})->Args({1, 64, 1})
    ->Args({0, 1024, 1})->Args({1, 1024, 1})
    ->MinTime(1.0);
BENCHMARK(BM_SqlVectorStep)
    ->ArgNames({"text", "envs", "threads"})
    ->Args({0, 1024, 2})->Args({1, 1024, 2})
    ->MinTime(1.0)
    ->UseRealTime();

// What gathering the texts costs by itself: a Reset whose mask selects no
// env does nothing but refresh the text buffer (text 1) or nothing at all
// (text 0), over num_envs SQL envs with their first episodes' texts.
void BM_SqlTextGather(benchmark::State& state) {
  const bool text = state.range(0) == 1;
  const auto n = static_cast<std::size_t>(state.range(1));
  VectorEnvConfig config;
  config.num_envs = n;
  config.text_observations = text;
  std::unique_ptr<TaskFactory> factory;
  if (!MakeSqlTaskFactory(SqlTaskConfig{}, Shop(), &factory).ok()) Die("factory");
  std::unique_ptr<VectorEnv> venv;
  if (Status s = VectorEnv::Create(Kernel("sql_safety.yaml"), config, *factory, &venv); !s.ok()) Die(s.ToString());
  if (!venv->Reset(std::uint64_t{1}).ok()) Die("reset");
  const std::vector<std::uint8_t> none(n, 0);
  for (auto _ : state) {
    if (!venv->Reset(std::nullopt, none).ok()) Die("reset");
    benchmark::DoNotOptimize(venv->ObservationTexts().bytes.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_SqlTextGather)->ArgNames({"text", "envs"})->Args({0, 64})->Args({1, 64})->Args({0, 1024})->Args({1, 1024});

// ---- memory per environment ----------------------------------------------------
long ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * sysconf(_SC_PAGESIZE);
}

struct Memory {
  double resident_per_task = 0;
  std::size_t image_bytes = 0;
};

// Tasks made, reset after a write, and queried over every table: the
// resident memory each one adds.
Memory MeasureMemory() {
  constexpr int kTasks = 64;
  Memory m;
  m.image_bytes = Shop()->image()->size();
  const std::vector<std::string> sql = TypicalSelects();
  std::vector<std::unique_ptr<Task>> tasks;
  const long before = ResidentBytes();
  Action write, read;
  write.payload = "DELETE FROM reviews WHERE id = 1";
  StepInput w, r;
  w.action = &write;
  r.action = &read;
  for (int t = 0; t < kTasks; ++t) {
    tasks.push_back(MakeTask());
    tasks.back()->Execute(w);
    if (!tasks.back()->Reset(2).ok()) Die("reset");
    for (std::size_t i = 0; i < sql.size(); i += 7) {
      read.payload = sql[i];
      tasks.back()->Execute(r);
    }
  }
  m.resident_per_task = static_cast<double>(ResidentBytes() - before) / kTasks;
  return m;
}

// ---- the summary ----------------------------------------------------------------------
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> ns;  // real ns per item, by run name
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end() && it->second.value > 0) ns[r.benchmark_name()] = 1e9 / it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double Get(const std::string& name) const {
    auto it = ns.find(name);
    return it == ns.end() ? -1 : it->second;
  }
};

void PrintSummary(const SummaryReporter& r, const Memory& mem) {
  std::printf("\n== bench_sql_task summary (same run) ==\n");
  for (int mix : {0, 1}) {
    const std::string suffix = "/mix:" + std::to_string(mix) + "/min_time:2.000";
    const double none = r.Get("BM_Execute/kernel:0" + suffix);
    const double gov = r.Get("BM_Execute/kernel:1" + suffix);
    const double safety = r.Get("BM_Execute/kernel:2" + suffix);
    if (none < 0 || gov < 0 || safety < 0) continue;
    std::printf("%s: %8.0f steps/s without a kernel | %8.0f with train_governed (%+.2f%%) | %8.0f with "
                "sql_safety (%+.2f%%)   [target: kernel adds <= 5%%]\n",
                mix == 0 ? "simple SELECT     " : "typical SELECT mix", 1e9 / none, 1e9 / gov,
                100.0 * (gov / none - 1.0), 1e9 / safety, 100.0 * (safety / none - 1.0));
  }
  const double check1 = r.Get("BM_KernelCheck/kernel:1"), check2 = r.Get("BM_KernelCheck/kernel:2");
  const double mix_alone = r.Get("BM_Execute/kernel:0/mix:1/min_time:2.000");
  if (check1 > 0 && check2 > 0 && mix_alone > 0) {
    // The check and Execute do not interact, so this ratio is the kernel's
    // share without the noise of two separately timed loops.
    std::printf("kernel check alone on the mix: %.0f ns (train_governed), %.0f ns (sql_safety) = %.2f%% / %.2f%% "
                "of an Execute of the mix\n",
                check1, check2, 100.0 * check1 / mix_alone, 100.0 * check2 / mix_alone);
  }
  const double memcpy_ns = r.Get("BM_MemcpyImage");
  const double clean = r.Get("BM_ResetAfterRead");
  const double warm = r.Get("BM_WarmSimpleSelect");
  if (memcpy_ns > 0 && clean > 0 && warm > 0) {
    std::printf("reset after a read-only episode: %.0f ns (nothing to restore)\n", clean);
    const char* what[] = {"rows changed (copy in place)        ", "schema changed (copy + deserialize) ",
                          "connection state (new connection)   "};
    for (int c = 0; c < 3; ++c) {
      const std::string base = "BM_ResetAfterWrite/changed:" + std::to_string(c) + "/first_query:";
      const double reset = r.Get(base + "0"), with_query = r.Get(base + "1");
      if (reset < 0 || with_query < 0) continue;
      std::printf("reset after %s: %6.1f us = %5.2fx a memcpy of the image (%.1f us); the next query pays "
                  "+%.1f us over a warm one\n",
                  what[c], reset / 1e3, reset / memcpy_ns, memcpy_ns / 1e3, (with_query - warm) / 1e3);
    }
  }
  for (const char* shape : {"/envs:64/threads:1", "/envs:1024/threads:1", "/envs:1024/threads:2"}) {
    const bool wall = std::string_view(shape).back() == '2';
    const std::string tail = std::string(shape) + (wall ? "/min_time:1.000/real_time" : "/min_time:1.000");
    const double index = r.Get("BM_SqlVectorStep/text:0" + tail), text = r.Get("BM_SqlVectorStep/text:1" + tail);
    if (index < 0 || text < 0) continue;
    std::printf("batched SQL step%-20s: %6.0f ns per env-step with index observations | %6.0f with text "
                "observations = %.3fx (%+.2f%%)\n",
                shape, index, text, text / index, 100.0 * (text / index - 1.0));
  }
  for (const char* envs : {"64", "1024"}) {
    const std::string tail = std::string("/envs:") + envs;
    const double off = r.Get("BM_SqlTextGather/text:0" + tail), on = r.Get("BM_SqlTextGather/text:1" + tail);
    const double step = r.Get("BM_SqlVectorStep/text:0" + tail + "/threads:1/min_time:1.000");
    if (off < 0 || on < 0 || step < 0) continue;
    std::printf("gathering the texts of %4s SQL envs: %5.1f ns per env (a no-op reset %.1f -> %.1f ns per env) = "
                "%.3f%% of an index-only env-step (%.0f ns)\n",
                envs, on - off, off, on, 100.0 * (on - off) / step, step);
  }
  std::printf("resident memory per SQL env (after a write, a reset and queries over every table): %.0f KB; "
              "template image %.0f KB (%zu bytes)\n",
              mem.resident_per_task / 1024.0, static_cast<double>(mem.image_bytes) / 1024.0, mem.image_bytes);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Memory mem = MeasureMemory();
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintSummary(reporter, mem);
  benchmark::Shutdown();
  return 0;
}
