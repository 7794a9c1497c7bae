#include "bindings/cli/audit_replay.h"

#include <map>
#include <memory>
#include <ostream>
#include <utility>
#include <vector>

#include "bindings/cli/decision_json.h"
#include "kernel/decision.h"
#include "kernel/episode_state.h"
#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/numeric_text.h"

namespace agentos::cli {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(JsonWriter& w, std::string_view text, std::string* scratch) {
  std::string_view valid = ValidUtf8(text, scratch);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
}

// The part of a line that names the record.
void WriteRecordKey(JsonWriter& w, const AuditRecord& r, std::string* scratch) {
  w.Key("seq");
  w.Uint64(r.seq);
  w.Key("env_id");
  w.Uint64(r.env_id);
  w.Key("episode");
  w.Uint64(r.episode);
  w.Key("step");
  w.Uint(r.step);
  w.Key("agent_id");
  Str(w, r.agent_id, scratch);
  w.Key("kind");
  Str(w, ToString(r.kind), scratch);
}

void WriteRecorded(JsonWriter& w, const AuditRecord& r, std::string* scratch) {
  w.Key("recorded");
  w.StartObject();
  w.Key("allowed");
  w.Bool(r.allowed);
  w.Key("rules");
  w.StartArray();
  for (const AuditViolation& v : r.violations) Str(w, v.policy + "/" + v.rule, scratch);
  w.EndArray();
  w.EndObject();
}

}  // namespace

Status ReplayLog(const std::string& path, const KernelSpace& kernel, bool all, std::ostream& out,
                 ReplaySummary* summary) {
  std::unique_ptr<AuditStore> store;
  LogHeader header;
  Status s = AuditStore::OpenForRead(path, &header, &store);
  if (!s.ok()) return s;
  std::unique_ptr<RecordCursor> cursor;
  if (!(s = store->OpenCursor(0, &cursor)).ok()) return s;

  ReplaySummary sum;
  sum.partial_log = header.level != RecordLevel::kAll;
  std::map<std::pair<std::uint64_t, std::uint64_t>, EpisodeState> episodes;  // by (env_id, episode)
  AuditRecord rec;
  RecordCursor::Row row;
  Decision decision;
  rapidjson::StringBuffer buf;
  std::string scratch;
  std::vector<double> values, state;  // a numeric record's, read back
  for (;;) {
    RecordCursor::Step step;
    if (!(s = cursor->Next(&step, &rec, &row)).ok()) return s;
    if (step == RecordCursor::Step::kEnd) break;
    if (!row.problem.empty()) {
      return Status::ParseError(path + ": record " + std::to_string(rec.seq) + ": " + row.problem +
                                " (run `agentos audit verify`)");
    }
    ++sum.records;
    buf.Clear();
    JsonWriter w(buf);
    w.StartObject();
    WriteRecordKey(w, rec, &scratch);
    // A numeric action is judged on its values and the state it was judged
    // in, as recorded (kernel/recorder/numeric_text.h).
    bool values_cut = false, state_cut = false;
    const bool numbers_ok = ParseNumberList(rec.action_values, &values, &values_cut) &&
                            ParseNumberList(rec.action_state, &state, &state_cut);
    if (rec.payload_form != PayloadForm::kFull || !numbers_ok || values_cut || state_cut) {
      // The action is not wholly in the log: deciding what is there would
      // judge a different action.
      ++sum.not_replayable;
      w.Key("replayable");
      w.Bool(false);
      w.Key("why");
      Str(w,
          rec.payload_form != PayloadForm::kFull
              ? "the log holds the payload " + std::string(ToString(rec.payload_form))
              : std::string("the log holds the numeric action's values or state cut or unreadable"),
          &scratch);
      w.EndObject();
      out << std::string_view(buf.GetString(), buf.GetSize()) << '\n';
      continue;
    }
    Action action;
    action.kind = rec.kind;
    action.agent_id = rec.agent_id;
    action.tool = rec.tool;
    action.payload = rec.payload;
    action.cost_usd = rec.cost_usd;
    action.tokens = rec.tokens;
    action.values = values;
    action.state = state;
    kernel.Check(action, episodes[{rec.env_id, rec.episode}], decision);
    const bool changed = decision.allowed() != rec.allowed;
    if (changed) {
      ++sum.changed;
      ++(decision.allowed() ? sum.now_allowed : sum.now_denied);
    }
    if (!changed && !all) continue;
    w.Key("changed");
    w.Bool(changed);
    WriteRecorded(w, rec, &scratch);
    w.Key("replayed");
    w.StartObject();
    WriteDecisionMembers(w, decision, &scratch);
    w.EndObject();
    w.EndObject();
    out << std::string_view(buf.GetString(), buf.GetSize()) << '\n';
  }
  if (!out) return Status::IoError("replay: cannot write the output");
  *summary = sum;
  return Status::Ok();
}

std::string ReplaySummaryText(const ReplaySummary& s) {
  std::string text = "replayed " + std::to_string(s.records) + " records: " + std::to_string(s.changed) +
                     (s.changed == 1 ? " decision changes" : " decisions change") + " (" +
                     std::to_string(s.now_denied) + " now denied, " + std::to_string(s.now_allowed) +
                     " now allowed)";
  if (s.not_replayable > 0) {
    text += "; " + std::to_string(s.not_replayable) + " not replayable (payload truncated or redacted)";
  }
  if (s.partial_log) {
    text += "; the log holds only violations and a sample, so budgets saw less than was spent";
  }
  return text;
}

}  // namespace agentos::cli
