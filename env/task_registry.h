// Task specs: the small JSON documents that name a task and its settings,
// so the C API, the CLI and Python can ask for a task without C++.
//
//   {"type": "noop"}
//   {"type": "external"}
//   {"type": "sql", "dataset_dir": "env/sql/data", "split": "train",
//    "task_index": -1, "time_limit_ms": 200, "row_limit": 10000,
//    "finish_on_success": true, "growth_limit_kb": 8192,
//    "episode": "single", "submit_marker": "/* submit */",
//    "feedback": true, "feedback_rows": 10, "feedback_bytes": 2048}
//   ("episode": "single" or "multi_turn"; feedback_rows in [1, 100000],
//   feedback_bytes in [64, 1048576]; see env/sql/sql_task.h)
//   {"type": "sql", "databases_dir": "spider/database",
//    "questions_file": "spider/dev.json", ...}   (the Spider/BIRD layout;
//    split "all", the default there: the questions file is the split)
//   {"type": "cartpole", "safety_zone": 1.0}   (env/cartpole_task.h)
//   {"type": "<a registered name>", ...}       (env/task_api.h: the task's
//                                               maker reads the other keys)
//
// Strict, like the policy loader: the document must be one JSON object;
// "type" is required; every other key must be one the type knows, with the
// right JSON type and range (see SqlTaskConfig for the SQL keys; only
// dataset_dir, or questions_file with databases_dir, is required, the rest
// default as there). Unknown keys,
// duplicate keys, wrong types and trailing text are errors naming the key.
#ifndef AGENTOS_ENV_TASK_REGISTRY_H_
#define AGENTOS_ENV_TASK_REGISTRY_H_

#include <memory>
#include <string_view>

#include "env/task.h"
#include "kernel/status.h"

namespace agentos {

// Longer specs are refused unread.
inline constexpr std::size_t kMaxTaskSpecBytes = 64 * 1024;

// ParseError for malformed JSON or a bad key/value; errors of the task's own
// factory (e.g. the SQL dataset cannot be loaded) are passed through.
Status MakeTaskFactoryFromJson(std::string_view spec, std::unique_ptr<TaskFactory>* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_TASK_REGISTRY_H_
