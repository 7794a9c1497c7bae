#include "bindings/cli/action_stream.h"

#include "bindings/cli/cli_common.h"

namespace agentos::cli {
namespace {

// Strips a UTF-8 byte order mark, which some editors put before line 1.
void StripBom(std::string* line) {
  if (line->size() >= 3 && line->compare(0, 3, "\xEF\xBB\xBF") == 0) line->erase(0, 3);
}

}  // namespace

Status ActionStream::Open(const std::optional<std::string>& path, std::istream& stdin_stream) {
  if (path && *path != "-") {
    Status s = OpenInputFile(*path, &file_);
    if (!s.ok()) return s;
    in_ = &file_;
    name_ = *path;
  } else {
    in_ = &stdin_stream;
    name_ = "standard input";
  }
  reader_.emplace(*in_);
  return Status::Ok();
}

ActionStream::Item ActionStream::Next(JsonAction* action, std::string* error) {
  for (;;) {
    LineReader::Result r = reader_->Next(&line_);
    if (r == LineReader::Result::kEnd) return Item::kEnd;
    if (r == LineReader::Result::kTooLong) {
      *error = "line is longer than " + std::to_string(kMaxActionLineBytes) + " bytes";
      return Item::kTooLong;
    }
    if (reader_->line_number() == 1) StripBom(&line_);
    if (IsBlankLine(line_)) continue;
    Status parsed = ParseActionJson(line_, action);
    if (parsed.ok()) return Item::kAction;
    *error = parsed.message();
    return Item::kMalformed;
  }
}

std::string ActionStream::read_error() const {
  if (!reader_->read_error().empty()) return reader_->read_error();
  if (in_->bad()) return "read failed";
  return {};
}

}  // namespace agentos::cli
