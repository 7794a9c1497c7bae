// Execution feedback: what the SQL task shows the agent about its last
// action, appended to the question and schema in the next observation, so a
// multi-turn agent can read the rows or the error and try again.
//
// The section is plain text, deterministic (it depends only on the action's
// result, never on time or addresses) and starts with a blank line and a
// status line. One of:
//
//   Last action: rows (R total, showing N)     the statement returned rows:
//   <col> | <col>                              column names, then the first
//   <value> | <value>                          N rows, one per line; when all
//   ...                                        rows are shown the status line
//                                              is "rows (R total)"
//   Last action: no rows                       columns but no rows; the next
//   <col> | <col>                              line names the columns
//   Last action: ok, the statement returns no rows
//                                              INSERT, CREATE, ... (no columns)
//   Last action: SQL error                     next line: SQLite's message
//   Last action: time limit                    next line: the limit
//   Last action: row limit                     next line: the limit
//   Last action: result too large              next line: the limit
//   Last action: refused                       the sandbox refused it (ATTACH, ...)
//   Last action: error                         anything else (not SQL, no statement)
//   Last action: blocked                       the kernel denied the action; it
//                                              never ran. Next lines: the
//                                              kernel's reason (env/blocked_feedback.h)
//
// Values: NULL, integers in decimal, reals in %.12g, text as is, blobs as
// x'<hex>' (first 16 bytes, then "..."). In text, control characters and
// '\' are escaped (\n, \r, \t, \\, \xNN), so one row is one line.
//
// The section (status line included) is at most max_bytes bytes; when cut,
// at a UTF-8 character boundary, it ends with the line
// "[feedback cut at <max_bytes> bytes]".
#ifndef AGENTOS_ENV_SQL_SQL_FEEDBACK_H_
#define AGENTOS_ENV_SQL_SQL_FEEDBACK_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "env/sql/result_set.h"
#include "env/sql/sql_session.h"

namespace agentos {

struct SqlFeedbackLimits {
  std::uint32_t max_rows = 10;     // rows shown
  std::uint32_t max_bytes = 2048;  // bytes of the section
};

// Each appends the section to `out` (which holds the question and schema).
// Reusing `out` between steps allocates nothing once its capacity suffices.
void AppendRowsFeedback(const ResultSet& rows, const SqlFeedbackLimits& limits, std::string* out);
// For a failed run: `status` != kOk, `message` the session's error.
void AppendErrorFeedback(SqlRunStatus status, std::string_view message, const SqlFeedbackLimits& limits,
                         std::string* out);
// For an action that failed before it reached the database (not SQL).
void AppendTaskErrorFeedback(std::string_view message, const SqlFeedbackLimits& limits, std::string* out);
// For an action the kernel blocked; `reason` is the environment's text.
void AppendBlockedFeedback(std::string_view reason, const SqlFeedbackLimits& limits, std::string* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_FEEDBACK_H_
