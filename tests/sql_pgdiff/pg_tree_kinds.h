// What PostgreSQL's own parser (libpg_query, PG 15) says a text does: per
// statement, the agentos statement kinds derived from the parse tree and
// whether an UPDATE/DELETE in it lacks a WHERE clause.
#ifndef AGENTOS_TESTS_SQL_PGDIFF_PG_TREE_KINDS_H_
#define AGENTOS_TESTS_SQL_PGDIFF_PG_TREE_KINDS_H_

#include <string>
#include <vector>

#include "policies/sql/statement_kind.h"

namespace agentos::pgdiff {

struct PgStatement {
  sql::KindSet kinds = 0;
  bool update_without_where = false;
  bool delete_without_where = false;
};

// False if PostgreSQL does not parse `text` (error in *error).
bool PgAnalyze(const std::string& text, std::vector<PgStatement>* out, std::string* error);

}  // namespace agentos::pgdiff

#endif  // AGENTOS_TESTS_SQL_PGDIFF_PG_TREE_KINDS_H_
