// SqlDataset: a SQL task dataset loaded once and shared read-only: the
// template database images, the tasks, and each task's gold result computed
// by running its gold query on its template (never stored in the files).
// Two layouts (env/sql/data/README.md): a dataset directory (one database
// built from SQL text, tasks with candidates and splits), or Spider/BIRD's
// (a directory of SQLite files, one per db_id, and a questions file), where
// each database file is read once and shared by all of its tasks.
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
  std::string id;        // stable, e.g. "shop-042"; Spider layout: "<db_id>-<index in the questions file>"
  std::string split;     // "train" or "test"; empty in the Spider layout (the questions file is the split)
  std::string family;    // the template it came from; may be empty
  std::string question;
  std::string gold_sql;
  std::vector<SqlCandidate> candidates;  // empty in the Spider layout
  std::string db_id;       // Spider layout: the database the task runs on; empty otherwise
  std::string evidence;    // BIRD's hint, shown with the question; may be empty
  std::string difficulty;  // BIRD's label; may be empty
};

class SqlDataset {
 public:
  // Reads schema.sql, data.sql and tasks.jsonl from `dir`, builds the
  // template and runs every gold query. Any problem (a missing file, a bad
  // line, an unknown key, a gold query that fails, writes or returns no
  // data) fails the whole load with a message naming the file and line.
  static Status Load(const std::string& dir, std::shared_ptr<const SqlDataset>* out);
  // Reads the questions file (env/sql/spider_questions.h) and, once per
  // db_id, `databases_dir`/<db_id>/<db_id>.sqlite; runs every gold query on
  // its database. Fails on the first problem with a message naming the file
  // and the line or question index: broken JSON, an unknown db_id (no such
  // directory), a missing database file, a file that is not a database, a
  // gold query that fails or writes. A gold query may return no rows
  // (Spider's do): an empty answer then matches it.
  static Status LoadSpider(const std::string& databases_dir, const std::string& questions_file,
                           std::shared_ptr<const SqlDataset>* out);

  std::size_t size() const { return tasks_.size(); }
  // Task i's template database, its schema text and its digest.
  const std::shared_ptr<const DatabaseImage>& image(std::size_t i) const { return db_of(i).image; }
  const std::string& schema_text(std::size_t i) const { return db_of(i).schema_text; }
  std::uint64_t template_digest(std::size_t i) const { return db_of(i).digest; }
  // How many distinct databases the tasks use (1 for a dataset directory).
  std::size_t database_count() const { return databases_.size(); }
  const SqlTaskSpec& task(std::size_t i) const { return tasks_[i].spec; }
  // The gold result, whether row order is part of it, and its sorted order.
  const ResultSet& gold(std::size_t i) const { return tasks_[i].gold; }
  bool gold_ordered(std::size_t i) const { return tasks_[i].ordered; }
  const std::vector<std::uint32_t>& gold_order(std::size_t i) const { return tasks_[i].gold_order; }
  // What an agent sees: the question, then the compact schema.
  std::string_view observation(std::size_t i) const { return tasks_[i].observation; }
  // The first task's (for a dataset directory, every task's) template,
  // schema text and digest. Schema text: one line per table,
  // name(column, column -> table.column, ...).
  const std::shared_ptr<const DatabaseImage>& image() const { return databases_.front().image; }
  const std::string& schema_text() const { return databases_.front().schema_text; }
  std::uint64_t template_digest() const { return databases_.front().digest; }
  // Dataset indices of a split ("train", "test" or "all"), ascending.
  // Fails on any other name; in the Spider layout only "all" exists.
  Status SplitIndices(std::string_view split, std::vector<std::int64_t>* out) const;

 private:
  struct Database {
    std::shared_ptr<const DatabaseImage> image;
    std::string schema_text;
    std::uint64_t digest = 0;
  };
  struct Entry {
    SqlTaskSpec spec;
    std::size_t database = 0;  // into databases_
    ResultSet gold;
    bool ordered = false;
    std::vector<std::uint32_t> gold_order;
    std::string observation;
  };
  SqlDataset() = default;
  const Database& db_of(std::size_t i) const { return databases_[tasks_[i].database]; }

  std::vector<Database> databases_;
  std::vector<Entry> tasks_;
  bool spider_layout_ = false;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_DATASET_H_
