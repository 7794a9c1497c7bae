#include "env/sql/sql_task.h"

#include <utility>
#include <vector>

#include "env/sql/result_set.h"
#include "env/sql/sql_dataset.h"
#include "env/sql/sql_session.h"

namespace agentos {

namespace {

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

class SqlTaskImpl final : public SqlTask {
 public:
  SqlTaskImpl(std::shared_ptr<const SqlDataset> dataset, std::shared_ptr<const std::vector<std::int64_t>> indices,
              const SqlTaskConfig& config, std::unique_ptr<SqlSession> session)
      : dataset_(std::move(dataset)), indices_(std::move(indices)), session_(std::move(session)) {
    limits_.time_limit_ms = config.time_limit_ms;
    limits_.row_limit = config.row_limit;
    pinned_ = config.task_index;
    finish_on_success_ = config.finish_on_success;
  }

  Status Reset(std::uint64_t seed) override {
    std::int64_t next = pinned_ >= 0 ? pinned_
                                     : (*indices_)[PickIndex(seed, static_cast<std::uint64_t>(indices_->size()))];
    // Counted once the restore succeeded: a failed one keeps the stats, and
    // ChangedStateEpisodes still counts the episode through them.
    const bool changed = session_->since_restore().changed_database();
    if (Status s = session_->Restore(); !s.ok()) {
      current_ = -1;
      return s;
    }
    if (changed) ++changed_episodes_;
    current_ = next;
    return Status::Ok();
  }

  TaskOutcome Execute(const StepInput& input) override {
    TaskOutcome out;
    if (current_ < 0) return Fail(&out, "the SQL task was not reset");
    if (input.action == nullptr) return Fail(&out, "no action");
    if (input.action->kind != ActionKind::kSql) return Fail(&out, "the SQL task takes SQL actions");
    SqlRunStatus st = session_->Run(input.action->payload, limits_, &result_);
    if (st != SqlRunStatus::kOk) return Fail(&out, session_->error());
    const auto i = static_cast<std::size_t>(current_);
    if (ResultsMatch(dataset_->gold(i), dataset_->gold_order(i), result_, dataset_->gold_ordered(i), &scratch_)) {
      out.reward = 1.0;
      out.success = true;
      out.done = finish_on_success_;
    }
    return out;
  }

  std::int64_t ObservationIndex() const override { return current_; }
  std::string_view ObservationText() const override {
    return current_ < 0 ? std::string_view() : dataset_->observation(static_cast<std::size_t>(current_));
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
  TaskOutcome& Fail(TaskOutcome* out, std::string_view why) {
    message_.assign(why);
    out->error = true;
    out->message = message_;
    return *out;
  }

  std::shared_ptr<const SqlDataset> dataset_;
  std::shared_ptr<const std::vector<std::int64_t>> indices_;
  std::unique_ptr<SqlSession> session_;
  SqlLimits limits_;
  std::int64_t pinned_ = -1;
  bool finish_on_success_ = true;
  std::int64_t current_ = -1;
  std::uint64_t changed_episodes_ = 0;  // ended (reset) episodes whose actions changed the database
  ResultSet result_;
  std::vector<std::uint32_t> scratch_;
  std::string message_;
};

class SqlTaskFactory final : public TaskFactory {
 public:
  SqlTaskFactory(std::shared_ptr<const SqlDataset> dataset, std::shared_ptr<const std::vector<std::int64_t>> indices,
                 SqlTaskConfig config)
      : dataset_(std::move(dataset)), indices_(std::move(indices)), config_(std::move(config)) {}

  std::string_view name() const override { return "sql"; }

  Status Make(std::unique_ptr<Task>* out) override {
    if (out == nullptr) return Status::InvalidArgument("TaskFactory::Make: out is null");
    std::unique_ptr<SqlSession> session;
    if (Status s = SqlSession::Open(dataset_->image(), std::size_t{config_.growth_limit_kb} * 1024, &session);
        !s.ok()) {
      return s;
    }
    *out = std::make_unique<SqlTaskImpl>(dataset_, indices_, config_, std::move(session));
    return Status::Ok();
  }

 private:
  std::shared_ptr<const SqlDataset> dataset_;
  std::shared_ptr<const std::vector<std::int64_t>> indices_;
  SqlTaskConfig config_;
};

}  // namespace

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
  *out = std::make_unique<SqlTaskFactory>(std::move(dataset), std::move(indices), config);
  return Status::Ok();
}

Status MakeSqlTaskFactory(const SqlTaskConfig& config, std::unique_ptr<TaskFactory>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeSqlTaskFactory: out is null");
  std::shared_ptr<const SqlDataset> dataset;
  if (Status s = SqlDataset::Load(config.dataset_dir, &dataset); !s.ok()) return s;
  return MakeSqlTaskFactory(config, std::move(dataset), out);
}

}  // namespace agentos
