// Flight recorder throughput: records/s sustained with the hash chain on,
// in relaxed and synced durability, against two baselines measured in the
// same run:
//   * BM_Baseline_EncodeAndHash: the canonical encoding plus both hashes a
//     record costs, with no storage (the chain's CPU floor);
//   * BM_Baseline_SqliteInsert: the same rows inserted by a plain SQLite
//     loop (WAL, one transaction per 8192 rows, no hashing, no queue).
// Also a VectorEnv of no-op tasks with recording off, violations only, and
// every decision recorded (BM_VecEnv_*).
// Run: build/<dir>/bench/bench_recorder --benchmark_min_time=2
// Each recorder benchmark appends records (one producer unless stated) and
// flushes at the end of the measured loop, so items/s is what reached a
// committed transaction.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "env/noop_task.h"
#include "env/vector_env.h"
#include "kernel/audit_sink.h"
#include "kernel/decision.h"
#include "kernel/kernel_space.h"
#include "kernel/recorder/flight_recorder.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/record_codec.h"

namespace {

using namespace agentos;

class BenchDir {
 public:
  BenchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "agentos-bench-rec-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A typical step: a short SQL action; one in ten denied with one violation.
struct Step {
  std::string payload;
  Action action;
  Decision decision;
  AuditEvent event;

  explicit Step(std::uint64_t i) {
    payload = "SELECT name, email FROM users WHERE id = " + std::to_string(i % 1000);
    action.kind = ActionKind::kSql;
    action.agent_id = "agent-7";
    action.tool = "sql";
    action.payload = payload;
    action.cost_usd = 0.001;
    action.tokens = 42;
    decision.Clear();
    if (i % 10 == 0) {
      decision.Add("sql_safety", "sql.deny_kind", Severity::kHigh).Append("statement kind DELETE is denied");
    }
    decision.Finish(true);
    event.env_id = i % 16;
    event.episode = i / 160;
    event.step = static_cast<std::uint32_t>(i % 100 + 1);
    event.action = &action;
    event.decision = &decision;
    event.executed = decision.allowed();
    event.reward = decision.allowed() ? 0.0 : -50.0;
    event.penalty = decision.allowed() ? 0.0 : -50.0;
  }
};

std::vector<Step>& Steps() {
  static std::vector<Step>* steps = [] {
    auto* v = new std::vector<Step>();
    v->reserve(1000);
    for (std::uint64_t i = 0; i < 1000; ++i) v->emplace_back(i);
    return v;
  }();
  return *steps;
}

void BM_Baseline_EncodeAndHash(benchmark::State& state) {
  ChainHasher chain({});
  Digest head{};
  std::string buf;
  std::uint64_t seq = 0;
  auto& steps = Steps();
  for (auto _ : state) {
    const Step& s = steps[seq % steps.size()];
    ViolationView views[Decision::kMaxViolations];
    std::size_t n = 0;
    for (const Violation& v : s.decision.violations()) {
      views[n++] = ViolationView{v.policy(), v.rule(), v.severity(), v.blocked(), v.reason()};
    }
    RecordView c;
    c.env_id = s.event.env_id;
    c.agent_id = s.action.agent_id;
    c.episode = s.event.episode;
    c.step = s.event.step;
    c.tool = s.action.tool;
    c.payload = s.action.payload;
    c.payload_len = s.action.payload.size();
    c.allowed = s.decision.allowed();
    c.total_violations = s.decision.total_violations();
    c.violations = std::span<const ViolationView>(views, n);
    c.reward = s.event.reward;
    c.penalty = s.event.penalty;
    buf.clear();
    EncodeContent(c, &buf);
    head = chain.Entry(++seq, 1, head, Sha256(buf));
    benchmark::DoNotOptimize(head);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_EncodeAndHash);

// The same columns the recorder writes, inserted by the simplest loop SQLite
// allows: this is what the chain, queue and writer thread are compared to.
void BM_Baseline_SqliteInsert(benchmark::State& state) {
  BenchDir dir;
  sqlite3* db = nullptr;
  sqlite3_open(dir.File("plain.db").c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               "CREATE TABLE records(seq INTEGER PRIMARY KEY, time_ns INTEGER NOT NULL, env_id INTEGER NOT NULL,"
               " agent_id TEXT NOT NULL, episode INTEGER NOT NULL, step INTEGER NOT NULL, kind INTEGER NOT NULL,"
               " tool TEXT NOT NULL, payload TEXT NOT NULL, payload_form INTEGER NOT NULL,"
               " payload_len INTEGER NOT NULL, cost_usd REAL, tokens INTEGER NOT NULL, allowed INTEGER NOT NULL,"
               " total_violations INTEGER NOT NULL, executed INTEGER NOT NULL, signals INTEGER NOT NULL,"
               " reward REAL, penalty REAL, prev_hash BLOB NOT NULL, entry_hash BLOB NOT NULL) STRICT;",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO records VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,"
                         "?19,?20,?21)",
                     -1, &ins, nullptr);
  const unsigned char zero[32] = {};
  std::uint64_t seq = 0;
  auto& steps = Steps();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (auto _ : state) {
    const Step& s = steps[seq % steps.size()];
    ++seq;
    sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(seq));
    sqlite3_bind_int64(ins, 2, 1);
    sqlite3_bind_int64(ins, 3, static_cast<sqlite3_int64>(s.event.env_id));
    sqlite3_bind_text(ins, 4, s.action.agent_id.data(), static_cast<int>(s.action.agent_id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(ins, 5, static_cast<sqlite3_int64>(s.event.episode));
    sqlite3_bind_int64(ins, 6, s.event.step);
    sqlite3_bind_int(ins, 7, 0);
    sqlite3_bind_text(ins, 8, s.action.tool.data(), static_cast<int>(s.action.tool.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins, 9, s.action.payload.data(), static_cast<int>(s.action.payload.size()), SQLITE_STATIC);
    sqlite3_bind_int(ins, 10, 0);
    sqlite3_bind_int64(ins, 11, static_cast<sqlite3_int64>(s.action.payload.size()));
    sqlite3_bind_double(ins, 12, s.action.cost_usd);
    sqlite3_bind_int64(ins, 13, s.action.tokens);
    sqlite3_bind_int(ins, 14, s.decision.allowed() ? 1 : 0);
    sqlite3_bind_int64(ins, 15, s.decision.total_violations());
    sqlite3_bind_int(ins, 16, 1);
    sqlite3_bind_int64(ins, 17, 0);
    sqlite3_bind_double(ins, 18, s.event.reward);
    sqlite3_bind_double(ins, 19, s.event.penalty);
    sqlite3_bind_blob(ins, 20, zero, 32, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 21, zero, 32, SQLITE_STATIC);
    sqlite3_step(ins);
    sqlite3_reset(ins);
    if (seq % 8192 == 0) sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_finalize(ins);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_SqliteInsert);

double CpuSeconds(clockid_t clock) {
  timespec t{};
  clock_gettime(clock, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// producers threads append in parallel (each its own env ids), as VectorEnv workers do.
void RunRecorder(benchmark::State& state, RecorderOptions options, int producers) {
  BenchDir dir;
  std::shared_ptr<FlightRecorder> r;
  Status s = FlightRecorder::Open(dir.File("log.db"), std::move(options), &r);
  if (!s.ok()) {
    state.SkipWithError(s.message().c_str());
    return;
  }
  auto& steps = Steps();
  constexpr std::uint64_t kBatch = 20000;  // records per iteration, across all producers
  std::uint64_t total = 0;
  const double process_cpu0 = CpuSeconds(CLOCK_PROCESS_CPUTIME_ID);
  const double thread_cpu0 = CpuSeconds(CLOCK_THREAD_CPUTIME_ID);
  for (auto _ : state) {
    if (producers == 1) {
      for (std::uint64_t i = 0; i < kBatch; ++i) {
        if (!r->Append(steps[i % steps.size()].event).ok()) state.SkipWithError("append failed");
      }
    } else {
      std::vector<std::thread> threads;
      for (int t = 0; t < producers; ++t) {
        threads.emplace_back([&, t] {
          for (std::uint64_t i = static_cast<std::uint64_t>(t); i < kBatch; i += static_cast<std::uint64_t>(producers)) {
            (void)r->Append(steps[i % steps.size()].event);
          }
        });
      }
      for (auto& t : threads) t.join();
    }
    if (!r->Flush().ok()) state.SkipWithError("flush failed");
    total += kBatch;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
  // CPU per record, which a loaded machine distorts far less than wall time:
  // all threads, and (with one producer) the writer's share, i.e. everything
  // but the producing thread. On an idle machine the writer's share bounds
  // the sustainable rate at 1e9 / writer_ns records/s.
  const double process_ns = (CpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - process_cpu0) * 1e9 / static_cast<double>(total);
  state.counters["cpu_ns/rec"] = process_ns;
  if (producers == 1) {
    const double thread_ns = (CpuSeconds(CLOCK_THREAD_CPUTIME_ID) - thread_cpu0) * 1e9 / static_cast<double>(total);
    state.counters["writer_ns/rec"] = process_ns - thread_ns;
  }
  if (!r->Close().ok()) state.SkipWithError("close failed");
}

// The argument is RecorderOptions::group_commit_us: the default (1000) and 0
// (no group-commit wait), compared in one run.
void BM_Recorder_Relaxed(benchmark::State& state) {
  RecorderOptions o;
  o.durability = Durability::kRelaxed;
  o.group_commit_us = static_cast<std::uint32_t>(state.range(0));
  RunRecorder(state, o, 1);
}
BENCHMARK(BM_Recorder_Relaxed)
    ->ArgName("group_commit_us")->Arg(1000)->Arg(0)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Recorder_Relaxed_Hmac(benchmark::State& state) {
  RecorderOptions o;
  o.durability = Durability::kRelaxed;
  o.hmac_key = std::vector<std::uint8_t>(32, 0x42);
  RunRecorder(state, o, 1);
}
BENCHMARK(BM_Recorder_Relaxed_Hmac)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Recorder_Relaxed_2Producers(benchmark::State& state) {
  RecorderOptions o;
  o.durability = Durability::kRelaxed;
  RunRecorder(state, o, 2);
}
BENCHMARK(BM_Recorder_Relaxed_2Producers)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Recorder_Sync(benchmark::State& state) {
  RecorderOptions o;
  o.durability = Durability::kSync;
  o.group_commit_us = static_cast<std::uint32_t>(state.range(0));
  RunRecorder(state, o, 1);
}
BENCHMARK(BM_Recorder_Sync)
    ->ArgName("group_commit_us")->Arg(1000)->Arg(0)->UseRealTime()->Unit(benchmark::kMillisecond);

// Violations only, 1% of clean decisions sampled: most decisions cost only the level check.
void BM_Recorder_ViolationsOnly(benchmark::State& state) {
  RecorderOptions o;
  o.durability = Durability::kRelaxed;
  o.level = RecordLevel::kViolations;
  o.sample_rate = 0.01;
  RunRecorder(state, o, 1);
}
BENCHMARK(BM_Recorder_ViolationsOnly)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- a VectorEnv of no-op tasks: recording off, violations only, all -----
// What recording costs an environment step: the same batch of no-op steps
// (every action allowed) with no recorder, with a violations-only recorder
// sampling 1% of clean steps, and with every decision recorded. The last
// iteration flushes, so items/s counts only committed records.

enum class Recording { kOff, kViolations, kAll };

void RunVecEnv(benchmark::State& state, Recording mode) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  BenchDir dir;
  std::shared_ptr<FlightRecorder> recorder;
  if (mode != Recording::kOff) {
    RecorderOptions o;
    o.durability = Durability::kRelaxed;
    if (mode == Recording::kViolations) {
      o.level = RecordLevel::kViolations;
      o.sample_rate = 0.01;
    }
    Status s = FlightRecorder::Open(dir.File("env.db"), o, &recorder);
    if (!s.ok()) {
      state.SkipWithError(s.message().c_str());
      return;
    }
  }
  static auto factory = MakeNoopTaskFactory();
  VectorEnvConfig c;
  c.num_envs = n;
  c.num_threads = threads;
  c.min_envs_per_thread = 1;
  c.env.audit_sink = recorder;
  std::unique_ptr<VectorEnv> v;
  Status s = VectorEnv::Create(KernelSpace::AllowAll(), c, *factory, &v);
  if (s.ok()) s = v->Reset(1);
  if (!s.ok()) {
    state.SkipWithError(s.message().c_str());
    return;
  }
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  for (std::size_t i = 0; i < n; ++i) {
    bytes += "SELECT name FROM customers WHERE id = 42";
    offsets.push_back(bytes.size());
  }
  BatchActions batch;
  batch.bytes = bytes;
  batch.offsets = offsets;
  std::int64_t done = 0;
  for (auto _ : state) {
    if (!(s = v->Step(batch)).ok()) state.SkipWithError(s.message().c_str());
    if (++done == static_cast<std::int64_t>(state.max_iterations) && recorder) {
      if (!recorder->Flush().ok()) state.SkipWithError("flush failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  if (recorder) {
    state.counters["records"] = static_cast<double>(recorder->committed_seq());
    (void)recorder->Close();
  }
}

void BM_VecEnv_RecordingOff(benchmark::State& state) { RunVecEnv(state, Recording::kOff); }
void BM_VecEnv_RecordingViolations(benchmark::State& state) { RunVecEnv(state, Recording::kViolations); }
void BM_VecEnv_RecordingAll(benchmark::State& state) { RunVecEnv(state, Recording::kAll); }
BENCHMARK(BM_VecEnv_RecordingOff)->Args({256, 1})->Args({256, 2})->UseRealTime();
BENCHMARK(BM_VecEnv_RecordingViolations)->Args({256, 1})->Args({256, 2})->UseRealTime();
BENCHMARK(BM_VecEnv_RecordingAll)->Args({256, 1})->Args({256, 2})->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
