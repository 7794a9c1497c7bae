// Specification of the SQL task (env/sql/sql_task.h) as an environment sees
// it: episode choice, rewards, errors, limits, the authorizer, and resets.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>

#include "env/sql/cpu_deadline.h"
#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

const char* kRunawayCte = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c";
const char* kHugeCrossJoin = "SELECT COUNT(*) FROM order_items a, order_items b, order_items c";

double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

TEST_CASE("Reset picks a task of the configured split, deterministically in the seed") {
  auto ds = Shop();
  for (const char* split : {"train", "test"}) {
    SqlTaskConfig config;
    config.split = split;
    auto a = MakeTask(config);
    auto b = MakeTask(config);
    std::set<std::int64_t> seen;
    for (std::uint64_t seed = 0; seed < 2000; ++seed) {
      REQUIRE(a->Reset(seed).ok());
      REQUIRE(b->Reset(seed).ok());
      const std::int64_t i = a->ObservationIndex();
      CHECK(b->ObservationIndex() == i);
      REQUIRE(i >= 0);
      REQUIRE(static_cast<std::size_t>(i) < ds->size());
      CHECK(ds->task(static_cast<std::size_t>(i)).split == split);
      CHECK(a->task_id() == ds->task(static_cast<std::size_t>(i)).id);
      seen.insert(i);
    }
    std::vector<std::int64_t> members;
    REQUIRE(ds->SplitIndices(split, &members).ok());
    // 2000 uniform draws reach (nearly) every task of the split.
    CHECK(seen.size() >= members.size() * 9 / 10);
  }
}

TEST_CASE("task_index pins every episode to one dataset index") {
  auto task = PinnedTask(7);
  for (std::uint64_t seed : {0ull, 1ull, 99ull, ~0ull}) {
    REQUIRE(task->Reset(seed).ok());
    CHECK(task->ObservationIndex() == 7);
  }
  CHECK(task->ObservationText() == Shop()->observation(7));
  CHECK(task->ObservationText().rfind("Question: ", 0) == 0);
}

TEST_CASE("before the first Reset there is no task and nothing executes") {
  auto task = MakeTask();
  CHECK(task->ObservationIndex() == -1);
  CHECK(task->ObservationText().empty());
  CHECK(task->task_id().empty());
  TaskOutcome out = Run(*task, "SELECT 1");
  CHECK(out.error);
  CHECK(out.message == "the SQL task was not reset");
  CHECK(out.reward == 0.0);
}

TEST_CASE("the gold answer earns 1 and ends the episode; a wrong answer earns 0 and does not") {
  auto ds = Shop();
  auto task = PinnedTask(3);
  REQUIRE(task->Reset(0).ok());
  TaskOutcome wrong = Run(*task, "SELECT 42");
  CHECK_FALSE(wrong.error);
  CHECK(wrong.reward == 0.0);
  CHECK_FALSE(wrong.success);
  CHECK_FALSE(wrong.done);
  TaskOutcome right = Run(*task, ds->task(3).gold_sql);
  CHECK_FALSE(right.error);
  CHECK(right.reward == 1.0);
  CHECK(right.success);
  CHECK(right.done);

  SECTION("finish_on_success = false keeps the episode going") {
    SqlTaskConfig config;
    config.finish_on_success = false;
    auto open = PinnedTask(3, config);
    REQUIRE(open->Reset(0).ok());
    TaskOutcome again = Run(*open, ds->task(3).gold_sql);
    CHECK(again.success);
    CHECK_FALSE(again.done);
  }
}

TEST_CASE("only the last statement's rows are scored") {
  auto ds = Shop();
  const std::string gold = ds->task(0).gold_sql;
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  CHECK(Run(*task, "SELECT 1; " + gold).reward == 1.0);
  CHECK(Run(*task, gold + "; SELECT 1").reward == 0.0);
  CHECK(Run(*task, "  -- leading comment\n" + gold + ";  /* trailing */ ").reward == 1.0);
}

TEST_CASE("bad SQL gives an error outcome with SQLite's message and the task keeps working") {
  auto ds = Shop();
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  TaskOutcome syntax = Run(*task, "SELEC 1");
  CHECK(syntax.error);
  CHECK(syntax.reward == 0.0);
  CHECK_THAT(std::string(syntax.message), Catch::Contains("syntax error"));
  TaskOutcome column = Run(*task, "SELECT nope FROM orders");
  CHECK(column.error);
  CHECK_THAT(std::string(column.message), Catch::Contains("no such column: nope"));
  TaskOutcome constraint = Run(*task, "INSERT INTO orders (id) VALUES (1)");
  CHECK(constraint.error);
  CHECK_THAT(std::string(constraint.message), Catch::Contains("constraint failed"));
  CHECK(Run(*task, ds->task(0).gold_sql).reward == 1.0);
}

TEST_CASE("empty, comment-only, non-SQL and missing actions are error outcomes") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  CHECK(Run(*task, "").message == "no SQL statement");
  CHECK(Run(*task, "  \n\t ").message == "no SQL statement");
  CHECK(Run(*task, "-- nothing\n/* here */ ;").message == "no SQL statement");
  Action tool;
  tool.kind = ActionKind::kToolCall;
  tool.payload = "SELECT 1";
  StepInput in;
  in.action = &tool;
  TaskOutcome t = task->Execute(in);
  CHECK(t.error);
  CHECK(t.message == "the SQL task takes SQL actions");
  in.action = nullptr;
  CHECK(task->Execute(in).message == "no action");
  const std::string nul_inside("SELECT 1\0; DROP TABLE orders", 28);
  TaskOutcome n = Run(*task, nul_inside);
  CHECK(n.error);  // neither a silently shortened statement nor the rest
  CHECK(n.message == "the SQL text contains a NUL byte");
  // Invalid UTF-8 is just bytes to SQLite: no crash, a normal outcome.
  CHECK_FALSE(Run(*task, "SELECT '\xff\xfe\xc3'").error);
  // Text past SQLite's SQL length limit (1 MiB) is refused, not run.
  TaskOutcome huge = Run(*task, "SELECT 1 /*" + std::string(1 << 20, 'x') + "*/");
  CHECK(huge.error);
  CHECK(huge.message == "statement too long");
  CHECK(Run(*task, Shop()->task(0).gold_sql).reward == 1.0);
  CHECK(task->BackendDestructiveOps() == 0);
}

TEST_CASE("a runaway query is interrupted at the time limit and the task keeps working") {
  auto ds = Shop();
  SqlTaskConfig config;
  config.time_limit_ms = 50;
  auto task = PinnedTask(0, config);
  REQUIRE(task->Reset(0).ok());
  for (const char* runaway : {kRunawayCte, kHugeCrossJoin}) {
    INFO(runaway);
    const auto wall_start = std::chrono::steady_clock::now();
    const std::int64_t cpu_start = CpuDeadline::ThreadCpuNanos();
    TaskOutcome out = Run(*task, runaway);
    const double cpu_ms = static_cast<double>(CpuDeadline::ThreadCpuNanos() - cpu_start) / 1e6;
    const double wall_ms = Millis(std::chrono::steady_clock::now() - wall_start);
    CHECK(out.error);
    CHECK(out.message == "time limit exceeded (50 ms)");
    // The limit is CPU time: it was spent, and not much more...
    CHECK(cpu_ms >= 49.0);
    CHECK(cpu_ms < 80.0);
    // ...and however loaded the machine, the wall-clock cap holds.
    CHECK(wall_ms < 50.0 * CpuDeadline::kWallCapFactor + 100.0);
    CHECK(Run(*task, ds->task(0).gold_sql).reward == 1.0);
  }
  SECTION("the limit covers all statements of an action together") {
    const std::string many = "SELECT 1; " + std::string(kRunawayCte) + "; SELECT 2";
    TaskOutcome out = Run(*task, many);
    CHECK(out.message == "time limit exceeded (50 ms)");
  }
}

TEST_CASE("more rows than row_limit is an error outcome, not a crash") {
  SqlTaskConfig config;
  config.row_limit = 100;
  auto task = PinnedTask(0, config);
  REQUIRE(task->Reset(0).ok());
  TaskOutcome over = Run(*task, "SELECT * FROM order_items");
  CHECK(over.error);
  CHECK(over.message == "row limit exceeded: the statement returns more than 100 rows");
  TaskOutcome at = Run(*task, "SELECT * FROM order_items LIMIT 100");
  CHECK_FALSE(at.error);
}

TEST_CASE("huge values are refused before they are built") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  TaskOutcome big = Run(*task, "SELECT zeroblob(100000000)");
  CHECK(big.error);
  CHECK_THAT(std::string(big.message), Catch::Contains("too big"));
  TaskOutcome many = Run(*task,
                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40) "
                         "SELECT zeroblob(1000000) FROM c");
  CHECK(many.error);
  CHECK_THAT(std::string(many.message), Catch::StartsWith("result too large"));
}

TEST_CASE("the authorizer refuses anything that reaches beyond the private database") {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const std::string victim = dir + "/agentos_sql_attach_" + std::to_string(::getpid()) + ".db";
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  struct Case {
    std::string sql;
    const char* reason;
  };
  const Case cases[] = {
      {"ATTACH DATABASE '" + victim + "' AS other", "ATTACH is denied"},
      {"ATTACH 'file:" + victim + "?mode=rwc' AS other; CREATE TABLE other.t(x)", "ATTACH is denied"},
      {"DETACH DATABASE temp", "DETACH is denied"},
      {"VACUUM INTO '" + victim + "'", "ATTACH is denied"},
      {"SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')", "load_extension() is denied"},
      {"SELECT fts3_tokenizer('simple')", "fts3_tokenizer() is denied"},
      {"PRAGMA temp_store_directory = '" + dir + "'", "this PRAGMA is denied"},
      {"PRAGMA hard_heap_limit = 1", "this PRAGMA is denied"},
      {"PRAGMA soft_heap_limit = 1", "this PRAGMA is denied"},
  };
  std::uint64_t denied = 0;
  for (const Case& c : cases) {
    INFO(c.sql);
    TaskOutcome out = Run(*task, c.sql);
    CHECK(out.error);
    CHECK_THAT(std::string(out.message), Catch::StartsWith("not authorized: ") && Catch::Contains(c.reason));
    CHECK(task->episode_stats().denied_statements == ++denied);
  }
  CHECK_FALSE(std::filesystem::exists(victim));
  CHECK(task->BackendDestructiveOps() == 0);
  // Only VACUUM started (it is refused when it attaches its target); nothing changed.
  CHECK(task->episode_stats().statements == 1);
  CHECK(DigestOf(*task) == Shop()->template_digest());
  // Reading a PRAGMA is fine; so is a table-valued PRAGMA.
  CHECK_FALSE(Run(*task, "PRAGMA table_info(orders)").error);
  CHECK_FALSE(Run(*task, "SELECT name FROM pragma_table_info('orders')").error);
  CHECK(task->BackendDestructiveOps() == 0);
}

TEST_CASE("the authorizer counts every destructive statement that runs") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  CHECK(task->BackendDestructiveOps() == 0);
  CHECK_FALSE(Run(*task, "SELECT COUNT(*) FROM orders").error);
  CHECK_FALSE(Run(*task, "INSERT INTO categories (name) VALUES ('Garden')").error);
  CHECK_FALSE(Run(*task, "UPDATE products SET stock = stock + 1 WHERE id = 1").error);
  CHECK(task->BackendDestructiveOps() == 0);  // reads and plain writes are not destructive
  CHECK(task->episode_stats().write_statements == 2);
  CHECK(task->episode_stats().rows_changed == 2);

  CHECK_FALSE(Run(*task, "DELETE FROM reviews WHERE id = 1").error);
  CHECK(task->BackendDestructiveOps() == 1);
  CHECK(task->episode_stats().rows_changed == 3);
  CHECK_FALSE(Run(*task, "DELETE FROM payments; SELECT 1").error);
  CHECK(task->BackendDestructiveOps() == 2);
  CHECK_FALSE(Run(*task, "DROP TABLE reviews").error);
  CHECK_FALSE(Run(*task, "ALTER TABLE products RENAME TO items").error);
  CHECK_FALSE(Run(*task, "DROP INDEX idx_orders_date").error);
  CHECK_FALSE(Run(*task, "PRAGMA user_version = 5").error);
  CHECK(task->BackendDestructiveOps() == 6);
  CHECK(task->episode_stats().destructive_statements == 6);
  CHECK(task->episode_stats().schema_statements == 3);
  CHECK(task->episode_stats().changed_database());

  SECTION("a destructive statement that fails still counts: it reached SQLite") {
    TaskOutcome out = Run(*task, "DELETE FROM no_such_table");
    CHECK(out.error);  // fails at prepare: never ran, not counted
    CHECK(task->BackendDestructiveOps() == 6);
    out = Run(*task, "DELETE FROM orders WHERE id IN (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                     "SELECT x FROM c)");
    CHECK(out.error);  // runs, then hits the time limit
    CHECK(task->BackendDestructiveOps() == 7);
  }
  SECTION("a reset ends the episode's counts but not the task's") {
    REQUIRE(task->Reset(1).ok());
    CHECK(task->episode_stats().destructive_statements == 0);
    CHECK_FALSE(task->episode_stats().changed_database());
    CHECK(task->BackendDestructiveOps() == 6);
    CHECK(task->lifetime_stats().destructive_statements == 6);
  }
}

TEST_CASE("a reset gives back the template exactly, whatever the episode did") {
  auto ds = Shop();
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(0).ok());
  CHECK(DigestOf(*task) == ds->template_digest());
  const char* vandalism[] = {
      "DELETE FROM orders WHERE status <> 'delivered'",
      "UPDATE products SET price = 0",
      "DROP TABLE reviews",
      "CREATE TABLE junk AS SELECT * FROM customers",
      "CREATE INDEX idx_junk ON junk(email)",
      "ALTER TABLE payments ADD COLUMN note TEXT",
      "INSERT INTO categories (name) VALUES ('Garden')",
      "CREATE TRIGGER t_del AFTER INSERT ON categories BEGIN DELETE FROM products; END",
      "PRAGMA user_version = 7",
      "CREATE TEMP TABLE scratch AS SELECT 1 AS x",
      "PRAGMA case_sensitive_like = ON",
      "BEGIN; DELETE FROM customers",  // left open
  };
  for (const char* sql : vandalism) {
    INFO(sql);
    TaskOutcome out = Run(*task, sql);
    CHECK_FALSE(out.error);
  }
  CHECK(DigestOf(*task) != ds->template_digest());
  REQUIRE(task->Reset(0).ok());
  CHECK(DigestOf(*task) == ds->template_digest());
  CHECK(Run(*task, ds->task(0).gold_sql).reward == 1.0);
  // Connection state is gone too: the TEMP table, and LIKE is case-insensitive again.
  CHECK(Run(*task, "SELECT * FROM temp.scratch").error);
  CHECK_FALSE(Run(*task, "INSERT INTO categories (name) VALUES ('Garden')").error);
  CHECK(task->episode_stats().rows_changed == 1);  // the trigger that deleted products did not survive
}

TEST_CASE("a task's database cannot grow past its growth limit") {
  SqlTaskConfig config;
  config.growth_limit_kb = 256;
  auto task = PinnedTask(0, config);
  REQUIRE(task->Reset(0).ok());
  TaskOutcome out = Run(*task,
                        "CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                        "WHERE x < 10000) SELECT randomblob(200) AS b FROM c");
  CHECK(out.error);
  CHECK_THAT(std::string(out.message), Catch::Contains("full"));
  REQUIRE(task->Reset(0).ok());
  CHECK(DigestOf(*task) == Shop()->template_digest());
  CHECK(Run(*task, Shop()->task(0).gold_sql).reward == 1.0);
}

TEST_CASE("tasks from one factory share the template but never each other's data") {
  auto ds = Shop();
  std::unique_ptr<TaskFactory> factory;
  SqlTaskConfig config;
  config.task_index = 0;
  REQUIRE(MakeSqlTaskFactory(config, ds, &factory).ok());
  CHECK(factory->name() == "sql");
  std::unique_ptr<Task> a, b;
  REQUIRE(factory->Make(&a).ok());
  REQUIRE(factory->Make(&b).ok());
  REQUIRE(a->Reset(0).ok());
  REQUIRE(b->Reset(0).ok());
  CHECK_FALSE(Run(*a, "DELETE FROM orders").error);
  CHECK(a->BackendDestructiveOps() == 1);
  CHECK(b->BackendDestructiveOps() == 0);
  CHECK(DigestOf(*dynamic_cast<SqlTask*>(b.get())) == ds->template_digest());
  CHECK(Run(*b, ds->task(0).gold_sql).reward == 1.0);
}

TEST_CASE("tasks on different threads run independently") {
  auto ds = Shop();
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<SqlTask>> tasks;
  for (int t = 0; t < kThreads; ++t) tasks.push_back(MakeTask(SqlTaskConfig{}));
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SqlTask& task = *tasks[static_cast<std::size_t>(t)];
      for (std::uint64_t seed = 0; seed < 60; ++seed) {
        if (!task.Reset(seed * kThreads + static_cast<std::uint64_t>(t)).ok()) ++failures[t];
        const SqlTaskSpec& spec = ds->task(static_cast<std::size_t>(task.ObservationIndex()));
        for (const SqlCandidate& c : spec.candidates) {
          if (!task.Reset(seed * kThreads + static_cast<std::uint64_t>(t)).ok()) ++failures[t];
          Action a;
          a.payload = c.sql;
          StepInput in;
          in.action = &a;
          TaskOutcome out = task.Execute(in);
          bool pays = c.label != CandidateLabel::kWrong;
          if ((out.reward == 1.0) != pays) ++failures[t];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) CHECK(failures[t] == 0);
}

TEST_CASE("bad factory configurations are refused and produce nothing") {
  auto ds = Shop();
  auto refused = [&](SqlTaskConfig config, const char* why) {
    std::unique_ptr<TaskFactory> factory;
    Status s = MakeSqlTaskFactory(config, ds, &factory);
    INFO(s.ToString());
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(why));
    CHECK(factory == nullptr);
  };
  SqlTaskConfig c;
  c.split = "validation";
  refused(c, "unknown split");
  c = {};
  c.task_index = static_cast<std::int64_t>(ds->size());
  refused(c, "out of range");
  c = {};
  c.task_index = -5;
  refused(c, "task_index");
  c = {};
  c.row_limit = 0;
  refused(c, "row_limit");
  c = {};
  c.time_limit_ms = 0;
  refused(c, "time_limit_ms");

  std::unique_ptr<TaskFactory> factory;
  SqlTaskConfig missing;
  missing.dataset_dir = "/nonexistent/agentos";
  Status s = MakeSqlTaskFactory(missing, &factory);
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(factory == nullptr);
  CHECK(MakeSqlTaskFactory(SqlTaskConfig{}, ds, nullptr).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("a factory built from the dataset directory works end to end") {
  SqlTaskConfig config;
  config.dataset_dir = ShopDir();
  config.split = "test";
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeSqlTaskFactory(config, &factory);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<Task> task;
  REQUIRE(factory->Make(&task).ok());
  REQUIRE(task->Reset(12345).ok());
  auto i = static_cast<std::size_t>(task->ObservationIndex());
  CHECK(Shop()->task(i).split == "test");
  CHECK(Run(*task, Shop()->task(i).gold_sql).reward == 1.0);
}
