#include "env/sql/sql_feedback.h"

#include <charconv>
#include <cstdio>

namespace agentos {
namespace {

constexpr std::size_t kBlobBytesShown = 16;

// Appends to `out` until the section reaches its byte budget; what does not
// fit is dropped and the section is marked cut. Bounding while writing (not
// after) keeps a 4 MB text value from being copied only to be cut.
class SectionWriter {
 public:
  SectionWriter(std::string* out, std::uint32_t max_bytes)
      : out_(out), start_(out->size()), max_bytes_(max_bytes) {}

  void Put(std::string_view text) {
    if (cut_) return;
    const std::size_t used = out_->size() - start_;
    const std::size_t room = used < max_bytes_ ? max_bytes_ - used : 0;
    if (text.size() <= room) {
      out_->append(text);
      return;
    }
    out_->append(text.substr(0, room));
    cut_ = true;
  }
  void Put(char c) { Put(std::string_view(&c, 1)); }

  void Finish() {
    if (!cut_) return;
    DropPartialCharacter();
    char marker[64];
    const int n = std::snprintf(marker, sizeof marker, "\n[feedback cut at %u bytes]", max_bytes_);
    out_->append(marker, static_cast<std::size_t>(n));
  }

 private:
  // The cut may split a UTF-8 sequence; drop its leading bytes so the
  // observation stays valid UTF-8 (the values themselves may not be, but a
  // cut never makes valid text invalid).
  void DropPartialCharacter() {
    std::size_t end = out_->size();
    std::size_t back = 0;
    while (back < 3 && end - back > start_ &&
           (static_cast<unsigned char>((*out_)[end - back - 1]) & 0xC0) == 0x80) {
      ++back;
    }
    if (end - back == start_) return;
    const auto lead = static_cast<unsigned char>((*out_)[end - back - 1]);
    std::size_t need = 1;
    if ((lead & 0xE0) == 0xC0) need = 2;
    else if ((lead & 0xF0) == 0xE0) need = 3;
    else if ((lead & 0xF8) == 0xF0) need = 4;
    if (need > 1 && back + 1 < need) out_->resize(end - back - 1);
  }

  std::string* out_;
  std::size_t start_;
  std::uint32_t max_bytes_;
  bool cut_ = false;
};

void PutEscapedText(std::string_view text, SectionWriter& w) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the pending run of plain bytes
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != 0x7f && c != '\\') continue;
    w.Put(text.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '\n': w.Put("\\n"); break;
      case '\r': w.Put("\\r"); break;
      case '\t': w.Put("\\t"); break;
      case '\\': w.Put("\\\\"); break;
      default: {
        const char esc[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
        w.Put(std::string_view(esc, 4));
      }
    }
  }
  w.Put(text.substr(run));
}

void PutValue(const ResultSet::Value& v, SectionWriter& w) {
  char buf[40];
  switch (v.kind) {
    case ResultSet::Kind::kNull: w.Put("NULL"); return;
    case ResultSet::Kind::kInteger: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.integer);
      w.Put(std::string_view(buf, static_cast<std::size_t>(end - buf)));
      return;
    }
    case ResultSet::Kind::kReal: {
      const int n = std::snprintf(buf, sizeof buf, "%.12g", v.real);
      w.Put(std::string_view(buf, static_cast<std::size_t>(n)));
      return;
    }
    case ResultSet::Kind::kText: PutEscapedText(v.bytes, w); return;
    case ResultSet::Kind::kBlob: {
      static constexpr char kHex[] = "0123456789abcdef";
      w.Put("x'");
      for (std::size_t i = 0; i < v.bytes.size() && i < kBlobBytesShown; ++i) {
        const auto b = static_cast<unsigned char>(v.bytes[i]);
        const char hex[2] = {kHex[b >> 4], kHex[b & 15]};
        w.Put(std::string_view(hex, 2));
      }
      w.Put(v.bytes.size() > kBlobBytesShown ? "...'" : "'");
      return;
    }
  }
}

void PutCount(std::uint64_t n, SectionWriter& w) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  w.Put(std::string_view(buf, static_cast<std::size_t>(end - buf)));
}

void PutColumnNames(const ResultSet& rows, SectionWriter& w) {
  for (int c = 0; c < rows.columns(); ++c) {
    if (c > 0) w.Put(" | ");
    PutEscapedText(rows.column_name(c), w);
  }
}

void PutStatusAndMessage(std::string_view status, std::string_view message, const SqlFeedbackLimits& limits,
                         std::string* out) {
  SectionWriter w(out, limits.max_bytes);
  w.Put("\n\nLast action: ");
  w.Put(status);
  w.Put('\n');
  PutEscapedText(message, w);
  w.Finish();
}

}  // namespace

void AppendRowsFeedback(const ResultSet& rows, const SqlFeedbackLimits& limits, std::string* out) {
  SectionWriter w(out, limits.max_bytes);
  w.Put("\n\nLast action: ");
  if (rows.columns() == 0) {
    w.Put("ok, the statement returns no rows");
    w.Finish();
    return;
  }
  const std::size_t total = rows.rows();
  if (total == 0) {
    w.Put("no rows\n");
    PutColumnNames(rows, w);
    w.Finish();
    return;
  }
  const std::size_t shown = total < limits.max_rows ? total : limits.max_rows;
  w.Put("rows (");
  PutCount(total, w);
  w.Put(" total");
  if (shown < total) {
    w.Put(", showing ");
    PutCount(shown, w);
  }
  w.Put(")\n");
  PutColumnNames(rows, w);
  for (std::size_t r = 0; r < shown; ++r) {
    w.Put('\n');
    for (int c = 0; c < rows.columns(); ++c) {
      if (c > 0) w.Put(" | ");
      PutValue(rows.at(r, c), w);
    }
  }
  w.Finish();
}

void AppendErrorFeedback(SqlRunStatus status, std::string_view message, const SqlFeedbackLimits& limits,
                         std::string* out) {
  std::string_view what = "error";
  switch (status) {
    case SqlRunStatus::kSqlError: what = "SQL error"; break;
    case SqlRunStatus::kTimeLimit: what = "time limit"; break;
    case SqlRunStatus::kRowLimit: what = "row limit"; break;
    case SqlRunStatus::kResultTooLarge: what = "result too large"; break;
    case SqlRunStatus::kDenied: what = "refused"; break;
    case SqlRunStatus::kNoStatement:
    case SqlRunStatus::kOk: break;
  }
  PutStatusAndMessage(what, message, limits, out);
}

void AppendTaskErrorFeedback(std::string_view message, const SqlFeedbackLimits& limits, std::string* out) {
  PutStatusAndMessage("error", message, limits, out);
}

void AppendBlockedFeedback(std::string_view reason, const SqlFeedbackLimits& limits, std::string* out) {
  // The reason is the environment's own multi-line text: kept as it is.
  SectionWriter w(out, limits.max_bytes);
  w.Put("\n\nLast action: blocked\n");
  w.Put(reason);
  w.Finish();
}

}  // namespace agentos
