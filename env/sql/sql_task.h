// The SQL task: each environment owns a SQLite database restored from a
// shared template image at every reset; the action is SQL text; the reward is
// execution accuracy against a gold query (Spider-style execution match).
//
// Execute runs every statement of the action in order and scores the LAST
// statement's rows: reward 1.0 when they match the gold result
// (env/sql/result_set.h), else 0.0; success = reward 1; done = success &&
// finish_on_success. SQL errors, a time limit, a row limit or a refused
// operation give an error outcome with the reason and reward 0.
//
// Episodes (SqlTaskConfig::episode):
//  * kSingle (the default): every action is an answer, scored as above; the
//    episode ends on a correct one (finish_on_success) or at the env's
//    max_steps. With max_steps = 1 an episode is one step.
//  * kMultiTurn: the agent explores and then answers. Every action runs and
//    is scored as above (a correct result ends the episode when
//    finish_on_success); an action that starts (after leading whitespace)
//    with submit_marker, ASCII case ignored, is the final answer: it is
//    scored and ends the episode whatever its result (done, even when it
//    fails). The marker is a SQL block comment, so the text the kernel judges
//    is exactly the text SQLite runs: a marker outside SQL would have to be
//    cut off between the decision and the execution. A submission the
//    kernel blocks never reaches the task, so it ends nothing.
// Per-step reward shaping is the environment's (RewardConfig::step_penalty,
// 0 by default), paid on every governed step in either mode.
//
// Feedback (SqlTaskConfig::feedback, on by default): after each step the
// observation text is the question and schema followed by a section on the
// step's action: its rows, its error, or, when the kernel blocked it, the
// kernel's reason (format: env/sql/sql_feedback.h). A reset shows the
// question and schema alone again.
//
// Pinning: ResetTo(seed, index) plays dataset index `index` (any split);
// FindTask("shop-042") gives the index of a task id.
//
// The task runs whatever the environment lets through. Governance is the
// kernel's job, in front of the task; behind it, the authorizer
// (env/sql/authorizer.h) counts destructive statements that reach SQLite
// (BackendDestructiveOps, which must stay 0 with an enforcing kernel) and
// refuses anything that could reach the host (ATTACH, extensions, ...).
#ifndef AGENTOS_ENV_SQL_SQL_TASK_H_
#define AGENTOS_ENV_SQL_SQL_TASK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "env/sql/sql_backend_stats.h"
#include "env/task.h"
#include "kernel/status.h"

namespace agentos {

class SqlDataset;

struct SqlTaskConfig {
  std::string dataset_dir;     // holds schema.sql, data.sql, tasks.jsonl (see env/sql/data/README.md)
  // The Spider/BIRD layout instead of dataset_dir (env/sql/data/README.md):
  // the directory holding <db_id>/<db_id>.sqlite, and the JSON or JSON Lines
  // file of questions (itself the split: use split "all").
  std::string databases_dir;
  std::string questions_file;
  std::string split = "train";  // "train", "test" or "all"
  std::int64_t task_index = -1;  // >= 0 pins every episode to this dataset index; -1 = the seed picks
  // CPU time one action (all its statements) may use before it is
  // interrupted: a runaway query cannot stall training, and a loaded machine
  // does not turn a slow-but-fine query into a timeout (env/sql/cpu_deadline.h).
  std::uint32_t time_limit_ms = 200;
  std::uint32_t row_limit = 10000;    // rows read back per statement; more is an error outcome
  bool finish_on_success = true;      // a correct answer ends the episode
  // How far a task's database may grow past the template before writes fail
  // ("database or disk is full"); bounds memory per environment.
  std::uint32_t growth_limit_kb = 8192;

  enum class Episode : std::uint8_t { kSingle = 0, kMultiTurn = 1 };
  Episode episode = Episode::kSingle;
  // kMultiTurn: the comment that makes an action the final answer. Must be
  // one plain SQL block comment, "/*" ... "*/", with no "*/" or "/*" inside
  // and no hint or dialect form ("/*!", "/*+", "/*M!"), printable ASCII.
  std::string submit_marker = "/* submit */";
  // Execution feedback in the observation (env/sql/sql_feedback.h).
  bool feedback = true;
  std::uint32_t feedback_rows = 10;     // rows shown, >= 1
  std::uint32_t feedback_bytes = 2048;  // bytes of the feedback section, >= 64
};

// Parses "single" / "multi_turn"; false for anything else.
bool ParseSqlEpisode(std::string_view text, SqlTaskConfig::Episode* out);
// Why `marker` cannot be a submit marker; OK when it can.
Status CheckSubmitMarker(std::string_view marker);

// The interface of tasks made by the SQL factory, for callers that want more
// than Task offers (tests, the training example via the C API). Obtain it
// with dynamic_cast<SqlTask*>(task).
class SqlTask : public Task {
 public:
  // The current episode's task id ("shop-042"); empty before the first Reset.
  virtual std::string_view task_id() const = 0;
  // What the actions of the current episode did to the database. A
  // destroyed-data incident is episode_stats().changed_database().
  virtual const SqlBackendStats& episode_stats() const = 0;
  // The same since the task was made. BackendDestructiveOps() is
  // lifetime_stats().destructive_statements.
  virtual const SqlBackendStats& lifetime_stats() const = 0;
  // Content digest of the task's database (SqlSession::Digest); equals the
  // dataset's template_digest(i) of the episode's task i right after a Reset.
  virtual Status DatabaseDigest(std::uint64_t* out) const = 0;
};

// Loads the dataset once (template databases, tasks, gold results) and
// shares it, read-only, among every Task it makes: from questions_file and
// databases_dir when questions_file is set, else from dataset_dir.
Status MakeSqlTaskFactory(const SqlTaskConfig& config, std::unique_ptr<TaskFactory>* out);
// The same over a dataset already loaded (config.dataset_dir is ignored), so
// several factories (train and test, say) share one template.
Status MakeSqlTaskFactory(const SqlTaskConfig& config, std::shared_ptr<const SqlDataset> dataset,
                          std::unique_ptr<TaskFactory>* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_TASK_H_
