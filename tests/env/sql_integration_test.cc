// The SQL task behind the governed VectorEnv, end to end through a JSON task
// spec and the three-rule SQL policy loaded from YAML: blocked statements never
// reach SQLite, the authorizer counter stays 0, correct answers succeed once
// per episode. (The SQL task's own specification is tests/sql_task.)
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "env/sql/sql_task.h"
#include "env/task_registry.h"
#include "env/vector_env.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
)";

std::string Spec() {
  return std::string(R"({"type":"sql","dataset_dir":")") + AGENTOS_SOURCE_DIR +
         R"(/env/sql/data/shop","split":"train","task_index":0})";
}

}  // namespace

TEST_CASE("a governed SQL VectorEnv: shielding, success once per episode, authorizer at 0") {
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromYaml(kPolicy, "sql_integration.yaml", &kernel).ok());
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeTaskFactoryFromJson(Spec(), &factory);
  INFO(s.ToString());
  REQUIRE(s.ok());
  VectorEnvConfig c;
  c.num_envs = 4;
  c.num_threads = 2;
  c.min_envs_per_thread = 1;
  c.env.max_steps = 3;
  c.env.terminate_on_critical = false;
  std::unique_ptr<VectorEnv> v;
  REQUIRE(VectorEnv::Create(kernel, c, *factory, &v).ok());
  REQUIRE(v->Reset(11).ok());
  CHECK(v->ObservationText(0).find("pending") != std::string_view::npos);  // task 0's question

  // Task 0: "Count the orders whose status is 'pending'."
  const std::vector<std::string> actions = {
      "SELECT COUNT(*) FROM orders WHERE status = 'pending'",  // correct
      "DROP TABLE orders",                                     // denied kind
      "DELETE FROM orders WHERE status <> 'pending'; SELECT COUNT(*) FROM orders",
      "SELECT COUNT(*) FROM orders",                           // wrong answer
  };
  std::string bytes;
  std::vector<std::uint64_t> offsets{0};
  for (const auto& a : actions) {
    bytes += a;
    offsets.push_back(bytes.size());
  }
  BatchActions b;
  b.bytes = bytes;
  b.offsets = offsets;
  REQUIRE(v->Step(b).ok());
  const VectorBuffers& out = v->buffers();
  CHECK(out.executed[0] == 1);
  CHECK(out.reward[0] == 1.0);
  CHECK(out.terminated[0] == 1);  // finish_on_success
  CHECK(out.executed[1] == 0);
  CHECK(out.executed[2] == 0);
  CHECK(out.reward[1] < 0);
  CHECK(out.reward[2] < 0);
  CHECK(out.executed[3] == 1);
  CHECK(out.reward[3] == 0.0);
  for (int k = 0; k < 20; ++k) REQUIRE(v->Step(b).ok());
  EnvMetrics m = v->Metrics();
  CHECK(m.backend_destructive_ops == 0);
  CHECK(m.success_rate() <= 1.0);
  CHECK(m.counters.successful_episodes > 0);
  CHECK(m.policy_count("sql_safety") > 0);
  // Nothing destructive reached any env's database.
  for (std::size_t i = 0; i < v->num_envs(); ++i) {
    const auto* task = dynamic_cast<const SqlTask*>(&v->env(i).task());
    REQUIRE(task != nullptr);
    CHECK(task->BackendDestructiveOps() == 0);
  }
}
