// SQLPolicy check vs PostgreSQL's parser (pg_query_parse) on the same
// statements, in the same binary and run. The agentos side is the full
// kernel path (KernelSpace::Check under the three-rule policy of sql_safety.yaml); the
// baseline only parses. bench/sql_report.py turns the JSON output into the
// ratio table.
//
//   build/<dir>/bench/bench_sql_check --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true --benchmark_out=sql.json
//   /usr/bin/python3 bench/sql_report.py sql.json
#include <benchmark/benchmark.h>
#include <pg_query.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "kernel/kernel_space.h"
#include "policies/sql_policy.h"

// Counting allocator: shows the check path allocates nothing.
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// The nothrow forms too, so every plain new/delete pair goes through malloc/free.
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using namespace agentos;

const std::string& ShortSelect() {
  static const std::string s = "SELECT id, name, email FROM users WHERE id = 42";
  return s;
}

const std::string& UpdateWithWhere() {
  static const std::string s =
      "UPDATE accounts SET balance = balance - 100, updated_at = now() WHERE id = 42 AND status = 'active'";
  return s;
}

// ~2 KB: CTEs, joins, window functions, CASE, subqueries, comments.
const std::string& Analytic2K() {
  static const std::string s = [] {
    std::string q =
        "-- weekly revenue by region with ranking\n"
        "WITH recent_orders AS (\n"
        "  SELECT o.id, o.customer_id, o.amount, o.created_at, o.status\n"
        "  FROM orders o\n"
        "  WHERE o.created_at >= now() - interval '90 days' AND o.status IN ('paid', 'shipped')\n"
        "), customer_regions AS (\n"
        "  SELECT c.id AS customer_id, r.name AS region, c.segment\n"
        "  FROM customers c JOIN regions r ON r.id = c.region_id\n"
        "  WHERE c.deleted_at IS NULL\n"
        "), weekly AS (\n"
        "  SELECT cr.region, cr.segment, date_trunc('week', ro.created_at) AS week,\n"
        "         sum(ro.amount) AS revenue, count(*) AS orders,\n"
        "         count(DISTINCT ro.customer_id) AS customers\n"
        "  FROM recent_orders ro JOIN customer_regions cr ON cr.customer_id = ro.customer_id\n"
        "  GROUP BY cr.region, cr.segment, date_trunc('week', ro.created_at)\n"
        ")\n"
        "SELECT w.region, w.segment, w.week, w.revenue, w.orders, w.customers,\n"
        "       w.revenue / NULLIF(w.orders, 0) AS avg_order_value,\n"
        "       rank() OVER (PARTITION BY w.week ORDER BY w.revenue DESC) AS region_rank,\n"
        "       w.revenue - lag(w.revenue) OVER (PARTITION BY w.region, w.segment ORDER BY w.week) AS wow_change,\n"
        "       sum(w.revenue) OVER (PARTITION BY w.region ORDER BY w.week ROWS BETWEEN 3 PRECEDING AND CURRENT ROW)"
        " AS rolling_4w,\n"
        "       CASE WHEN w.revenue > (SELECT avg(revenue) FROM weekly) THEN 'above' /* vs all regions */\n"
        "            WHEN w.revenue = 0 THEN 'none' ELSE 'below' END AS band,\n"
        "       (SELECT max(o2.amount) FROM orders o2 WHERE o2.created_at >= w.week\n"
        "          AND o2.created_at < w.week + interval '7 days') AS biggest_order\n"
        "FROM weekly w\n"
        "WHERE w.region <> 'test' AND w.week < date_trunc('week', now())\n"
        "  AND EXISTS (SELECT 1 FROM customer_regions cr2 WHERE cr2.region = w.region AND cr2.segment = 'enterprise')\n";
    while (q.size() < 1950) {
      q += "  AND w.segment NOT IN (SELECT s.name FROM excluded_segments s WHERE s.reason <> 'DROP; DELETE')\n";
    }
    q += "ORDER BY w.week DESC, region_rank ASC\nLIMIT 500";
    return q;
  }();
  return s;
}

// ~100 KB: one multi-row INSERT.
const std::string& Insert100K() {
  static const std::string s = [] {
    std::string q = "INSERT INTO events (id, user_id, kind, payload, created_at) VALUES ";
    for (int i = 0; q.size() < 100 * 1024; ++i) {
      if (i > 0) q += ", ";
      q += "(" + std::to_string(i) + ", " + std::to_string(i * 7 % 1000) +
           ", 'click', '{\"page\": \"/home\", \"ref\": \"x\"}', '2024-01-01 00:00:00')";
    }
    return q;
  }();
  return s;
}

const KernelSpace& ThreeRuleKernel() {
  static const std::shared_ptr<const KernelSpace> k = [] {
    SqlPolicyConfig c;
    c.allow = {"SELECT", "INSERT", "UPDATE"};
    c.deny = {"DROP", "DELETE", "TRUNCATE"};
    c.require_where_on_update = true;
    std::unique_ptr<Policy> p;
    if (!MakeSqlPolicy("sql_safety", c, &p).ok()) std::abort();
    std::vector<std::unique_ptr<Policy>> ps;
    ps.push_back(std::move(p));
    std::shared_ptr<const KernelSpace> kernel;
    if (!KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &kernel).ok()) std::abort();
    // The 100 KB statement must reach the SQL policy: above the kernel's
    // default action limit (64 KiB) it would be denied unread.
    return kernel->WithMaxActionBytes(1u << 20);
  }();
  return *k;
}

void AgentosCheck(benchmark::State& state, const std::string& (*text)()) {
  const KernelSpace& k = ThreeRuleKernel();
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = text();
  EpisodeState episode;
  Decision d;
  k.Check(a, episode, d);
  if (!d.allowed()) {
    state.SkipWithError("benchmark statement is denied; it must be allowed to exercise the full path");
    return;
  }
  long before = g_allocations.load();
  for (auto _ : state) {
    episode.Reset();
    k.Check(a, episode, d);
    benchmark::DoNotOptimize(d);
  }
  long allocations = g_allocations.load() - before;
  state.counters["allocs_per_check"] =
      benchmark::Counter(static_cast<double>(allocations) / static_cast<double>(state.iterations()));
  state.counters["bytes"] = static_cast<double>(a.payload.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * a.payload.size()));
}

void PgQueryParse(benchmark::State& state, const std::string& (*text)()) {
  const std::string& sql = text();
  {
    PgQueryParseResult r = pg_query_parse(sql.c_str());
    bool failed = r.error != nullptr;
    pg_query_free_parse_result(r);
    if (failed) {
      state.SkipWithError("PostgreSQL does not parse the benchmark statement");
      return;
    }
  }
  for (auto _ : state) {
    PgQueryParseResult r = pg_query_parse(sql.c_str());
    benchmark::DoNotOptimize(r.parse_tree);
    pg_query_free_parse_result(r);
  }
  state.counters["bytes"] = static_cast<double>(sql.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * sql.size()));
}

}  // namespace

BENCHMARK_CAPTURE(AgentosCheck, short_select, ShortSelect);
BENCHMARK_CAPTURE(PgQueryParse, short_select, ShortSelect);
BENCHMARK_CAPTURE(AgentosCheck, update_with_where, UpdateWithWhere);
BENCHMARK_CAPTURE(PgQueryParse, update_with_where, UpdateWithWhere);
BENCHMARK_CAPTURE(AgentosCheck, analytic_2kb, Analytic2K);
BENCHMARK_CAPTURE(PgQueryParse, analytic_2kb, Analytic2K);
BENCHMARK_CAPTURE(AgentosCheck, insert_100kb, Insert100K);
BENCHMARK_CAPTURE(PgQueryParse, insert_100kb, Insert100K);

BENCHMARK_MAIN();
