// The JSON actions `agentos check` and `agentos env step` read: one per
// line from a file or standard input, each with its line number.
#ifndef AGENTOS_BINDINGS_CLI_ACTION_STREAM_H_
#define AGENTOS_BINDINGS_CLI_ACTION_STREAM_H_

#include <cstddef>
#include <fstream>
#include <istream>
#include <optional>
#include <string>

#include "bindings/cli/action_json.h"
#include "kernel/status.h"

namespace agentos::cli {

class ActionStream {
 public:
  enum class Item {
    kAction,     // *action holds the line's action
    kMalformed,  // *error says what is wrong with the line
    kTooLong,    // the line is over kMaxActionLineBytes; the stream ends here
    kEnd,        // no more lines (check read_error())
  };

  // Reads `path`, or `stdin_stream` when path is absent or "-". An IoError
  // (unopenable, a directory) changes nothing.
  Status Open(const std::optional<std::string>& path, std::istream& stdin_stream);

  // The next non-blank line.
  Item Next(JsonAction* action, std::string* error);
  // Number of the line Next() last returned, from 1.
  std::size_t line() const { return reader_->line_number(); }
  // True when the next line is not already buffered (reading it may wait).
  bool drained() const { return reader_->drained(); }
  // "FILE" or "standard input", for messages.
  const std::string& name() const { return name_; }
  // Set when reading failed (kEnd came early): why.
  std::string read_error() const;

 private:
  std::ifstream file_;
  std::istream* in_ = nullptr;
  std::optional<LineReader> reader_;
  std::string name_;
  std::string line_;
};

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_ACTION_STREAM_H_
