// SqlBackendStats: what the SQL that reached a task's database did to it.
// Counted by the session (env/sql/sql_session.h) from the authorizer's
// classification of each statement and from SQLite's change counters.
#ifndef AGENTOS_ENV_SQL_SQL_BACKEND_STATS_H_
#define AGENTOS_ENV_SQL_SQL_BACKEND_STATS_H_

#include <cstdint>

namespace agentos {

struct SqlBackendStats {
  std::uint64_t statements = 0;              // statements that ran (reached sqlite3_step)
  std::uint64_t write_statements = 0;        // ... of which may write (sqlite3_stmt_readonly() is false)
  std::uint64_t destructive_statements = 0;  // ... of which DELETE, DROP, ALTER or set a PRAGMA
  std::uint64_t schema_statements = 0;       // ... of which CREATE, DROP or ALTER something
  std::uint64_t rows_changed = 0;            // rows inserted, updated or deleted (sqlite3_total_changes)
  std::uint64_t denied_statements = 0;       // refused by the authorizer; these never ran

  // The database may no longer equal the template: rows were changed, the
  // schema was changed, or a destructive statement ran. For a dataset whose
  // candidate actions never write on purpose (the shop dataset), this is a
  // destroyed-data incident.
  bool changed_database() const { return rows_changed > 0 || schema_statements > 0 || destructive_statements > 0; }

  SqlBackendStats& operator+=(const SqlBackendStats& o) {
    statements += o.statements;
    write_statements += o.write_statements;
    destructive_statements += o.destructive_statements;
    schema_statements += o.schema_statements;
    rows_changed += o.rows_changed;
    denied_statements += o.denied_statements;
    return *this;
  }
};

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_BACKEND_STATS_H_
