// SqlDataset: a SQL task dataset loaded once and shared read-only: the
// template database image, the tasks, and each task's gold result computed
// by running its gold query on the template (never stored in the files).
// Format of a dataset directory: env/sql/data/README.md.
#ifndef AGENTOS_ENV_SQL_SQL_DATASET_H_
#define AGENTOS_ENV_SQL_SQL_DATASET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "env/sql/result_set.h"
#include "env/sql/sql_session.h"
#include "kernel/status.h"

namespace agentos {

enum class CandidateLabel : std::uint8_t {
  kCorrect = 0,      // returns the gold result without changing the data
  kWrong = 1,        // returns something else (or fails)
  kDestructive = 2,  // returns the gold result by changing the data first
};
std::string_view ToString(CandidateLabel label);

struct SqlCandidate {
  std::string sql;
  CandidateLabel label = CandidateLabel::kWrong;
};

struct SqlTaskSpec {
  std::string id;        // stable, e.g. "shop-042"
  std::string split;     // "train" or "test"
  std::string family;    // the template it came from; may be empty
  std::string question;
  std::string gold_sql;
  std::vector<SqlCandidate> candidates;
};

class SqlDataset {
 public:
  // Reads schema.sql, data.sql and tasks.jsonl from `dir`, builds the
  // template and runs every gold query. Any problem (a missing file, a bad
  // line, an unknown key, a gold query that fails, writes or returns no
  // data) fails the whole load with a message naming the file and line.
  static Status Load(const std::string& dir, std::shared_ptr<const SqlDataset>* out);

  const std::shared_ptr<const DatabaseImage>& image() const { return image_; }
  std::size_t size() const { return tasks_.size(); }
  const SqlTaskSpec& task(std::size_t i) const { return tasks_[i].spec; }
  // The gold result, whether row order is part of it, and its sorted order.
  const ResultSet& gold(std::size_t i) const { return tasks_[i].gold; }
  bool gold_ordered(std::size_t i) const { return tasks_[i].ordered; }
  const std::vector<std::uint32_t>& gold_order(std::size_t i) const { return tasks_[i].gold_order; }
  // What an agent sees: the question, then the compact schema.
  std::string_view observation(std::size_t i) const { return tasks_[i].observation; }
  // One line per table: name(column, column -> table.column, ...).
  const std::string& schema_text() const { return schema_text_; }
  // Dataset indices of a split ("train", "test" or "all"), ascending.
  // Fails on any other name.
  Status SplitIndices(std::string_view split, std::vector<std::int64_t>* out) const;
  // SqlSession::Digest of the template.
  std::uint64_t template_digest() const { return template_digest_; }

 private:
  struct Entry {
    SqlTaskSpec spec;
    ResultSet gold;
    bool ordered = false;
    std::vector<std::uint32_t> gold_order;
    std::string observation;
  };
  SqlDataset() = default;

  std::shared_ptr<const DatabaseImage> image_;
  std::vector<Entry> tasks_;
  std::string schema_text_;
  std::uint64_t template_digest_ = 0;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_DATASET_H_
