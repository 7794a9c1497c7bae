#include "bindings/cli/decision_json.h"

#include <cstdint>

namespace agentos::cli {
namespace {

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF), or 0.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  unsigned c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void String(JsonWriter& w, std::string_view text, std::string* scratch) {
  std::string_view valid = ValidUtf8(text, scratch);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

}  // namespace

std::string_view ValidUtf8(std::string_view text, std::string* scratch) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i == text.size()) return text;
  scratch->assign(text.data(), i);
  while (i < text.size()) {
    std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      scratch->append("\xEF\xBF\xBD");
      ++i;
    } else {
      scratch->append(text.data() + i, n);
      i += n;
    }
  }
  return *scratch;
}

void WriteDecisionMembers(JsonWriter& w, const Decision& decision, std::string* scratch) {
  w.Key("allowed");
  w.Bool(decision.allowed());
  w.Key("violations");
  w.StartArray();
  for (const Violation& v : decision.violations()) {
    w.StartObject();
    w.Key("policy");
    String(w, v.policy(), scratch);
    w.Key("rule");
    String(w, v.rule(), scratch);
    w.Key("severity");
    String(w, ToString(v.severity()), scratch);
    w.Key("blocked");
    w.Bool(v.blocked());
    w.Key("reason");
    String(w, v.reason(), scratch);
    w.EndObject();
  }
  w.EndArray();
  if (decision.total_violations() > decision.violations().size()) {
    w.Key("total_violations");
    w.Uint(decision.total_violations());
  }
}

std::string_view DecisionJsonWriter::Write(std::size_t line, const Decision& decision) {
  buf_.Clear();
  JsonWriter w(buf_);
  w.StartObject();
  w.Key("line");
  w.Uint64(static_cast<std::uint64_t>(line));
  WriteDecisionMembers(w, decision, &scratch_);
  w.EndObject();
  return {buf_.GetString(), buf_.GetSize()};
}

std::string_view DecisionJsonWriter::WriteError(std::size_t line, std::string_view error) {
  buf_.Clear();
  JsonWriter w(buf_);
  w.StartObject();
  w.Key("line");
  w.Uint64(static_cast<std::uint64_t>(line));
  w.Key("allowed");
  w.Bool(false);
  w.Key("error");
  String(w, error, &scratch_);
  w.Key("violations");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  return {buf_.GetString(), buf_.GetSize()};
}

}  // namespace agentos::cli
