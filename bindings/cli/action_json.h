// Agent actions written as JSON, one object per line (JSONL): what
// `agentos check` reads.
//
//   {"kind":"sql","sql":"SELECT 1"}          a bare {"sql":...} is kind sql
//   {"kind":"tool_call","tool":"shell.exec","args":{"cmd":"ls"}}
//   {"kind":"message","text":"hello"}        {"kind":"spend","cost_usd":0.5,"tokens":900}
//
// Fields: kind, agent_id, tool, sql | payload | text (strings; at most one),
// args (any JSON value, given to the kernel as compact JSON text; tool calls
// only), cost_usd (number), tokens (integer). An sql action needs sql or
// payload, a tool_call needs tool. Unknown or repeated fields,
// wrong types and kinds that contradict the fields are errors: a line that
// could mean two things is refused, never guessed at.
#ifndef AGENTOS_BINDINGS_CLI_ACTION_JSON_H_
#define AGENTOS_BINDINGS_CLI_ACTION_JSON_H_

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/action.h"
#include "kernel/status.h"

namespace agentos::cli {

// Longer lines are refused unread, so one line cannot exhaust memory.
inline constexpr std::size_t kMaxActionLineBytes = std::size_t{1} << 20;
// Deeper "args" values are refused (they are re-serialised recursively).
inline constexpr int kMaxArgsDepth = 64;

// One action read from JSON. It owns its text; view() points into it.
struct JsonAction {
  ActionKind kind = ActionKind::kSql;
  std::string agent_id;
  std::string tool;
  std::string payload;
  double cost_usd = 0.0;
  std::int64_t tokens = 0;

  // Valid while this object lives and is not changed.
  Action view() const;
};

// Parses one line holding one JSON object. On failure returns
// InvalidArgument saying what is wrong; *out is then unspecified.
Status ParseActionJson(std::string_view line, JsonAction* out);

// Cuts a stream into lines ('\n'; a '\r' before it is JSON whitespace). Never
// holds more than max_line bytes of a line, and never waits for more input
// than one read returns, so it can serve an interactive pipe.
//
// A line longer than max_line ends the stream: Next() returns kTooLong as
// soon as the limit is passed and kEnd after that. Skipping to the next '\n'
// instead could read forever (/dev/zero has none).
class LineReader {
 public:
  enum class Result { kLine, kTooLong, kEnd };

  explicit LineReader(std::istream& in, std::size_t max_line = kMaxActionLineBytes);

  // The next line without its '\n' (a last line without '\n' counts). For
  // kTooLong *line is empty.
  Result Next(std::string* line);
  // Number of the line Next() last returned, from 1.
  std::size_t line_number() const { return line_number_; }
  // True when the next line is not already buffered (reading it may wait).
  bool drained() const;
  // Why reading stopped early (the stream's read failed), or empty. Next()
  // returns kEnd once this is set.
  const std::string& read_error() const { return read_error_; }

 private:
  bool Fill();

  std::istream& in_;
  std::size_t max_line_;
  std::vector<char> buf_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::size_t line_number_ = 0;
  bool stopped_ = false;
  std::string read_error_;
};

// True for a line holding only JSON whitespace (space, tab, CR).
bool IsBlankLine(std::string_view line);

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_ACTION_JSON_H_
