// Specification: `SELECT 1 --\r'\n; DROP TABLE orders; --'` cannot drop the
// shop's orders table through the governed SQL task. PostgreSQL would end the
// comment at the \r and read a string to the last quote; SQLite reads the
// comment to the \n and runs the DROP. The kernel must deny it and say so.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "env/sql/sql_session.h"
#include "env/vector_env.h"
#include "policies/policy_loader.h"
#include "sql_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

const std::string kDropsOrders = "SELECT 1 --\r'\n; DROP TABLE orders; --'";

}  // namespace

TEST_CASE("without a kernel SQLite really drops orders on the \\r comment text") {
  // The reproducer is real: SQLite ends the comment at the \n.
  std::unique_ptr<SqlSession> session;
  REQUIRE(SqlSession::Open(Shop()->image(), 1 << 20, &session).ok());
  ResultSet ignored;
  CHECK(session->Run(kDropsOrders, SqlLimits{}, &ignored) == SqlRunStatus::kOk);
  CHECK(session->since_restore().destructive_statements == 1);
  CHECK(session->Run("SELECT COUNT(*) FROM orders", SqlLimits{}, &ignored) == SqlRunStatus::kSqlError);
}

TEST_CASE("the governed SQL task denies the \\r comment text and orders survives") {
  for (const char* file : {"sql_safety.yaml", "train_governed.yaml"}) {
    INFO(file);
    std::shared_ptr<const KernelSpace> kernel;
    Status s = LoadKernelFromFile(std::string(AGENTOS_SOURCE_DIR) + "/examples/policies/" + file, &kernel);
    INFO(s.ToString());
    REQUIRE(s.ok());
    Action a;
    a.kind = ActionKind::kSql;
    a.payload = kDropsOrders;
    Decision d = kernel->Check(a);
    CHECK_FALSE(d.allowed());
    REQUIRE(d.violations().size() == 1);
    CHECK(d.violations()[0].rule() == "sql.ambiguous");

    SqlTaskConfig task_config;
    task_config.finish_on_success = false;
    std::unique_ptr<TaskFactory> factory;
    REQUIRE(MakeSqlTaskFactory(task_config, Shop(), &factory).ok());
    VectorEnvConfig config;
    config.num_envs = 2;
    config.num_threads = 1;
    config.env.terminate_on_critical = false;
    config.env.autoreset = AutoresetMode::kDisabled;
    std::unique_ptr<VectorEnv> venv;
    s = VectorEnv::Create(kernel, config, *factory, &venv);
    INFO(s.ToString());
    REQUIRE(s.ok());
    REQUIRE(venv->Reset(7).ok());

    const std::string bytes = kDropsOrders + kDropsOrders;
    const std::vector<std::uint64_t> offsets{0, kDropsOrders.size(), bytes.size()};
    BatchActions b;
    b.bytes = bytes;
    b.offsets = offsets;
    s = venv->Step(b);
    INFO(s.ToString());
    REQUIRE(s.ok());

    const VectorBuffers& out = venv->buffers();
    for (Eigen::Index i = 0; i < 2; ++i) {
      INFO("env " << i);
      CHECK(out.executed[i] == 0);
      CHECK(out.violations[i] == 1);
      auto* task = dynamic_cast<const SqlTask*>(&venv->env(static_cast<std::size_t>(i)).task());
      REQUIRE(task != nullptr);
      CHECK(task->BackendDestructiveOps() == 0);
      CHECK(DigestOf(*task) == Shop()->template_digest());
    }
    CHECK(venv->Metrics().backend_destructive_ops == 0);
  }
}
