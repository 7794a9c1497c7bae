#include "bindings/cli/export_match.h"

namespace agentos::cli {

void ExportMatchBuf::Put(char c) {
  if (differs_ || prefix_) return;
  const int e = expected_.get();
  if (e == std::char_traits<char>::eof()) {
    if (at_line_start_) {
      prefix_ = true;
    } else {
      differs_ = true;
    }
    return;
  }
  if (static_cast<char>(e) != c) {
    differs_ = true;
    return;
  }
  at_line_start_ = c == '\n';
  if (c == '\n') {
    ++line_;
    ++complete_lines_;
  }
}

ExportMatchBuf::int_type ExportMatchBuf::overflow(int_type c) {
  if (!traits_type::eq_int_type(c, traits_type::eof())) Put(traits_type::to_char_type(c));
  return traits_type::not_eof(c);
}

std::streamsize ExportMatchBuf::xsputn(const char* s, std::streamsize n) {
  for (std::streamsize i = 0; i < n; ++i) Put(s[i]);
  return n;
}

void ExportMatchBuf::Finish() {
  if (differs_ || prefix_) return;
  if (expected_.peek() != std::char_traits<char>::eof()) differs_ = true;  // more than the log holds
}

}  // namespace agentos::cli
