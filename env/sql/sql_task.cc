#include "env/sql/sql_task.h"

#include <cctype>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "env/sql/result_set.h"
#include "env/sql/sql_dataset.h"
#include "env/sql/sql_feedback.h"
#include "env/sql/sql_session.h"

namespace agentos {

namespace {

// Room for the status line and a line of the message.
constexpr std::uint32_t kMinFeedbackBytes = 64;

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Uniform in [0, n) from a 64-bit seed (Lemire's multiply-shift; the bias is
// below n / 2^64).
std::uint64_t PickIndex(std::uint64_t seed, std::uint64_t n) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(SplitMix64(seed)) * n) >> 64);
}

// ASCII case-insensitive: does `text`, after leading whitespace, start with `marker`?
bool StartsWithMarker(std::string_view text, std::string_view marker) {
  std::size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (text.size() - i < marker.size()) return false;
  for (std::size_t k = 0; k < marker.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(text[i + k])) != std::tolower(static_cast<unsigned char>(marker[k]))) {
      return false;
    }
  }
  return true;
}

// Task id -> dataset index, built once per factory and shared by its tasks.
using TaskIds = std::unordered_map<std::string_view, std::int64_t>;

class SqlTaskImpl final : public SqlTask {
 public:
  SqlTaskImpl(std::shared_ptr<const SqlDataset> dataset, std::shared_ptr<const std::vector<std::int64_t>> indices,
              std::shared_ptr<const TaskIds> ids, const SqlTaskConfig& config, std::unique_ptr<SqlSession> session)
      : dataset_(std::move(dataset)),
        indices_(std::move(indices)),
        ids_(std::move(ids)),
        session_(std::move(session)),
        submit_marker_(config.submit_marker) {
    limits_.time_limit_ms = config.time_limit_ms;
    limits_.row_limit = config.row_limit;
    pinned_ = config.task_index;
    finish_on_success_ = config.finish_on_success;
    multi_turn_ = config.episode == SqlTaskConfig::Episode::kMultiTurn;
    feedback_ = config.feedback;
    feedback_limits_.max_rows = config.feedback_rows;
    feedback_limits_.max_bytes = config.feedback_bytes;
  }

  Status Reset(std::uint64_t seed) override {
    std::int64_t next = pinned_ >= 0 ? pinned_
                                     : (*indices_)[PickIndex(seed, static_cast<std::uint64_t>(indices_->size()))];
    return Start(next);
  }

  Status ResetTo(std::uint64_t seed, std::int64_t task_index) override {
    (void)seed;  // the task is the whole episode: nothing else is drawn
    if (task_index < 0 || task_index >= num_tasks()) {
      return Status::InvalidArgument("SQL task: task index " + std::to_string(task_index) +
                                     " is out of range (the dataset has " + std::to_string(dataset_->size()) +
                                     " tasks)");
    }
    return Start(task_index);
  }

  std::int64_t num_tasks() const override { return static_cast<std::int64_t>(dataset_->size()); }
  std::int64_t FindTask(std::string_view id) const override {
    auto it = ids_->find(id);
    return it == ids_->end() ? -1 : it->second;
  }

  bool wants_feedback() const override { return feedback_; }
  void OnBlocked(std::string_view reason) override {
    if (!feedback_ || current_ < 0) return;
    BeginFeedback();
    AppendBlockedFeedback(reason, feedback_limits_, &observation_);
  }

  TaskOutcome Execute(const StepInput& input) override {
    TaskOutcome out;
    if (current_ < 0) return Fail(&out, "the SQL task was not reset");
    if (input.action == nullptr) return Refuse(&out, "no action");
    if (input.action->kind != ActionKind::kSql) return Refuse(&out, "the SQL task takes SQL actions");
    const bool submitted = multi_turn_ && StartsWithMarker(input.action->payload, submit_marker_);
    out.done = submitted;
    SqlRunStatus st = session_->Run(input.action->payload, limits_, &result_);
    if (st != SqlRunStatus::kOk) {
      if (feedback_) {
        BeginFeedback();
        AppendErrorFeedback(st, session_->error(), feedback_limits_, &observation_);
      }
      return Fail(&out, session_->error());
    }
    if (feedback_) {
      BeginFeedback();
      AppendRowsFeedback(result_, feedback_limits_, &observation_);
    }
    const auto i = static_cast<std::size_t>(current_);
    if (ResultsMatch(dataset_->gold(i), dataset_->gold_order(i), result_, dataset_->gold_ordered(i), &scratch_)) {
      out.reward = 1.0;
      out.success = true;
      out.done = submitted || finish_on_success_;
    }
    return out;
  }

  std::int64_t ObservationIndex() const override { return current_; }
  std::string_view ObservationText() const override {
    if (current_ < 0) return {};
    if (has_feedback_) return observation_;
    return dataset_->observation(static_cast<std::size_t>(current_));
  }
  std::string_view Instructions() const override {
    return "Answer the question by writing one SQLite statement against the schema given. Every statement is "
           "checked against the environment's policy before it runs; a statement the policy denies never runs.";
  }
  std::uint64_t BackendDestructiveOps() const override { return session_->lifetime().destructive_statements; }
  std::uint64_t ChangedStateEpisodes() const override {
    return changed_episodes_ + (session_->since_restore().changed_database() ? 1 : 0);
  }

  std::string_view task_id() const override {
    return current_ < 0 ? std::string_view() : std::string_view(dataset_->task(static_cast<std::size_t>(current_)).id);
  }
  const SqlBackendStats& episode_stats() const override { return session_->since_restore(); }
  const SqlBackendStats& lifetime_stats() const override { return session_->lifetime(); }
  Status DatabaseDigest(std::uint64_t* out) const override { return session_->Digest(out); }

 private:
  Status Start(std::int64_t next) {
    has_feedback_ = false;
    // Counted once the restore succeeded: a failed one keeps the stats, and
    // ChangedStateEpisodes still counts the episode through them.
    const bool changed = session_->since_restore().changed_database();
    // Each task restores its own database's template (one image per
    // database; the same image as before costs nothing extra).
    if (Status s = session_->Restore(dataset_->image(static_cast<std::size_t>(next))); !s.ok()) {
      current_ = -1;
      return s;
    }
    if (changed) ++changed_episodes_;
    current_ = next;
    return Status::Ok();
  }

  // The observation restarts from the question and schema; the caller
  // appends this step's section. The buffer keeps its capacity.
  void BeginFeedback() {
    observation_.assign(dataset_->observation(static_cast<std::size_t>(current_)));
    has_feedback_ = true;
  }

  TaskOutcome& Fail(TaskOutcome* out, std::string_view why) {
    message_.assign(why);
    out->error = true;
    out->message = message_;
    return *out;
  }
  // An action that never reached the database (not SQL, no action).
  TaskOutcome& Refuse(TaskOutcome* out, std::string_view why) {
    if (feedback_) {
      BeginFeedback();
      AppendTaskErrorFeedback(why, feedback_limits_, &observation_);
    }
    return Fail(out, why);
  }

  std::shared_ptr<const SqlDataset> dataset_;
  std::shared_ptr<const std::vector<std::int64_t>> indices_;
  std::shared_ptr<const TaskIds> ids_;
  std::unique_ptr<SqlSession> session_;
  std::string submit_marker_;
  SqlLimits limits_;
  SqlFeedbackLimits feedback_limits_;
  std::int64_t pinned_ = -1;
  bool finish_on_success_ = true;
  bool multi_turn_ = false;
  bool feedback_ = true;
  bool has_feedback_ = false;  // observation_ holds this episode's latest feedback
  std::int64_t current_ = -1;
  std::string observation_;  // question, schema and feedback; reused between steps
  std::uint64_t changed_episodes_ = 0;  // ended (reset) episodes whose actions changed the database
  ResultSet result_;
  std::vector<std::uint32_t> scratch_;
  std::string message_;
};

class SqlTaskFactory final : public TaskFactory {
 public:
  SqlTaskFactory(std::shared_ptr<const SqlDataset> dataset, std::shared_ptr<const std::vector<std::int64_t>> indices,
                 std::shared_ptr<const TaskIds> ids, SqlTaskConfig config)
      : dataset_(std::move(dataset)), indices_(std::move(indices)), ids_(std::move(ids)), config_(std::move(config)) {}

  std::string_view name() const override { return "sql"; }

  Status Make(std::unique_ptr<Task>* out) override {
    if (out == nullptr) return Status::InvalidArgument("TaskFactory::Make: out is null");
    std::unique_ptr<SqlSession> session;
    if (Status s = SqlSession::Open(dataset_->image(), std::size_t{config_.growth_limit_kb} * 1024, &session);
        !s.ok()) {
      return s;
    }
    *out = std::make_unique<SqlTaskImpl>(dataset_, indices_, ids_, config_, std::move(session));
    return Status::Ok();
  }

 private:
  std::shared_ptr<const SqlDataset> dataset_;
  std::shared_ptr<const std::vector<std::int64_t>> indices_;
  std::shared_ptr<const TaskIds> ids_;
  SqlTaskConfig config_;
};

}  // namespace

bool ParseSqlEpisode(std::string_view text, SqlTaskConfig::Episode* out) {
  if (text == "single") {
    *out = SqlTaskConfig::Episode::kSingle;
  } else if (text == "multi_turn") {
    *out = SqlTaskConfig::Episode::kMultiTurn;
  } else {
    return false;
  }
  return true;
}

Status CheckSubmitMarker(std::string_view m) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("SQL task: submit_marker '" + std::string(m.substr(0, 64)) + "' " + why);
  };
  if (m.size() < 4 || m.substr(0, 2) != "/*" || m.substr(m.size() - 2) != "*/") {
    return bad("must be one SQL block comment, such as '/* submit */'");
  }
  const std::string_view inner = m.substr(2, m.size() - 4);
  if (inner.find("*/") != std::string_view::npos || inner.find("/*") != std::string_view::npos) {
    return bad("must be one comment: no '/*' or '*/' inside");
  }
  if (!inner.empty() && (inner[0] == '!' || inner[0] == '+' || inner.substr(0, 2) == "M!")) {
    return bad("must be a plain comment, not a hint or dialect comment ('/*!', '/*+', '/*M!')");
  }
  for (char c : m) {
    if (c < 0x20 || c > 0x7e) return bad("must be printable ASCII");
  }
  return Status::Ok();
}

Status MakeSqlTaskFactory(const SqlTaskConfig& config, std::shared_ptr<const SqlDataset> dataset,
                          std::unique_ptr<TaskFactory>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeSqlTaskFactory: out is null");
  if (!dataset) return Status::InvalidArgument("MakeSqlTaskFactory: no dataset");
  if (config.time_limit_ms == 0) return Status::InvalidArgument("SQL task: time_limit_ms must be > 0");
  if (config.row_limit == 0) return Status::InvalidArgument("SQL task: row_limit must be > 0");
  auto indices = std::make_shared<std::vector<std::int64_t>>();
  if (Status s = dataset->SplitIndices(config.split, indices.get()); !s.ok()) return s;
  if (config.task_index >= 0 && static_cast<std::size_t>(config.task_index) >= dataset->size()) {
    return Status::InvalidArgument("SQL task: task_index " + std::to_string(config.task_index) +
                                   " is out of range (the dataset has " + std::to_string(dataset->size()) + " tasks)");
  }
  if (config.task_index < -1) return Status::InvalidArgument("SQL task: task_index must be >= 0, or -1");
  if (indices->empty() && config.task_index < 0) {
    return Status::InvalidArgument("SQL task: split '" + config.split + "' has no tasks");
  }
  if (config.episode != SqlTaskConfig::Episode::kSingle && config.episode != SqlTaskConfig::Episode::kMultiTurn) {
    return Status::InvalidArgument("SQL task: episode must be single or multi_turn");
  }
  if (Status s = CheckSubmitMarker(config.submit_marker); !s.ok()) return s;
  if (config.feedback_rows == 0) return Status::InvalidArgument("SQL task: feedback_rows must be > 0");
  if (config.feedback_bytes < kMinFeedbackBytes) {
    return Status::InvalidArgument("SQL task: feedback_bytes must be >= " + std::to_string(kMinFeedbackBytes) +
                                   ", got " + std::to_string(config.feedback_bytes));
  }
  // The dataset's loader refuses duplicate ids, so every id maps to one index.
  auto ids = std::make_shared<TaskIds>();
  ids->reserve(dataset->size());
  for (std::size_t i = 0; i < dataset->size(); ++i) ids->emplace(dataset->task(i).id, static_cast<std::int64_t>(i));
  *out = std::make_unique<SqlTaskFactory>(std::move(dataset), std::move(indices), std::move(ids), config);
  return Status::Ok();
}

Status MakeSqlTaskFactory(const SqlTaskConfig& config, std::unique_ptr<TaskFactory>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeSqlTaskFactory: out is null");
  std::shared_ptr<const SqlDataset> dataset;
  Status s = config.questions_file.empty()
                 ? SqlDataset::Load(config.dataset_dir, &dataset)
                 : SqlDataset::LoadSpider(config.databases_dir, config.questions_file, &dataset);
  if (!s.ok()) return s;
  return MakeSqlTaskFactory(config, std::move(dataset), out);
}

}  // namespace agentos
