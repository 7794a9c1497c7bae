// The differential judge: holds the shipped SQL kernels to what real
// database engines do with a text. For every text a kernel ALLOWS, SQLite
// (the SQL task's engine) prepares it statement by statement, exactly as its
// exec loop would run it, with an authorizer recording every action code;
// PostgreSQL's parser (libpg_query) says what each of its statements is. A
// finding is an allowed text that makes either engine perform an operation
// the policy denies. Shared by the Catch2 suite, the libFuzzer target
// (tests/fuzz/fuzz_sql_differential.cc) and the offline run
// (sql_differential_run). MySQL is not run (no server here): the kernel's
// MySQL-only rules (`#`, `--x`, backslash escapes) are not judged by it.
#ifndef AGENTOS_TESTS_SQL_PGDIFF_JUDGE_ENGINE_JUDGE_H_
#define AGENTOS_TESTS_SQL_PGDIFF_JUDGE_ENGINE_JUDGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/kernel_space.h"
#include "kernel/status.h"
#include "policies/sql/statement_kind.h"

struct sqlite3;

namespace agentos::sqljudge {

// What a policy lets a text do, stated per engine. These restate the shipped
// YAML files in each engine's own terms; the judge never asks the kernel
// what it permits.
struct PolicySpec {
  std::string file;             // under examples/policies/
  bool insert_update = false;   // SQLite INSERT and UPDATE actions permitted
  sql::KindSet pg_kinds = 0;    // statement kinds PostgreSQL may run
};

// sql_safety.yaml: SELECT, INSERT, UPDATE (with a WHERE); train_governed.yaml:
// SELECT only.
const std::vector<PolicySpec>& ShippedSqlPolicies();

// One statement as SQLite delimits and compiles it.
struct SqliteStatement {
  std::uint32_t begin = 0, end = 0;  // byte range in the text (end = prepare's tail)
  bool prepared = false;             // false: SQLite refused it, and so ran nothing from here on
  std::vector<int> actions;          // authorizer action codes, in order
  std::vector<std::string> args;     // "code:arg1:arg2" per action, for reports
};

// An in-memory SQLite database holding a schema, configured like the SQL
// task's sessions, whose authorizer records instead of deciding.
class SqliteProbe {
 public:
  static Status Open(std::string_view schema_sql, std::unique_ptr<SqliteProbe>* out);
  ~SqliteProbe();
  SqliteProbe(const SqliteProbe&) = delete;
  SqliteProbe& operator=(const SqliteProbe&) = delete;

  // The statements sqlite3_prepare_v2 reads from `text`, following its tails,
  // until the text ends, a statement fails to prepare, or `keep_going` says
  // stop (it sees each prepared statement). Nothing is stepped, so nothing
  // changes: SQLite's authorizer reports every action a statement will take
  // while it is compiled.
  template <typename KeepGoing>
  void Statements(std::string_view text, std::vector<SqliteStatement>* out, KeepGoing keep_going) {
    out->clear();
    std::size_t at = 0;
    while (at < text.size()) {
      SqliteStatement s;
      if (!PrepareOne(text, at, &s)) break;  // only space and comments left
      out->push_back(std::move(s));
      const SqliteStatement& last = out->back();
      if (!last.prepared || !keep_going(last)) break;
      at = last.end;
    }
  }

 private:
  SqliteProbe() = default;
  static int Record(void* self, int code, const char* a1, const char* a2, const char* db, const char* trigger);
  // False when nothing but space and comments is left at `at`.
  bool PrepareOne(std::string_view text, std::size_t at, SqliteStatement* out);

  sqlite3* db_ = nullptr;
  SqliteStatement* recording_ = nullptr;
};

// True if SQLite reads a WHERE keyword at the top parenthesis level of the
// statement text `stmt`, judged by SQLite's own lexer (sqlite3_complete on
// each prefix tells whether a byte is code or inside a string, identifier
// or comment).
bool SqliteSeesTopLevelWhere(std::string_view stmt);

// Why SQLite running these statements breaks `policy`, or "" if it does not.
std::string SqliteBreach(const PolicySpec& policy, std::string_view text,
                         const std::vector<SqliteStatement>& statements);

// Why PostgreSQL running `text` breaks `policy`, or "" (also when PostgreSQL
// does not parse it: then it runs nothing). *parsed says which.
std::string PostgresBreach(const PolicySpec& policy, const std::string& text, bool* parsed);

struct Finding {
  std::string policy;  // file name
  std::string engine;  // "sqlite" or "postgres"
  std::string why;
};

struct JudgeCounts {
  std::uint64_t texts = 0;
  std::uint64_t allowed = 0;             // (text, policy) pairs the kernel allowed
  std::uint64_t sqlite_statements = 0;   // statements SQLite prepared for allowed texts
  std::uint64_t sqlite_refused = 0;      // allowed texts SQLite refused somewhere
  std::uint64_t postgres_parsed = 0;     // allowed texts PostgreSQL parsed
  std::uint64_t findings = 0;            // (text, policy, engine) breaches
  std::uint64_t texts_with_findings = 0;
};

class DifferentialJudge {
 public:
  // Loads the shipped policy files and the shop schema from `source_dir`
  // (the repository root); SQLite also gets tables with the names the
  // generators use, so statements fail for their syntax, not for a name.
  static Status Create(const std::string& source_dir, std::unique_ptr<DifferentialJudge>* out);
  // The same with other kernels standing in for the shipped ones, one per
  // ShippedSqlPolicies() entry (to show the judge catches a lax kernel).
  static Status CreateWithKernels(const std::string& source_dir,
                                  std::vector<std::shared_ptr<const KernelSpace>> kernels,
                                  std::unique_ptr<DifferentialJudge>* out);

  // Judges `text` under every shipped policy; appends to *findings.
  void Judge(std::string_view text, std::vector<Finding>* findings);

  const JudgeCounts& counts() const { return counts_; }

 private:
  DifferentialJudge() = default;

  struct Loaded {
    PolicySpec spec;
    std::shared_ptr<const KernelSpace> kernel;
  };
  std::vector<Loaded> policies_;
  std::unique_ptr<SqliteProbe> sqlite_;
  std::vector<SqliteStatement> statements_;
  JudgeCounts counts_;
};

}  // namespace agentos::sqljudge

#endif  // AGENTOS_TESTS_SQL_PGDIFF_JUDGE_ENGINE_JUDGE_H_
