// The recorder through the C API, as ctypes and C callers use it: options,
// recording real kernel decisions, flush and counters, verify, stats,
// export, errors, and the sink an environment attaches.
#include <catch2/catch.hpp>

#include "kernel/recorder/json_headers.h"

#include <cstring>
#include <string>

#include "capi_internal.h"
#include "tests/capi/capi_values.h"
#include "kernel/kernel_space.h"
#include "tests/recorder/recorder_support.h"

using agentos::testing::TempDir;

namespace {

// Flags payloads containing "DROP" as critical.
class DropPolicy : public agentos::Policy {
 public:
  DropPolicy() : Policy("no_drop") {}
  std::string_view type() const override { return "test"; }
  void Evaluate(const agentos::Action& a, const agentos::EpisodeState&, agentos::Decision& out) const override {
    if (a.payload.find("DROP") != std::string_view::npos) {
      out.Add(name(), "test.drop", agentos::Severity::kCritical).Append("payload drops something");
    }
  }
};

agentos_kernel* MakeKernel() {
  std::vector<std::unique_ptr<agentos::Policy>> ps;
  ps.push_back(std::make_unique<DropPolicy>());
  std::shared_ptr<const agentos::KernelSpace> k;
  REQUIRE(agentos::KernelSpace::Create(std::move(ps), agentos::EnforcementMode::kEnforce, &k).ok());
  return agentos::capi::NewKernelHandle(k);
}

// The action points into `sql`, which must outlive it.
agentos_action SqlAction(const std::string& sql) {
  agentos_action a = agentos::testing::Sized<agentos_action>();
  a.kind = AGENTOS_ACTION_SQL;
  a.agent_id = "agent-c";
  a.agent_id_len = 7;
  a.payload = sql.data();
  a.payload_len = sql.size();
  return a;
}

}  // namespace

TEST_CASE("C API: record kernel decisions, verify, stats and export") {
  TempDir dir;
  const std::string path = dir.File("c.db");
  agentos_kernel* kernel = MakeKernel();
  agentos_decision* decision = nullptr;
  REQUIRE(agentos_decision_new(&decision) == AGENTOS_OK);

  agentos_recorder_options o;
  agentos_recorder_options_init(&o);
  CHECK(o.durability == AGENTOS_DURABILITY_SYNC);
  CHECK(o.level == AGENTOS_RECORD_ALL);
  CHECK(o.payload_max_bytes == 4096);
  const uint8_t key[] = {7, 7, 7};
  o.hmac_key = key;
  o.hmac_key_len = sizeof key;
  o.durability = AGENTOS_DURABILITY_RELAXED;
  agentos_recorder* rec = nullptr;
  REQUIRE(agentos_recorder_open(path.c_str(), &o, &rec) == AGENTOS_OK);

  for (uint32_t i = 1; i <= 100; ++i) {
    std::string sql = i % 4 == 0 ? "DROP TABLE t" + std::to_string(i) : "SELECT " + std::to_string(i);
    agentos_action a = SqlAction(sql);
    REQUIRE(agentos_kernel_check(kernel, nullptr, &a, decision) == AGENTOS_OK);
    agentos_record_context ctx = agentos::testing::Sized<agentos_record_context>();
    ctx.env_id = 3;
    ctx.episode = i / 10;
    ctx.step = i % 10 + 1;
    ctx.executed = agentos::testing::Allowed(decision);
    ctx.has_reward = 1;
    ctx.reward = ctx.executed ? 1.0 : -100.0;
    ctx.penalty = ctx.executed ? 0.0 : -100.0;
    uint64_t seq = 0;
    REQUIRE(agentos_recorder_record(rec, &ctx, &a, decision, &seq) == AGENTOS_OK);
    CHECK(seq == i);
  }
  REQUIRE(agentos_recorder_flush(rec) == AGENTOS_OK);
  uint64_t committed = 0, seen = 0;
  REQUIRE(agentos_recorder_counters(rec, &committed, &seen) == AGENTOS_OK);
  CHECK(committed == 100);
  CHECK(seen == 100);
  REQUIRE(agentos_recorder_close(rec) == AGENTOS_OK);
  REQUIRE(agentos_recorder_close(rec) == AGENTOS_OK);  // idempotent

  // Recording after close fails loudly.
  const std::string select = "SELECT 1";
  agentos_action a = SqlAction(select);
  REQUIRE(agentos_kernel_check(kernel, nullptr, &a, decision) == AGENTOS_OK);
  agentos_record_context ctx = agentos::testing::Sized<agentos_record_context>();
  CHECK(agentos_recorder_record(rec, &ctx, &a, decision, nullptr) == AGENTOS_STATE);
  CHECK(std::string(agentos_errmsg()).find("closed") != std::string::npos);
  agentos_recorder_free(rec);

  agentos_audit_verify_result v = agentos::testing::Sized<agentos_audit_verify_result>();
  REQUIRE(agentos_audit_verify(path.c_str(), key, sizeof key, &v) == AGENTOS_OK);
  CHECK(v.valid == 1);
  CHECK(v.records == 100);
  CHECK(std::string(v.message).find("valid: 100") == 0);
  CHECK(agentos_audit_verify(path.c_str(), nullptr, 0, &v) == AGENTOS_INVALID);  // keyed log, no key
  const uint8_t wrong[] = {1};
  REQUIRE(agentos_audit_verify(path.c_str(), wrong, 1, &v) == AGENTOS_OK);
  CHECK(v.valid == 0);

  agentos_audit_stats st = agentos::testing::Sized<agentos_audit_stats>();
  REQUIRE(agentos_audit_stats_get(path.c_str(), &st) == AGENTOS_OK);
  CHECK(st.records == 100);
  CHECK(st.violating_records == 25);
  CHECK(st.blocked_records == 25);
  CHECK(st.by_severity[AGENTOS_SEVERITY_CRITICAL] == 25);
  CHECK(st.violation_rate == Approx(0.25));
  CHECK(st.level == AGENTOS_RECORD_ALL);

  char* json = nullptr;
  size_t len = 0;
  REQUIRE(agentos_audit_stats_json(path.c_str(), &json, &len) == AGENTOS_OK);
  CHECK(std::strlen(json) == len);
  CHECK(std::string(json).find("\"no_drop\"") != std::string::npos);
  agentos_audit_buffer_free(json);

  uint64_t last = 0;
  REQUIRE(agentos_audit_export(path.c_str(), AGENTOS_EXPORT_SPANS, 90, 0, &json, &len, &last) == AGENTOS_OK);
  rapidjson::Document d;
  d.Parse(json, len);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d.Size() == 10);
  CHECK(last == 100);
  agentos_audit_buffer_free(json);

  const std::string out = dir.File("records.json");
  REQUIRE(agentos_audit_export_file(path.c_str(), AGENTOS_EXPORT_JSON, out.c_str()) == AGENTOS_OK);

  agentos_decision_free(decision);
  agentos_kernel_free(kernel);
}

TEST_CASE("C API: bad arguments are refused with a message and change nothing") {
  TempDir dir;
  const std::string path = dir.File("c.db");
  agentos_recorder* rec = nullptr;
  CHECK(agentos_recorder_open(nullptr, nullptr, &rec) == AGENTOS_INVALID);
  CHECK(agentos_recorder_open(path.c_str(), nullptr, nullptr) == AGENTOS_INVALID);
  agentos_recorder_options o;
  agentos_recorder_options_init(&o);
  o.durability = 9;
  CHECK(agentos_recorder_open(path.c_str(), &o, &rec) == AGENTOS_INVALID);
  CHECK(std::string(agentos_errmsg()).find("durability") != std::string::npos);
  agentos_recorder_options_init(&o);
  o.level = AGENTOS_RECORD_VIOLATIONS;
  o.sample_rate = -0.5;
  CHECK(agentos_recorder_open(path.c_str(), &o, &rec) == AGENTOS_INVALID);
  agentos_recorder_options_init(&o);
  o.hmac_key_len = 4;
  CHECK(agentos_recorder_open(path.c_str(), &o, &rec) == AGENTOS_INVALID);
  CHECK(rec == nullptr);

  agentos_audit_verify_result v = agentos::testing::Sized<agentos_audit_verify_result>();
  std::memset(&v, 0x5a, sizeof v);
  v.struct_size = sizeof v;
  CHECK(agentos_audit_verify(dir.File("missing.db").c_str(), nullptr, 0, &v) == AGENTOS_NOTFOUND);
  CHECK(v.records == 0x5a5a5a5a5a5a5a5aULL);  // untouched on failure
  CHECK(agentos_audit_verify(nullptr, nullptr, 0, &v) == AGENTOS_INVALID);
  char* json = nullptr;
  CHECK(agentos_audit_export(dir.File("missing.db").c_str(), 7, 0, 0, &json, nullptr, nullptr) == AGENTOS_INVALID);
  CHECK(json == nullptr);
  agentos_recorder_free(nullptr);

  REQUIRE(agentos_recorder_open(path.c_str(), nullptr, &rec) == AGENTOS_OK);
  agentos_record_context ctx = agentos::testing::Sized<agentos_record_context>();
  const std::string x = "x";
  agentos_action a = SqlAction(x);
  CHECK(agentos_recorder_record(rec, &ctx, &a, nullptr, nullptr) == AGENTOS_INVALID);
  a.kind = 42;
  agentos_decision* d = nullptr;
  REQUIRE(agentos_decision_new(&d) == AGENTOS_OK);
  CHECK(agentos_recorder_record(rec, &ctx, &a, d, nullptr) == AGENTOS_INVALID);
  a = SqlAction(x);
  a.payload = nullptr;
  CHECK(agentos_recorder_record(rec, &ctx, &a, d, nullptr) == AGENTOS_INVALID);
  REQUIRE(agentos_recorder_close(rec) == AGENTOS_OK);
  agentos_recorder_free(rec);
  agentos_decision_free(d);
  agentos_audit_verify_result ok = agentos::testing::Sized<agentos_audit_verify_result>();
  REQUIRE(agentos_audit_verify(path.c_str(), nullptr, 0, &ok) == AGENTOS_OK);
  CHECK(ok.valid == 1);
  CHECK(ok.records == 0);  // the refused calls recorded nothing
}

TEST_CASE("C API: an environment holds the recorder through RecorderSinkOf") {
  TempDir dir;
  const std::string path = dir.File("c.db");
  agentos_recorder* rec = nullptr;
  REQUIRE(agentos_recorder_open(path.c_str(), nullptr, &rec) == AGENTOS_OK);
  CHECK(agentos::capi::RecorderSinkOf(nullptr) == nullptr);
  std::shared_ptr<agentos::AuditSink> sink = agentos::capi::RecorderSinkOf(rec);
  REQUIRE(sink != nullptr);
  // The C caller frees its handle; the env keeps recording into the same log.
  agentos_recorder_free(rec);
  agentos::testing::Sample s;
  for (std::uint64_t i = 1; i <= 10; ++i) {
    s.Make(i);
    sink->Record(s.event);
  }
  sink.reset();  // the last holder: the recorder closes
  agentos_audit_verify_result v = agentos::testing::Sized<agentos_audit_verify_result>();
  REQUIRE(agentos_audit_verify(path.c_str(), nullptr, 0, &v) == AGENTOS_OK);
  CHECK(v.valid == 1);
  CHECK(v.records == 10);
}
