// SQLPolicy: which SQL statements an agent may run, decided on a real
// tokenizer (policies/sql/), never on regexes.
#ifndef AGENTOS_POLICIES_SQL_POLICY_H_
#define AGENTOS_POLICIES_SQL_POLICY_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/policy.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct SqlPolicyConfig {
  // Statement kinds (upper case: SELECT, INSERT, UPDATE, DELETE, MERGE, DROP,
  // TRUNCATE, ALTER, CREATE, ...; see policies/sql/statement_kind.h for the
  // full list). An empty allow list allows every kind that is not denied;
  // a non-empty one denies every kind not on it. Deny overrides allow.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool require_where_on_update = true;
  bool require_where_on_delete = true;
  // Severity per statement kind ("DROP") or per rule id ("sql.not_allowed");
  // anything not named gets the documented default.
  std::map<std::string, Severity> severities;
  // Longer input is denied unread.
  std::size_t max_length = 1 << 20;
  // true for the YAML/Python `SQLPolicy()` with no arguments: deny the
  // destructive kinds by default. Ignored when deny is non-empty.
  bool use_default_deny = true;
};

// ---- Rules -------------------------------------------------------------
// Every violation names one of these rule ids (stable; configs may set their
// severity). Default severities in brackets.
//
//   sql.denied_kind          a statement has a kind on the deny list
//                            [the kind's severity, at least medium]
//   sql.not_allowed          a statement has a kind missing from a non-empty
//                            allow list [the kind's severity, at least medium]
//   sql.update_without_where an UPDATE (also one inside a CTE, EXPLAIN ANALYZE,
//                            PREPARE or rule action) has no WHERE at its own
//                            parenthesis level [high]
//   sql.delete_without_where the same for DELETE [high]
//   sql.unknown_statement    a statement of no known kind (always denied) [high]
//   sql.lex_error            unterminated string/identifier/comment/dollar
//                            quote, unbalanced parentheses, control bytes [high]
//   sql.invalid_input        NUL bytes, invalid UTF-8, Unicode spaces in words [high]
//   sql.too_long             longer than max_length [high]
//   sql.empty                no statement at all [medium]
//   sql.conditional_comment  MySQL /*! */ (and /*M! */, /*+ */ hints, which
//                            can set server variables) [high]
//   sql.ambiguous            text that SQL dialects tokenize differently:
//                            nested /* */, `--x`, `#`, a -- comment with \r
//                            and more text before its \n, backslashes that
//                            move a string's end, dollar quotes holding
//                            quotes or `;`, brackets or backticks holding
//                            quotes, comment openers or `;` [high]
//   sql.too_complex          more than 128 statements, or parentheses nested
//                            deeper than 128 [high]
//
// Kind severities: critical for DROP TRUNCATE ALTER GRANT REVOKE ATTACH DETACH
// RENAME LOAD COPY DO IMPORT; high for DELETE UPDATE MERGE REPLACE CREATE
// PRAGMA VACUUM SET RESET CALL EXECUTE LOCK REINDEX CLUSTER REFRESH DISCARD USE
// CHECKPOINT COMMENT; medium for INSERT TRANSACTION PREPARE DEALLOCATE ANALYZE
// LISTEN NOTIFY DECLARE FETCH CLOSE; low for SELECT EXPLAIN SHOW VALUES TABLE.
// A configured severity wins: first the kind's ("DROP"), then the rule's.
//
// What counts as which kind (policies/sql/statement_kind.h has the list):
//  * a statement's kinds are its own plus those of the statements it runs:
//    data-modifying CTEs (WITH d AS (DELETE ...) SELECT = SELECT + DELETE),
//    EXPLAIN [ANALYZE] <stmt> (EXPLAIN + the inner kinds, also without
//    ANALYZE: we do not bet on options), SELECT ... INTO (SELECT + CREATE),
//    CREATE ... AS <query> (CREATE + the query's kinds), PREPARE ... AS
//    <stmt>, rule and trigger actions, MERGE arms (THEN UPDATE/DELETE/INSERT),
//    INSERT OR REPLACE (+ REPLACE), ON CONFLICT DO UPDATE and ON DUPLICATE
//    KEY UPDATE (+ UPDATE), TABLE t (TABLE + SELECT). Read-only subqueries
//    add no kind.
//  * "has a WHERE" means a WHERE keyword at the UPDATE/DELETE's own
//    parenthesis level; WHERE in a subquery, CTE body, comment or string does
//    not count. Trivially true conditions (WHERE 1=1) are not judged: the
//    rule catches forgotten WHEREs, not deliberate whole-table writes. MERGE
//    arms and upserts are keyed on their join or conflict and need none.
//  * Keywords are ASCII and case-insensitive: look-alike letters make a word
//    an identifier, so such a statement is unknown and denied. Kind names in
//    configs are case-insensitive too ("drop" is DROP).
//  * Every statement of the text is judged: the text is split on `;` at
//    parenthesis depth 0; a `;` inside parentheses (rule action lists) starts
//    a nested statement. Empty statements are fine; a text without any is
//    sql.empty. Transaction control (BEGIN, START TRANSACTION, COMMIT, END,
//    ROLLBACK, ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION) is the one
//    kind TRANSACTION.
//
// Strict on purpose (dialects disagree, so these deny even where one
// dialect would be harmless): `#` anywhere outside strings and comments
// (also PostgreSQL's #> operators), `--comment` without a space, a '...' or
// "..." whose end moves when backslashes escape (E'it\'s'), dollar-quoted
// bodies holding ; quotes or comment openers (so PL/pgSQL function bodies
// and DO blocks), [...] holding quotes or `;`, MySQL SELECT ... INTO @var
// (counted as CREATE), and a DML keyword right after `(`, THEN or DO that
// is really a column name followed by another word.
//
// The check path never allocates: the analysis is a fixed-size value on the
// stack and the tokenizer streams (bench/bench_sql_check.cc counts it).
inline constexpr std::string_view kSqlRuleDeniedKind = "sql.denied_kind";
inline constexpr std::string_view kSqlRuleNotAllowed = "sql.not_allowed";
inline constexpr std::string_view kSqlRuleUpdateWithoutWhere = "sql.update_without_where";
inline constexpr std::string_view kSqlRuleDeleteWithoutWhere = "sql.delete_without_where";
inline constexpr std::string_view kSqlRuleUnknownStatement = "sql.unknown_statement";
inline constexpr std::string_view kSqlRuleLexError = "sql.lex_error";
inline constexpr std::string_view kSqlRuleInvalidInput = "sql.invalid_input";
inline constexpr std::string_view kSqlRuleTooLong = "sql.too_long";
inline constexpr std::string_view kSqlRuleEmpty = "sql.empty";
inline constexpr std::string_view kSqlRuleConditionalComment = "sql.conditional_comment";
inline constexpr std::string_view kSqlRuleAmbiguous = "sql.ambiguous";
inline constexpr std::string_view kSqlRuleTooComplex = "sql.too_complex";

// The kinds denied when use_default_deny is set and deny is empty (minus any
// the allow list names): DROP TRUNCATE ALTER GRANT REVOKE ATTACH DETACH
// RENAME COPY LOAD DO IMPORT.
std::vector<std::string> DefaultSqlDenyList();

// Names the YAML loader checks before building: statement kinds ("DROP")
// and rule ids ("sql.not_allowed") a config may mention.
bool IsSqlStatementKindName(std::string_view name);
bool IsSqlRuleId(std::string_view rule);

// Validates the config (unknown statement kinds or rule ids are errors,
// max_length must be > 0). The policy applies to ActionKind::kSql only.
Status MakeSqlPolicy(std::string name, const SqlPolicyConfig& config, std::unique_ptr<Policy>* out);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_SQL_POLICY_H_
