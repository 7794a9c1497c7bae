// agentos_recorder.h: the flight recorder and the log tools over C.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "capi_internal.h"
#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_stats.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/flight_recorder.h"

using agentos::FlightRecorder;
using agentos::RecorderOptions;
using agentos::Status;
using agentos::capi::Fail;
using agentos::capi::FromStatus;
using agentos::capi::Guard;
using agentos::capi::ToView;

// Environments hold the same shared_ptr (RecorderSinkOf), so freeing the
// handle never pulls the recorder out from under a running env.
struct agentos_recorder {
  std::shared_ptr<FlightRecorder> recorder;
};

namespace agentos::capi {

std::shared_ptr<AuditSink> RecorderSinkOf(const agentos_recorder* recorder) {
  if (recorder == nullptr) return nullptr;
  return recorder->recorder;
}

}  // namespace agentos::capi

namespace {

int NullArg(const char* fn, const char* what) {
  return Fail(AGENTOS_INVALID, std::string(fn) + ": " + what + " is NULL");
}

int WithPrefix(const char* fn, const Status& s) {
  int code = FromStatus(s);
  return Fail(code, std::string(fn) + ": " + s.message());
}

agentos_recorder_options Defaults() {
  agentos_recorder_options o{};
  o.struct_size = sizeof(agentos_recorder_options);
  RecorderOptions d;
  o.durability = static_cast<int32_t>(d.durability);
  o.level = static_cast<int32_t>(d.level);
  o.sample_rate = d.sample_rate;
  o.hmac_key = nullptr;
  o.hmac_key_len = 0;
  o.payload_max_bytes = d.payload_max_bytes;
  o.redact_payloads = d.redact_payloads ? 1 : 0;
  o.queue_capacity = d.queue_capacity;
  o.checkpoint_every = d.checkpoint_every;
  o.group_commit_us = d.group_commit_us;
  return o;
}

// C options -> RecorderOptions; false (with the error recorded) on a bad value.
bool ToOptions(const char* fn, const agentos_recorder_options& in, RecorderOptions* out, int* code) {
  auto bad = [&](const std::string& why) {
    *code = Fail(AGENTOS_INVALID, std::string(fn) + ": " + why);
    return false;
  };
  if (!agentos::capi::SizeOk(fn, "options", in, code)) return false;
  if (in.durability != AGENTOS_DURABILITY_SYNC && in.durability != AGENTOS_DURABILITY_RELAXED) {
    return bad("unknown durability " + std::to_string(in.durability) +
               " (expected AGENTOS_DURABILITY_SYNC or AGENTOS_DURABILITY_RELAXED)");
  }
  if (in.level != AGENTOS_RECORD_ALL && in.level != AGENTOS_RECORD_VIOLATIONS) {
    return bad("unknown record level " + std::to_string(in.level) +
               " (expected AGENTOS_RECORD_ALL or AGENTOS_RECORD_VIOLATIONS)");
  }
  if (in.hmac_key == nullptr && in.hmac_key_len != 0) return bad("hmac_key is NULL but hmac_key_len is not 0");
  // An empty key given as a key is a mistake (a missing secret, an empty
  // file), not a request for an unkeyed log: that is asked for with NULL.
  if (in.hmac_key != nullptr && in.hmac_key_len == 0) {
    return bad("hmac_key is empty: an HMAC key needs at least one byte (pass NULL for an unkeyed SHA-256 log)");
  }
  if (in.redact_payloads != 0 && in.redact_payloads != 1) return bad("redact_payloads must be 0 or 1");
  RecorderOptions o;
  o.durability = static_cast<agentos::Durability>(in.durability);
  o.level = static_cast<agentos::RecordLevel>(in.level);
  o.sample_rate = in.sample_rate;
  if (in.hmac_key_len > 0) o.hmac_key.assign(in.hmac_key, in.hmac_key + in.hmac_key_len);
  o.payload_max_bytes = in.payload_max_bytes;
  o.redact_payloads = in.redact_payloads == 1;
  o.queue_capacity = in.queue_capacity;
  o.checkpoint_every = in.checkpoint_every;
  o.group_commit_us = in.group_commit_us;
  *out = std::move(o);
  return true;
}

int CopyOut(const std::string& text, char** out, size_t* out_len) {
  char* buf = static_cast<char*>(std::malloc(text.size() + 1));
  if (buf == nullptr) return Fail(AGENTOS_NOMEM, "out of memory");
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  *out = buf;
  if (out_len != nullptr) *out_len = text.size();
  return AGENTOS_OK;
}

}  // namespace

extern "C" {

AGENTOS_API int agentos_recorder_options_init(agentos_recorder_options* options) {
  return Guard([&] {
    if (options == nullptr) return NullArg("agentos_recorder_options_init", "options");
    *options = Defaults();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_recorder_open(const char* path, const agentos_recorder_options* options,
                                      agentos_recorder** out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_recorder_open";
    if (path == nullptr) return NullArg(fn, "path");
    if (out == nullptr) return NullArg(fn, "out");
    agentos_recorder_options c = options != nullptr ? *options : Defaults();
    RecorderOptions o;
    int code = AGENTOS_OK;
    if (!ToOptions(fn, c, &o, &code)) return code;
    std::shared_ptr<FlightRecorder> r;
    Status s = FlightRecorder::Open(path, std::move(o), &r);
    if (!s.ok()) return WithPrefix(fn, s);
    *out = new agentos_recorder{std::move(r)};
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_recorder_record(agentos_recorder* recorder, const agentos_record_context* context,
                                        const agentos_action* action, const agentos_decision* decision,
                                        uint64_t* seq) {
  return Guard([&] {
    constexpr const char* fn = "agentos_recorder_record";
    if (recorder == nullptr) return NullArg(fn, "recorder");
    if (context == nullptr) return NullArg(fn, "context");
    if (action == nullptr) return NullArg(fn, "action");
    if (decision == nullptr) return NullArg(fn, "decision");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "context", *context, &code)) return code;
    if (!agentos::capi::SizeOk(fn, "action", *action, &code)) return code;
    if (action->kind < 0 || action->kind >= agentos::kActionKindCount) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": unknown action kind " + std::to_string(action->kind));
    }
    if (context->has_reward != 0 && context->has_reward != 1) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": has_reward must be 0 or 1");
    }
    agentos::RecordView c;
    const char* bad = nullptr;
    if (!ToView(action->agent_id, action->agent_id_len, &c.agent_id)) bad = "agent_id";
    else if (!ToView(action->tool, action->tool_len, &c.tool)) bad = "tool";
    else if (!ToView(action->payload, action->payload_len, &c.payload)) bad = "payload";
    if (bad != nullptr) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": action " + bad + " is NULL with a non-zero length");
    }
    // The decision is read through its public accessors, exactly as a C
    // caller sees it.
    size_t kept = 0;
    size_t total = 0;
    int32_t allowed = 0;
    if (int rc = agentos_decision_violation_count(decision, &kept); rc != AGENTOS_OK) return rc;
    if (int rc = agentos_decision_total_violations(decision, &total); rc != AGENTOS_OK) return rc;
    if (int rc = agentos_decision_allowed(decision, &allowed); rc != AGENTOS_OK) return rc;
    std::vector<agentos::ViolationView> views(kept);
    for (size_t i = 0; i < kept; ++i) {
      agentos_violation v{};
      v.struct_size = sizeof v;
      int rc = agentos_decision_violation(decision, i, &v);
      if (rc != AGENTOS_OK) return rc;
      if (v.severity < 0 || v.severity >= agentos::kSeverityCount) {
        return Fail(AGENTOS_INTERNAL, std::string(fn) + ": decision holds an unknown severity");
      }
      views[i] =
          agentos::ViolationView{v.policy != nullptr ? v.policy : "", v.rule != nullptr ? v.rule : "",
                                 static_cast<agentos::Severity>(v.severity), v.blocked != 0,
                                 v.reason != nullptr ? v.reason : ""};
    }
    c.env_id = context->env_id;
    c.episode = context->episode;
    c.step = context->step;
    c.kind = static_cast<agentos::ActionKind>(action->kind);
    c.cost_usd = action->cost_usd;
    c.tokens = action->tokens;
    c.allowed = allowed == 1;
    c.total_violations = static_cast<std::uint32_t>(total);
    c.violations = views;
    c.executed = context->executed != 0;
    c.signals = context->signals;
    if (context->has_reward == 1) {
      c.reward = context->reward;
      c.penalty = context->penalty;
    }
    std::uint64_t s_out = 0;
    Status s = recorder->recorder->Append(c, &s_out);
    if (!s.ok()) return WithPrefix(fn, s);
    if (seq != nullptr) *seq = s_out;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_recorder_flush(agentos_recorder* recorder) {
  return Guard([&] {
    if (recorder == nullptr) return NullArg("agentos_recorder_flush", "recorder");
    Status s = recorder->recorder->Flush();
    return s.ok() ? AGENTOS_OK : WithPrefix("agentos_recorder_flush", s);
  });
}

AGENTOS_API int agentos_recorder_counters(const agentos_recorder* recorder, uint64_t* committed_seq,
                                          uint64_t* decisions_seen) {
  return Guard([&] {
    if (recorder == nullptr) return NullArg("agentos_recorder_counters", "recorder");
    if (committed_seq != nullptr) *committed_seq = recorder->recorder->committed_seq();
    if (decisions_seen != nullptr) *decisions_seen = recorder->recorder->decisions_seen();
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_recorder_close(agentos_recorder* recorder) {
  return Guard([&] {
    if (recorder == nullptr) return NullArg("agentos_recorder_close", "recorder");
    Status s = recorder->recorder->Close();
    return s.ok() ? AGENTOS_OK : WithPrefix("agentos_recorder_close", s);
  });
}

AGENTOS_API void agentos_recorder_free(agentos_recorder* recorder) { delete recorder; }

AGENTOS_API int agentos_audit_verify(const char* path, const uint8_t* key, size_t key_len,
                                     agentos_audit_verify_result* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_audit_verify";
    if (path == nullptr) return NullArg(fn, "path");
    if (out == nullptr) return NullArg(fn, "out");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "out", *out, &code)) return code;
    if (key == nullptr && key_len != 0) return Fail(AGENTOS_INVALID, std::string(fn) + ": key is NULL but key_len is not 0");
    if (key != nullptr && key_len == 0) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": key is empty (pass NULL to verify an unkeyed log)");
    }
    agentos::VerifyOptions options;
    if (key_len > 0) options.key.assign(key, key + key_len);
    agentos::VerifyResult r;
    Status s = agentos::VerifyLog(path, options, &r);
    if (!s.ok()) return WithPrefix(fn, s);
    agentos_audit_verify_result res{};
    res.struct_size = sizeof res;
    res.valid = r.valid ? 1 : 0;
    res.records = r.records;
    res.first_bad_seq = r.first_bad_seq;
    std::size_t n = std::min(r.message.size(), sizeof res.message - 1);
    std::memcpy(res.message, r.message.data(), n);
    res.message[n] = '\0';
    *out = res;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_audit_stats_get(const char* path, agentos_audit_stats* out) {
  return Guard([&] {
    constexpr const char* fn = "agentos_audit_stats_get";
    if (path == nullptr) return NullArg(fn, "path");
    if (out == nullptr) return NullArg(fn, "out");
    int code = AGENTOS_OK;
    if (!agentos::capi::SizeOk(fn, "out", *out, &code)) return code;
    agentos::AuditStats st;
    Status s = agentos::ComputeStats(path, &st);
    if (!s.ok()) return WithPrefix(fn, s);
    agentos_audit_stats c{};
    c.struct_size = sizeof c;
    c.level = static_cast<int32_t>(st.level);
    c.sample_rate = st.sample_rate;
    c.records = st.records;
    c.decisions_seen = st.decisions_seen.value_or(0);
    c.violating_records = st.violating_records;
    c.blocked_records = st.blocked_records;
    c.violations = st.violations;
    c.violation_rate = st.violation_rate.value_or(-1.0);
    for (int i = 0; i < agentos::kSeverityCount; ++i) c.by_severity[i] = st.by_severity[static_cast<std::size_t>(i)];
    *out = c;
    return AGENTOS_OK;
  });
}

AGENTOS_API int agentos_audit_stats_json(const char* path, char** json, size_t* json_len) {
  return Guard([&] {
    constexpr const char* fn = "agentos_audit_stats_json";
    if (path == nullptr) return NullArg(fn, "path");
    if (json == nullptr) return NullArg(fn, "json");
    agentos::AuditStats st;
    Status s = agentos::ComputeStats(path, &st);
    if (!s.ok()) return WithPrefix(fn, s);
    return CopyOut(agentos::StatsToJson(st), json, json_len);
  });
}

AGENTOS_API int agentos_audit_export(const char* path, int32_t format, uint64_t after_seq, uint64_t max_records,
                                     char** json, size_t* json_len, uint64_t* last_seq) {
  return Guard([&] {
    constexpr const char* fn = "agentos_audit_export";
    if (path == nullptr) return NullArg(fn, "path");
    if (json == nullptr) return NullArg(fn, "json");
    if (format != AGENTOS_EXPORT_JSON && format != AGENTOS_EXPORT_SPANS) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": unknown format " + std::to_string(format) +
                                       " (expected AGENTOS_EXPORT_JSON or AGENTOS_EXPORT_SPANS)");
    }
    agentos::ExportOptions o;
    o.format = static_cast<agentos::ExportFormat>(format);
    o.after_seq = after_seq;
    o.max_records = max_records;
    std::ostringstream text;
    agentos::ExportSummary sum;
    Status s = agentos::ExportLog(path, o, text, &sum);
    if (!s.ok()) return WithPrefix(fn, s);
    int rc = CopyOut(text.str(), json, json_len);
    if (rc == AGENTOS_OK && last_seq != nullptr) *last_seq = sum.last_seq;
    return rc;
  });
}

AGENTOS_API int agentos_audit_export_file(const char* path, int32_t format, const char* out_path) {
  return Guard([&] {
    constexpr const char* fn = "agentos_audit_export_file";
    if (path == nullptr) return NullArg(fn, "path");
    if (out_path == nullptr) return NullArg(fn, "out_path");
    if (format != AGENTOS_EXPORT_JSON && format != AGENTOS_EXPORT_SPANS) {
      return Fail(AGENTOS_INVALID, std::string(fn) + ": unknown format " + std::to_string(format));
    }
    agentos::ExportOptions o;
    o.format = static_cast<agentos::ExportFormat>(format);
    // Written beside the target and renamed over it, so a failed export
    // leaves any previous file as it was.
    const std::string tmp = std::string(out_path) + ".tmp";
    Status s;
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return Fail(AGENTOS_IO, std::string(fn) + ": cannot write " + tmp);
      s = agentos::ExportLog(path, o, out, nullptr);
      out.flush();
      if (s.ok() && !out) s = Status::IoError("cannot write " + tmp);
    }
    if (!s.ok()) {
      std::remove(tmp.c_str());
      return WithPrefix(fn, s);
    }
    if (std::rename(tmp.c_str(), out_path) != 0) {
      std::remove(tmp.c_str());
      return Fail(AGENTOS_IO, std::string(fn) + ": cannot replace " + out_path);
    }
    return AGENTOS_OK;
  });
}

AGENTOS_API void agentos_audit_buffer_free(char* buffer) { std::free(buffer); }

}  // extern "C"
