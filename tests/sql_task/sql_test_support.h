// Shared helpers for the SQL task specs: the shop dataset, loaded once per
// test binary, and small builders for tasks and actions.
#ifndef AGENTOS_TESTS_SQL_TASK_SQL_TEST_SUPPORT_H_
#define AGENTOS_TESTS_SQL_TASK_SQL_TEST_SUPPORT_H_

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "env/sql/sql_dataset.h"
#include "env/sql/sql_task.h"
#include "kernel/action.h"

namespace agentos::testing {

inline std::string ShopDir() { return std::string(AGENTOS_SOURCE_DIR) + "/env/sql/data/shop"; }

inline std::shared_ptr<const SqlDataset> Shop() {
  static std::shared_ptr<const SqlDataset> shop = [] {
    std::shared_ptr<const SqlDataset> ds;
    Status s = SqlDataset::Load(ShopDir(), &ds);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return ds;
  }();
  return shop;
}

inline std::unique_ptr<SqlTask> MakeTask(SqlTaskConfig config = {}) {
  std::unique_ptr<TaskFactory> factory;
  Status s = MakeSqlTaskFactory(config, Shop(), &factory);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::unique_ptr<Task> task;
  s = factory->Make(&task);
  INFO(s.ToString());
  REQUIRE(s.ok());
  auto* sql = dynamic_cast<SqlTask*>(task.get());
  REQUIRE(sql != nullptr);
  task.release();
  return std::unique_ptr<SqlTask>(sql);
}

inline std::unique_ptr<SqlTask> PinnedTask(std::int64_t index, SqlTaskConfig config = {}) {
  config.task_index = index;
  return MakeTask(config);
}

// Executes `sql` as an allowed action; the text must outlive the call only.
inline TaskOutcome Run(Task& task, const std::string& sql) {
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = sql;
  StepInput in;
  in.action = &a;
  return task.Execute(in);
}

inline std::uint64_t DigestOf(const SqlTask& task) {
  std::uint64_t d = 0;
  Status s = task.DatabaseDigest(&d);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return d;
}

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_SQL_TASK_SQL_TEST_SUPPORT_H_
