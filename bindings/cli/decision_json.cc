#include "bindings/cli/decision_json.h"

#include <cstdint>

#include "kernel/utf8.h"

namespace agentos::cli {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void String(JsonWriter& w, std::string_view text, std::string* scratch) {
  std::string_view valid = ValidUtf8(text, scratch);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

}  // namespace

std::string_view ValidUtf8(std::string_view text, std::string* scratch) {
  if (IsValidUtf8(text)) return text;
  *scratch = ToValidUtf8(text);
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
