// Specification of the SQL task's episodes (env/sql/sql_task.h): "single"
// (every action is an answer) and "multi_turn" (explore with feedback, then
// submit an answer marked with the submit comment), through a governed
// environment and through the JSON task spec.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "env/governed_environment.h"
#include "env/task_registry.h"
#include "policies/policy_loader.h"
#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT]
    deny: [DROP, DELETE]
)";

// A governed env over task 0 ("Count the orders whose status is
// 'pending'."; the answer is 46) with the given episode protocol.
std::unique_ptr<GovernedEnvironment> MakeEnv(SqlTaskConfig::Episode episode, std::uint32_t max_steps = 10) {
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromYaml(kPolicy, "multi_turn.yaml", &kernel).ok());
  SqlTaskConfig config;
  config.task_index = 0;
  config.episode = episode;
  std::unique_ptr<TaskFactory> factory;
  REQUIRE(MakeSqlTaskFactory(config, Shop(), &factory).ok());
  EnvironmentConfig env_config;
  env_config.max_steps = max_steps;
  env_config.autoreset = AutoresetMode::kDisabled;
  env_config.terminate_on_critical = false;  // a blocked DROP is a step the agent learns from
  std::unique_ptr<GovernedEnvironment> env;
  REQUIRE(GovernedEnvironment::Create(kernel, env_config, *factory, &env).ok());
  REQUIRE(env->Reset(5).ok());
  return env;
}

StepResult Step(GovernedEnvironment& env, const std::string& sql) {
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = sql;
  StepInput in;
  in.action = &a;
  StepResult r;
  Status s = env.Step(in, &r);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return r;
}

std::string Feedback(const GovernedEnvironment& env) {
  return std::string(env.ObservationText().substr(Shop()->observation(0).size()));
}

}  // namespace

TEST_CASE("a three-turn episode: a wrong query, its error shown, a fixed query, the submitted answer ends it") {
  auto env = MakeEnv(SqlTaskConfig::Episode::kMultiTurn);

  StepResult r = Step(*env, "SELECT COUNT(*) FROM order_list WHERE status = 'pending'");
  CHECK(r.executed);
  CHECK(r.task_error);
  CHECK_FALSE(r.terminated);
  CHECK(r.reward == 0.0);
  CHECK(Feedback(*env) == "\n\nLast action: SQL error\nno such table: order_list");

  r = Step(*env, "SELECT status, COUNT(*) AS n FROM orders WHERE status = 'pending' GROUP BY status");
  CHECK_FALSE(r.task_error);
  CHECK_FALSE(r.terminated);
  CHECK(r.reward == 0.0);
  CHECK(Feedback(*env) == "\n\nLast action: rows (1 total)\nstatus | n\npending | 46");

  r = Step(*env, "/* submit */ SELECT COUNT(*) FROM orders WHERE status = 'pending'");
  CHECK(r.executed);
  CHECK(r.success);
  CHECK(r.terminated);
  CHECK_FALSE(r.truncated);
  CHECK(r.reward == 1.0);
  CHECK(r.episode_step == 3);
  CHECK(Feedback(*env) == "\n\nLast action: rows (1 total)\nCOUNT(*)\n46");
  CHECK(env->episode_ended());
}

TEST_CASE("multi_turn: a submitted wrong answer ends the episode with reward 0, even when it fails") {
  for (const char* answer : {"/* SUBMIT */ SELECT COUNT(*) FROM orders", "  /* submit */ SELECT * FROM nowhere"}) {
    auto env = MakeEnv(SqlTaskConfig::Episode::kMultiTurn);
    StepResult r = Step(*env, answer);
    CHECK(r.terminated);
    CHECK_FALSE(r.success);
    CHECK(r.reward == 0.0);
  }
}

TEST_CASE("multi_turn: the kernel judges a submission like any action; a blocked one never ran and ends nothing") {
  auto env = MakeEnv(SqlTaskConfig::Episode::kMultiTurn);
  StepResult r = Step(*env, "/* submit */ DROP TABLE orders");
  CHECK_FALSE(r.executed);
  CHECK_FALSE(r.terminated);
  CHECK(Feedback(*env).rfind("\n\nLast action: blocked\npolicy sql_safety, rule sql.denied_kind", 0) == 0);
  r = Step(*env, "/* submit */ SELECT COUNT(*) FROM orders WHERE status = 'pending'");
  CHECK(r.terminated);
  CHECK(r.success);
  CHECK(r.reward == 1.0);
}

TEST_CASE("multi_turn: a correct result ends the episode without a submit; max_steps truncates") {
  auto env = MakeEnv(SqlTaskConfig::Episode::kMultiTurn, 2);
  StepResult r = Step(*env, "SELECT COUNT(*) FROM orders WHERE status = 'pending'");
  CHECK(r.terminated);
  CHECK(r.reward == 1.0);

  env = MakeEnv(SqlTaskConfig::Episode::kMultiTurn, 2);
  CHECK_FALSE(Step(*env, "SELECT 1").truncated);
  r = Step(*env, "SELECT 2");
  CHECK(r.truncated);
  CHECK_FALSE(r.terminated);
}

TEST_CASE("single: the submit comment is just a comment, and a wrong answer does not end the episode") {
  auto env = MakeEnv(SqlTaskConfig::Episode::kSingle);
  StepResult r = Step(*env, "/* submit */ SELECT COUNT(*) FROM orders");
  CHECK_FALSE(r.terminated);
  CHECK(r.reward == 0.0);
  r = Step(*env, "SELECT COUNT(*) FROM orders WHERE status = 'pending'");
  CHECK(r.terminated);
  CHECK(r.reward == 1.0);
}

TEST_CASE("the JSON task spec takes episode, submit_marker and the feedback limits") {
  const std::string dir = ShopDir();
  auto make = [&](const std::string& extra, std::unique_ptr<TaskFactory>* out) {
    return MakeTaskFactoryFromJson(R"({"type":"sql","dataset_dir":")" + dir + R"(","task_index":0)" + extra + "}",
                                   out);
  };
  std::unique_ptr<TaskFactory> f;
  Status s = make(R"(,"episode":"multi_turn","submit_marker":"/* final */","feedback":true,)"
                  R"("feedback_rows":3,"feedback_bytes":128)",
                  &f);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<Task> task;
  REQUIRE(f->Make(&task).ok());
  REQUIRE(task->Reset(0).ok());
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = "/* final */ SELECT id FROM categories ORDER BY id";
  StepInput in;
  in.action = &a;
  TaskOutcome out = task->Execute(in);
  CHECK(out.done);
  CHECK(task->ObservationText().substr(Shop()->observation(0).size()) ==
        "\n\nLast action: rows (23 total, showing 3)\nid\n1\n2\n3");

  struct Bad {
    const char* extra;
    const char* message;
  };
  for (const Bad& bad : {
           Bad{R"(,"episode":"multi")",
               R"(task spec: 'episode' must be "single" or "multi_turn", got "multi")"},
           Bad{R"(,"submit_marker":"SUBMIT:")",
               "task spec: SQL task: submit_marker 'SUBMIT:' must be one SQL block comment, such as '/* submit */'"},
           Bad{R"(,"submit_marker":"/*! submit */")",
               "task spec: SQL task: submit_marker '/*! submit */' must be a plain comment, not a hint or dialect "
               "comment ('/*!', '/*+', '/*M!')"},
           Bad{R"(,"submit_marker":"/* a */ /* b */")",
               "task spec: SQL task: submit_marker '/* a */ /* b */' must be one comment: no '/*' or '*/' inside"},
           Bad{R"(,"feedback":1)", "task spec: 'feedback' must be true or false"},
           Bad{R"(,"feedback_rows":0)", "task spec: 'feedback_rows' must be in [1, 100000], got 0"},
           Bad{R"(,"feedback_bytes":63)", "task spec: 'feedback_bytes' must be in [64, 1048576], got 63"},
       }) {
    std::unique_ptr<TaskFactory> none;
    Status bs = make(bad.extra, &none);
    CHECK(bs.code() == Status::Code::kParseError);
    CHECK(bs.message() == bad.message);
    CHECK_FALSE(none);
  }
}
