// Compares an export file with what exporting a log writes now, byte for
// byte, as the export is written: `agentos audit verify LOG --export FILE`
// proves FILE holds the verified log's records (or, for JSON Lines, its
// first records: the log may have grown since).
#ifndef AGENTOS_BINDINGS_CLI_EXPORT_MATCH_H_
#define AGENTOS_BINDINGS_CLI_EXPORT_MATCH_H_

#include <cstddef>
#include <istream>
#include <streambuf>

namespace agentos::cli {

// An output buffer that checks every byte written against `expected`.
class ExportMatchBuf : public std::streambuf {
 public:
  explicit ExportMatchBuf(std::istream& expected) : expected_(expected) {}

  // Call after the export was written: checks `expected` has nothing more.
  void Finish();

  bool differs() const { return differs_; }
  // The line (from 1) of the first difference when differs().
  std::size_t diff_line() const { return line_; }
  // Complete lines of `expected` that matched (all of them unless differs()).
  std::size_t matched_lines() const { return complete_lines_; }
  // `expected` ended at a line boundary before the export did.
  bool prefix() const { return prefix_; }

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;

 private:
  void Put(char c);

  std::istream& expected_;
  std::size_t line_ = 1;
  std::size_t complete_lines_ = 0;
  bool at_line_start_ = true;
  bool differs_ = false;
  bool prefix_ = false;
};

}  // namespace agentos::cli

#endif  // AGENTOS_BINDINGS_CLI_EXPORT_MATCH_H_
