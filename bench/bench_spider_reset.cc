// What a reset costs when a dataset has one database per task group (the
// Spider/BIRD layout, env/sql/data/README.md), on the spider_mini fixture.
// Read against baselines measured in the same run:
//
//   * switch = a restore onto another database's template (a new
//     connection over the other image) / a restore after a schema change on
//     the same database (also a new connection; the path every dataset
//     already pays for DDL). Expected ~1: moving between databases costs no
//     more than a schema change does.
//   * same = a restore onto the database of the last episode after a read
//     (nothing to do) / the same through Restore() without an image: the
//     per-task image lookup must add nothing measurable.
//
//   build/release/bench/bench_spider_reset
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "env/sql/sql_dataset.h"
#include "env/sql/sql_session.h"

namespace {

using namespace agentos;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_spider_reset: %s\n", what.c_str());
  std::exit(1);
}

std::shared_ptr<const SqlDataset> SpiderMini() {
  static std::shared_ptr<const SqlDataset> ds = [] {
    const std::string dir = std::string(AGENTOS_SOURCE_DIR) + "/tests/sql_task/fixtures/spider_mini";
    std::shared_ptr<const SqlDataset> d;
    Status s = SqlDataset::LoadSpider(dir + "/database", dir + "/dev.json", &d);
    if (!s.ok()) Die(s.ToString());
    return d;
  }();
  return ds;
}

std::unique_ptr<SqlSession> OpenOn(const std::shared_ptr<const DatabaseImage>& image) {
  std::unique_ptr<SqlSession> session;
  if (!SqlSession::Open(image, 64 * 1024, &session).ok()) Die("open");
  return session;
}

// Task 0 is on concert_hall, task 3 on library.
void BM_RestoreSwitchDatabase(benchmark::State& state) {
  auto ds = SpiderMini();
  const auto& a = ds->image(0);
  const auto& b = ds->image(3);
  auto session = OpenOn(a);
  bool on_a = true;
  for (auto _ : state) {
    if (!session->Restore(on_a ? b : a).ok()) Die("restore");
    on_a = !on_a;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RestoreSwitchDatabase);

// Baseline: a new connection over the same image, after a schema change.
void BM_RestoreAfterSchemaChange(benchmark::State& state) {
  auto ds = SpiderMini();
  auto session = OpenOn(ds->image(0));
  ResultSet rs;
  for (auto _ : state) {
    state.PauseTiming();
    if (session->Run("CREATE TABLE scratch (x)", SqlLimits{}, &rs) != SqlRunStatus::kOk) Die("create");
    state.ResumeTiming();
    if (!session->Restore(ds->image(0)).ok()) Die("restore");
  }
  if (session->restore_counts().reopened != static_cast<std::uint64_t>(state.iterations())) Die("not reopened");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RestoreAfterSchemaChange);

// The same database as the last episode, which only read.
void BM_RestoreSameDatabase(benchmark::State& state) {
  auto ds = SpiderMini();
  auto session = OpenOn(ds->image(0));
  for (auto _ : state) {
    if (!session->Restore(ds->image(1)).ok()) Die("restore");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RestoreSameDatabase);

// Baseline: Restore() without an image (a single-database dataset).
void BM_RestoreWithoutImage(benchmark::State& state) {
  auto ds = SpiderMini();
  auto session = OpenOn(ds->image(0));
  for (auto _ : state) {
    if (!session->Restore().ok()) Die("restore");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_RestoreWithoutImage);

}  // namespace

BENCHMARK_MAIN();
