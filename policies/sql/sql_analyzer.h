// SQL analysis: what every statement in a text does, decided on the tokens of
// policies/sql/sql_lexer.h in one pass, with fixed-capacity state only (no
// heap allocation, whatever the input).
//
// Per statement (split on `;` at parenthesis depth 0) the analysis reports
// every effective kind and whether an UPDATE or DELETE lacks a WHERE at its
// own level. See sql_policy.h for the rules these feed.
#ifndef AGENTOS_POLICIES_SQL_SQL_ANALYZER_H_
#define AGENTOS_POLICIES_SQL_SQL_ANALYZER_H_

#include <array>
#include <cstdint>
#include <string_view>

#include "policies/sql/statement_kind.h"

namespace agentos::sql {

// Why a text could not be analysed. Anything but kNone denies the text.
enum class Problem : std::uint8_t {
  kNone,
  kEmpty,                   // no statement at all (only spaces, comments, `;`)
  kNulByte,
  kInvalidUtf8,             // overlong, surrogate, > U+10FFFF, truncated, stray continuation
  kControlCharacter,        // a control byte outside strings and comments
  kUnicodeSpace,            // a Unicode space or invisible character inside a word
  kUnterminatedString,
  kUnterminatedIdentifier,  // "..., `..., [...
  kUnterminatedComment,
  kUnterminatedDollarQuote,
  kUnbalancedParentheses,
  kConditionalComment,      // MySQL /*! */, MariaDB /*M! */, optimizer hints /*+ */
  kNestedComment,           // PostgreSQL nests /* */, MySQL and SQLite do not
  kAmbiguousDashComment,    // `--` not followed by a space: MySQL does not read a comment
  kHashCharacter,           // `#` is a comment in MySQL, an operator in PostgreSQL
  kAmbiguousCommentEnd,     // `--` comment with \r then code before \n: PostgreSQL ends it at \r, SQLite and MySQL at \n
  kAmbiguousBackslash,      // a quote that ends elsewhere when `\` escapes (MySQL) or not (SQL standard)
  kAmbiguousDollarQuote,    // dollar-quoted text holding characters other dialects read as code
  kAmbiguousBracket,        // [...] holding quotes or `;`: identifier in SQLite, subscript in PostgreSQL
  kAmbiguousBacktick,       // `...` holding more than one plain name: identifier in MySQL/SQLite, code in PostgreSQL
  kAmbiguousNumber,         // a number with a letter, '_' or '$' glued on: 1into is 1 INTO before PostgreSQL 15
  kTooManyStatements,
  kTooDeep,                 // parentheses nested deeper than kMaxDepth
};

// The rule id ("sql.lex_error", ...) a problem is reported under, and a
// one-line explanation.
std::string_view ProblemRule(Problem p);
std::string_view ProblemMessage(Problem p);

// Trivially constructible on purpose: an Analysis lives on the caller's
// stack and only the first `count` entries are ever written or read.
struct StatementInfo {
  KindSet kinds;               // every effective kind; includes kUnknown if unknown
  Kind primary;                // what the statement is, by its leading keyword(s)
  bool update_without_where;   // some UPDATE in it has no WHERE at its own level
  bool delete_without_where;
  bool nested_without_where;   // ... and that UPDATE/DELETE is a nested one (CTE, EXPLAIN, rule action)
  std::uint32_t offset;        // byte offset of the statement's first token
};

struct Analysis {
  static constexpr std::size_t kMaxStatements = 128;
  static constexpr std::size_t kMaxDepth = 128;

  Problem problem = Problem::kNone;
  std::uint32_t problem_offset = 0;  // byte offset where the problem was seen
  std::uint32_t count = 0;           // statements analysed (valid even on a problem)
  std::array<StatementInfo, kMaxStatements> statements;  // [0, count) are valid
};

// Fills `out` (which is fully reset). Never throws, never allocates.
void Analyze(std::string_view text, Analysis& out);

}  // namespace agentos::sql

#endif  // AGENTOS_POLICIES_SQL_SQL_ANALYZER_H_
