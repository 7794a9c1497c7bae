// Specification of the SQL task's execution feedback (env/sql/sql_feedback.h):
// after each step the observation is the question and schema followed by
// what the action did: its rows, its error, or the kernel's reason for
// blocking it.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "env/governed_environment.h"
#include "policies/policy_loader.h"
#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

// The observation after a step: task 0's question and schema, then `section`.
std::string WithFeedback(const std::string& section) { return std::string(Shop()->observation(0)) + section; }

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT]
    deny: [DROP, DELETE]
)";

}  // namespace

TEST_CASE("feedback shows the column names, the rows and the total count") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(1).ok());
  CHECK(task->ObservationText() == Shop()->observation(0));
  Run(*task, "SELECT id, name FROM categories ORDER BY id LIMIT 3");
  CHECK(task->ObservationText() ==
        WithFeedback("\n\nLast action: rows (3 total)\nid | name\n1 | Electronics\n2 | Home & Kitchen\n3 | Books"));
}

TEST_CASE("feedback shows the first feedback_rows rows of a longer result and says how many there are") {
  SqlTaskConfig config;
  config.feedback_rows = 2;
  auto task = PinnedTask(0, config);
  REQUIRE(task->Reset(1).ok());
  Run(*task, "SELECT id AS category FROM categories ORDER BY id");
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: rows (23 total, showing 2)\ncategory\n1\n2"));
}

TEST_CASE("feedback renders NULL, reals, escaped text and blobs, one row per line") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(1).ok());
  Run(*task, "SELECT NULL AS n, 1.5 AS r, 'a' || char(10) || 'b\\c' AS t, x'00ff' AS b, "
             "x'000102030405060708090a0b0c0d0e0f10' AS long_blob");
  CHECK(task->ObservationText() ==
        WithFeedback("\n\nLast action: rows (1 total)\nn | r | t | b | long_blob\n"
                     "NULL | 1.5 | a\\nb\\\\c | x'00ff' | x'000102030405060708090a0b0c0d0e0f...'"));
}

TEST_CASE("feedback is capped at feedback_bytes, cut at a character boundary, with a marker") {
  SqlTaskConfig config;
  config.feedback_bytes = 64;
  auto task = PinnedTask(0, config);
  REQUIRE(task->Reset(1).ok());
  // The section starts with "\n\nLast action: rows (1 total)\nv\n" (32
  // bytes); 31 x's bring it to 63, and the two-byte "é" would straddle the
  // cap, so the cut leaves the whole character out.
  Run(*task, "SELECT '" + std::string(31, 'x') + "' || 'é' || 'yyyyyyyyyyyy' AS v");
  CHECK(task->ObservationText() ==
        WithFeedback("\n\nLast action: rows (1 total)\nv\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n[feedback cut at 64 bytes]"));
}

TEST_CASE("feedback for an empty result names the columns and says there are no rows") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(1).ok());
  Run(*task, "SELECT id, name FROM categories WHERE id < 0");
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: no rows\nid | name"));
  Run(*task, "CREATE TEMP TABLE scratch(x)");
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: ok, the statement returns no rows"));
}

TEST_CASE("feedback for a failing action is SQLite's error, the time limit or the row limit") {
  SqlTaskConfig config;
  config.time_limit_ms = 20;
  config.row_limit = 5;
  auto task = PinnedTask(0, config);
  REQUIRE(task->Reset(1).ok());

  TaskOutcome out = Run(*task, "SELECT nonsense FROM nowhere");
  CHECK(out.error);
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: SQL error\nno such table: nowhere"));

  out = Run(*task, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c");
  CHECK(out.error);
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: time limit\ntime limit exceeded (20 ms)"));

  out = Run(*task, "SELECT id FROM categories");
  CHECK(out.error);
  CHECK(task->ObservationText() ==
        WithFeedback("\n\nLast action: row limit\nrow limit exceeded: the statement returns more than 5 rows"));

  out = Run(*task, "ATTACH DATABASE '/tmp/x.db' AS x");
  CHECK(out.error);
  CHECK(task->ObservationText().rfind(WithFeedback("\n\nLast action: refused\nnot authorized: "), 0) == 0);

  out = Run(*task, "-- only a comment");
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: error\nno SQL statement"));
}

TEST_CASE("a reset shows the question and schema alone again; feedback = false never shows feedback") {
  auto task = PinnedTask(0);
  REQUIRE(task->Reset(1).ok());
  Run(*task, "SELECT 1 AS one");
  CHECK(task->ObservationText() == WithFeedback("\n\nLast action: rows (1 total)\none\n1"));
  REQUIRE(task->Reset(2).ok());
  CHECK(task->ObservationText() == Shop()->observation(0));

  SqlTaskConfig off;
  off.feedback = false;
  auto quiet = PinnedTask(0, off);
  CHECK_FALSE(quiet->wants_feedback());
  REQUIRE(quiet->Reset(1).ok());
  Run(*quiet, "SELECT nonsense FROM nowhere");
  CHECK(quiet->ObservationText() == Shop()->observation(0));
}

TEST_CASE("a blocked action's feedback is the kernel's reason; the action never ran") {
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromYaml(kPolicy, "feedback.yaml", &kernel).ok());
  SqlTaskConfig config;
  config.task_index = 0;
  std::unique_ptr<TaskFactory> factory;
  REQUIRE(MakeSqlTaskFactory(config, Shop(), &factory).ok());
  EnvironmentConfig env_config;
  env_config.terminate_on_critical = false;
  std::unique_ptr<GovernedEnvironment> env;
  REQUIRE(GovernedEnvironment::Create(kernel, env_config, *factory, &env).ok());
  REQUIRE(env->Reset(3).ok());
  Action drop;
  drop.kind = ActionKind::kSql;
  drop.payload = "DROP TABLE orders";
  StepInput in;
  in.action = &drop;
  StepResult r;
  REQUIRE(env->Step(in, &r).ok());
  REQUIRE_FALSE(r.executed);
  CHECK(env->ObservationText() ==
        WithFeedback("\n\nLast action: blocked\n"
                     "policy sql_safety, rule sql.denied_kind, critical: statement 1 is DROP, which is denied"));
  CHECK(dynamic_cast<const SqlTask&>(env->task()).episode_stats().statements == 0);
}
