#include "kernel/recorder/audit_export.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/json_headers.h"
#include "kernel/recorder/numeric_text.h"
#include "kernel/signal.h"
#include "kernel/utf8.h"

namespace agentos {
namespace {

constexpr std::size_t kSpanPayloadChars = 1000;  // agent_os.tool_args is cut here, as the public emitter did

// ---- cereal (json format) ----------------------------------------------------

template <class Archive>
void SaveNumber(Archive& ar, const char* name, std::optional<double> v) {
  if (!v) {
    ar(cereal::make_nvp(name, nullptr));
  } else if (std::isfinite(*v)) {
    ar(cereal::make_nvp(name, *v));
  } else {
    // JSON has no NaN or infinity; spell them so they survive a round trip.
    ar(cereal::make_nvp(name, std::string(std::isnan(*v) ? "NaN" : (*v > 0 ? "Infinity" : "-Infinity"))));
  }
}

std::string NonFiniteName(double v) { return std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"); }

// A numeric action's recorded values as a JSON array of numbers (the same
// spelling as SaveNumber for the non-finite values of an invalid action).
struct JsonNumbers {
  const std::vector<double>* values;
  template <class Archive>
  void save(Archive& ar) const {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(values->size())));
    for (const double v : *values) {
      if (std::isfinite(v)) {
        ar(v);
      } else {
        ar(NonFiniteName(v));
      }
    }
  }
};

// The values and state columns, read back (numeric_text.h). Text the
// recorder never writes would already fail verification; it is exported
// as it stands, under a key of its own, rather than dropped.
template <class Archive>
void SaveNumberList(Archive& ar, const char* name, const std::string& text) {
  if (text.empty()) return;
  std::vector<double> values;
  bool cut = false;
  if (!ParseNumberList(text, &values, &cut)) {
    ar(cereal::make_nvp((std::string(name) + "_text").c_str(), ToValidUtf8(text)));
    return;
  }
  ar(cereal::make_nvp(name, JsonNumbers{&values}));
  if (cut) ar(cereal::make_nvp((std::string(name) + "_cut").c_str(), true));
}

struct JsonViolation {
  const AuditViolation* v;
  template <class Archive>
  void save(Archive& ar) const {
    ar(cereal::make_nvp("policy", ToValidUtf8(v->policy)), cereal::make_nvp("rule", ToValidUtf8(v->rule)),
       cereal::make_nvp("severity", std::string(ToString(v->severity))), cereal::make_nvp("blocked", v->blocked),
       cereal::make_nvp("reason", ToValidUtf8(v->reason)));
  }
};

struct JsonAction {
  const AuditRecord* r;
  template <class Archive>
  void save(Archive& ar) const {
    const bool text = IsValidUtf8(r->payload);
    ar(cereal::make_nvp("kind", std::string(ToString(r->kind))), cereal::make_nvp("tool", ToValidUtf8(r->tool)),
       cereal::make_nvp("payload", text ? r->payload : ToHex({reinterpret_cast<const std::uint8_t*>(r->payload.data()),
                                                             r->payload.size()})),
       cereal::make_nvp("payload_encoding", std::string(text ? "utf8" : "hex")),
       cereal::make_nvp("payload_form", std::string(ToString(r->payload_form))),
       cereal::make_nvp("payload_len", r->payload_len));
    SaveNumber(ar, "cost_usd", r->cost_usd);
    ar(cereal::make_nvp("tokens", r->tokens));
    SaveNumberList(ar, "values", r->action_values);
    SaveNumberList(ar, "state", r->action_state);
  }
};

struct JsonDecision {
  const AuditRecord* r;
  template <class Archive>
  void save(Archive& ar) const {
    std::vector<JsonViolation> vs;
    vs.reserve(r->violations.size());
    for (const AuditViolation& v : r->violations) vs.push_back(JsonViolation{&v});
    ar(cereal::make_nvp("allowed", r->allowed), cereal::make_nvp("total_violations", r->total_violations),
       cereal::make_nvp("violations", vs));
  }
};

// ---- RapidJSON (spans) ---------------------------------------------------------

using SpanWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(SpanWriter& w, std::string_view s) {
  std::string safe = ToValidUtf8(s);
  w.String(safe.data(), static_cast<rapidjson::SizeType>(safe.size()));
}

void Key(SpanWriter& w, const char* k) { w.Key(k, static_cast<rapidjson::SizeType>(std::strlen(k))); }

void Context(SpanWriter& w, const std::string& trace_id, const std::string& span_id) {
  w.StartObject();
  Key(w, "trace_id");
  Str(w, trace_id);
  Key(w, "span_id");
  Str(w, span_id);
  Key(w, "is_remote");
  w.Bool(false);
  Key(w, "trace_state");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

double Seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

std::string FileIdPrefix(const LogHeader& h) { return ToHex(h.file_id).substr(0, 16); }

// A numeric action's values as a homogeneous attribute list of numbers
// (non-finite ones, from an invalid action, as null; the text attribute
// `<key>_text` then keeps their spelling).
void NumberListAttribute(SpanWriter& w, const char* key, const std::string& text) {
  if (text.empty()) return;
  std::vector<double> values;
  bool cut = false;
  const bool parsed = ParseNumberList(text, &values, &cut);
  bool finite = parsed;
  for (const double v : values) finite = finite && std::isfinite(v);
  if (parsed) {
    Key(w, key);
    w.StartArray();
    for (const double v : values) {
      if (std::isfinite(v)) {
        w.Double(v);
      } else {
        w.Null();
      }
    }
    w.EndArray();
  }
  if (!finite || cut) {
    Key(w, (std::string(key) + "_text").c_str());
    Str(w, text);
  }
}

void WriteSpan(SpanWriter& w, const AuditRecord& r, const LogHeader& h) {
  const std::string trace_id = TraceIdFor(h, r.env_id, r.episode);
  const std::string span_id = ToHex(std::span<const std::uint8_t>(r.entry_hash.data(), 8));
  w.StartObject();
  Key(w, "rollout_id");
  Str(w, RolloutIdFor(h, r.env_id, r.episode));
  Key(w, "attempt_id");
  Str(w, "attempt-1");
  Key(w, "sequence_id");
  w.Uint64(r.seq);
  Key(w, "trace_id");
  Str(w, trace_id);
  Key(w, "span_id");
  Str(w, span_id);
  Key(w, "parent_id");
  w.Null();
  Key(w, "name");
  Str(w, "agent_os.policy_check");

  Key(w, "status");
  w.StartObject();
  Key(w, "status_code");
  Str(w, r.allowed ? "OK" : "ERROR");
  Key(w, "description");
  if (r.allowed) {
    w.Null();
  } else if (!r.violations.empty()) {
    const AuditViolation& v = r.violations.front();
    Str(w, "denied by " + v.policy + "/" + v.rule + ": " + v.reason);
  } else {
    Str(w, "denied");
  }
  w.EndObject();

  Key(w, "attributes");
  w.StartObject();
  Key(w, "agent_os.entry_type");
  Str(w, "policy_check");
  Key(w, "agent_os.seq");
  w.Uint64(r.seq);
  Key(w, "agent_os.agent_id");
  Str(w, r.agent_id);
  Key(w, "agent_os.env_id");
  w.Uint64(r.env_id);
  Key(w, "agent_os.episode");
  w.Uint64(r.episode);
  Key(w, "agent_os.step");
  w.Uint(r.step);
  Key(w, "agent_os.action_kind");
  Str(w, ToString(r.kind));
  Key(w, "agent_os.tool_name");
  Str(w, r.tool);
  Key(w, "agent_os.tool_args");
  Str(w, Utf8Prefix(r.payload, kSpanPayloadChars));
  Key(w, "agent_os.payload_form");
  Str(w, ToString(r.payload_form));
  Key(w, "agent_os.payload_len");
  w.Uint64(r.payload_len);
  if (std::isfinite(r.cost_usd)) {
    Key(w, "agent_os.cost_usd");
    w.Double(r.cost_usd);
  }
  Key(w, "agent_os.tokens");
  w.Int64(r.tokens);
  NumberListAttribute(w, "agent_os.action_values", r.action_values);
  NumberListAttribute(w, "agent_os.action_state", r.action_state);
  Key(w, "agent_os.policy_result");
  Str(w, r.allowed ? "allowed" : "blocked");
  Key(w, "agent_os.policy_violated");
  w.Bool(r.total_violations > 0);
  Key(w, "agent_os.violation_count");
  w.Uint(r.total_violations);
  if (!r.violations.empty()) {
    Key(w, "agent_os.policy_name");
    Str(w, r.violations.front().policy);
    // Attribute lists must be homogeneous; policies appear once each, in the kernel's order.
    std::vector<std::string> policies, rules;
    std::set<std::string> seen;
    Severity max = Severity::kLow;
    for (const AuditViolation& v : r.violations) {
      if (seen.insert(v.policy).second) policies.push_back(v.policy);
      rules.push_back(v.policy + "/" + v.rule);
      if (v.severity > max) max = v.severity;
    }
    Key(w, "agent_os.policies_violated");
    w.StartArray();
    for (const auto& p : policies) Str(w, p);
    w.EndArray();
    Key(w, "agent_os.rules_violated");
    w.StartArray();
    for (const auto& x : rules) Str(w, x);
    w.EndArray();
    Key(w, "agent_os.max_severity");
    Str(w, ToString(max));
  }
  Key(w, "agent_os.executed");
  w.Bool(r.executed);
  Key(w, "agent_os.signals");
  w.StartArray();
  for (const std::string& name : SignalNames(r.signals)) Str(w, name);
  w.EndArray();
  if (r.reward && std::isfinite(*r.reward)) {
    Key(w, "agent_os.reward");
    w.Double(*r.reward);
  }
  if (r.penalty && std::isfinite(*r.penalty)) {
    Key(w, "agent_os.penalty");
    w.Double(*r.penalty);
  }
  Key(w, "agent_os.entry_hash");
  Str(w, ToHex(r.entry_hash));
  w.EndObject();

  Key(w, "events");
  w.StartArray();
  for (const AuditViolation& v : r.violations) {
    w.StartObject();
    Key(w, "name");
    Str(w, "agent_os.violation");
    Key(w, "attributes");
    w.StartObject();
    Key(w, "agent_os.policy_name");
    Str(w, v.policy);
    Key(w, "agent_os.rule");
    Str(w, v.rule);
    Key(w, "agent_os.severity");
    Str(w, ToString(v.severity));
    Key(w, "agent_os.blocked");
    w.Bool(v.blocked);
    Key(w, "agent_os.reason");
    Str(w, v.reason);
    w.EndObject();
    Key(w, "timestamp");
    w.Double(Seconds(r.time_ns));
    w.EndObject();
  }
  w.EndArray();
  Key(w, "links");
  w.StartArray();
  w.EndArray();
  Key(w, "start_time");
  w.Double(Seconds(r.time_ns));
  Key(w, "end_time");
  w.Double(Seconds(r.time_ns));
  Key(w, "context");
  Context(w, trace_id, span_id);
  Key(w, "parent");
  w.Null();
  Key(w, "resource");
  w.StartObject();
  Key(w, "attributes");
  w.StartObject();
  Key(w, "agent_os.audit_file_id");
  Str(w, ToHex(h.file_id));
  Key(w, "agent_os.audit_level");
  Str(w, ToString(h.level));
  Key(w, "agent_os.audit_sample_rate");
  w.Double(h.sample_rate);
  w.EndObject();
  Key(w, "schema_url");
  Str(w, "");
  w.EndObject();
  w.EndObject();
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view text) {
  if (text == "json") return ExportFormat::kJson;
  if (text == "spans") return ExportFormat::kSpans;
  return std::nullopt;
}

std::string RolloutIdFor(const LogHeader& h, std::uint64_t env_id, std::uint64_t episode) {
  return "agentos-" + FileIdPrefix(h) + "-env" + std::to_string(env_id) + "-ep" + std::to_string(episode);
}

std::string TraceIdFor(const LogHeader& h, std::uint64_t env_id, std::uint64_t episode) {
  std::string body = "agentos-audit/trace/v1";
  body.push_back('\0');
  body.append(h.file_id_view());
  body.append(reinterpret_cast<const char*>(&env_id), sizeof env_id);
  body.append(reinterpret_cast<const char*>(&episode), sizeof episode);
  Digest d = Sha256(body);
  return ToHex(std::span<const std::uint8_t>(d.data(), 16));
}

std::string RecordToJson(const AuditRecord& r) {
  std::ostringstream ss;
  {
    cereal::JSONOutputArchive ar(ss, cereal::JSONOutputArchive::Options::NoIndent());
    ar(cereal::make_nvp("seq", r.seq), cereal::make_nvp("time_ns", r.time_ns), cereal::make_nvp("env_id", r.env_id),
       cereal::make_nvp("agent_id", ToValidUtf8(r.agent_id)), cereal::make_nvp("episode", r.episode),
       cereal::make_nvp("step", r.step), cereal::make_nvp("action", JsonAction{&r}),
       cereal::make_nvp("decision", JsonDecision{&r}), cereal::make_nvp("executed", r.executed),
       cereal::make_nvp("signals", SignalNames(r.signals)),
       cereal::make_nvp("signal_mask", r.signals));
    SaveNumber(ar, "reward", r.reward);
    SaveNumber(ar, "penalty", r.penalty);
    ar(cereal::make_nvp("prev_hash", ToHex(r.prev_hash)), cereal::make_nvp("entry_hash", ToHex(r.entry_hash)));
  }
  // One record per line: cereal's writer breaks lines between members even
  // without indentation, and a newline inside a string is always escaped, so
  // every raw newline is layout.
  std::string text = ss.str();
  std::erase(text, '\n');
  return text;
}

std::string RecordToSpanJson(const AuditRecord& r, const LogHeader& h) {
  rapidjson::StringBuffer buf;
  SpanWriter w(buf);
  WriteSpan(w, r, h);
  return std::string(buf.GetString(), buf.GetSize());
}

Status ExportStore(AuditStore& store, const LogHeader& header, const ExportOptions& options, std::ostream& out,
                   ExportSummary* summary) {
  ExportSummary sum;
  sum.last_seq = options.after_seq;
  std::unique_ptr<RecordCursor> cursor;
  Status s = store.OpenCursor(options.after_seq, &cursor);
  if (!s.ok()) return s;
  AuditRecord rec;
  RecordCursor::Row row;
  const bool lines = options.json_lines;
  if (!lines) out << "[";
  for (;;) {
    if (options.max_records != 0 && sum.records >= options.max_records) break;
    RecordCursor::Step step;
    if (!(s = cursor->Next(&step, &rec, &row)).ok()) return s;
    if (step == RecordCursor::Step::kEnd) break;
    if (!row.problem.empty()) {
      return Status::ParseError(store.name() + ": record " + std::to_string(rec.seq) + ": " + row.problem +
                                " (run `agentos audit verify`)");
    }
    if (!lines) out << (sum.records == 0 ? "\n" : ",\n");
    out << (options.format == ExportFormat::kJson ? RecordToJson(rec) : RecordToSpanJson(rec, header));
    if (lines) out << "\n";
    ++sum.records;
    sum.last_seq = rec.seq;
  }
  if (!lines) out << (sum.records == 0 ? "]\n" : "\n]\n");
  if (!out) return Status::IoError("export: cannot write the output");
  if (summary != nullptr) *summary = sum;
  return Status::Ok();
}

Status ExportLog(const std::string& path, const ExportOptions& options, std::ostream& out, ExportSummary* summary) {
  std::unique_ptr<AuditStore> store;
  LogHeader header;
  Status s = AuditStore::OpenForRead(path, &header, &store);
  if (!s.ok()) return s;
  return ExportStore(*store, header, options, out, summary);
}

}  // namespace agentos
