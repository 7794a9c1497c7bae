// The SQL task: each environment owns a SQLite database restored from a
// shared template image at every reset; the action is SQL text; the reward is
// execution accuracy against a gold query (Spider-style execution match).
#ifndef AGENTOS_ENV_SQL_SQL_TASK_H_
#define AGENTOS_ENV_SQL_SQL_TASK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "env/task.h"
#include "kernel/status.h"

namespace agentos {

struct SqlTaskConfig {
  std::string dataset_dir;     // holds schema.sql, data.sql, tasks.jsonl (see env/sql/data/README)
  std::string split = "train";  // "train", "test" or "all"
  std::int64_t task_index = -1;  // >= 0 pins every episode to one task; -1 = seed picks
  std::uint32_t time_limit_ms = 200;  // per statement; a runaway query is interrupted
  std::uint32_t row_limit = 10000;    // rows read back per statement
  bool finish_on_success = true;      // a correct answer ends the episode
};

// Loads the dataset once (template database, tasks, gold results) and shares
// it, read-only, among every Task it makes.
Status MakeSqlTaskFactory(const SqlTaskConfig& config, std::unique_ptr<TaskFactory>* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_TASK_H_
