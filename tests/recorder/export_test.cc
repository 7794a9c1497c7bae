// Export: the json format is an array of records that round-trips the
// content; the spans format is an array of Agent-Lightning LightningStore
// Span objects with every required key, ids that group records by env
// episode, and attributes only in the agent_os.* namespace. Also the CLI
// front end of export, stats and verify on good logs.
#include <catch2/catch.hpp>

#include "kernel/recorder/json_headers.h"
#include <sqlite3.h>

#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "bindings/cli/commands.h"
#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/checkpoint.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::OpenRecorder;
using agentos::testing::Sample;
using agentos::testing::TempDir;
using agentos::testing::WriteLog;

namespace {

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  INFO(text.substr(0, 400));
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string Export(const std::string& path, ExportFormat f, std::uint64_t after = 0, std::uint64_t max = 0,
                   ExportSummary* sum = nullptr) {
  ExportOptions o;
  o.format = f;
  o.after_seq = after;
  o.max_records = max;
  std::ostringstream out;
  Status s = ExportLog(path, o, out, sum);
  INFO(s.message());
  REQUIRE(s.ok());
  return out.str();
}

struct CliRun {
  int code;
  std::string out, err;
};

CliRun Cli(std::vector<std::string> args) {
  std::istringstream in;
  std::ostringstream out, err;
  cli::Io io{in, out, err};
  int code = cli::RunAudit(args, io);
  return {code, out.str(), err.str()};
}

bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

}  // namespace

TEST_CASE("json export: one object per record with the recorded content") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 30);
  rapidjson::Document d = Parse(Export(path, ExportFormat::kJson));
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 30);
  Sample s;
  for (rapidjson::SizeType i = 0; i < d.Size(); ++i) {
    const auto& r = d[i];
    s.Make(i + 1);
    CHECK(r["seq"].GetUint64() == i + 1);
    CHECK(std::string(r["agent_id"].GetString()) == "agent-0");
    CHECK(std::string(r["action"]["payload"].GetString()) == s.payload);
    CHECK(std::string(r["action"]["payload_encoding"].GetString()) == "utf8");
    CHECK(r["decision"]["allowed"].GetBool() == s.decision.allowed());
    CHECK(r["decision"]["violations"].Size() == s.decision.violations().size());
    CHECK(r["decision"]["total_violations"].GetUint() == s.decision.total_violations());
    if (!s.decision.violations().empty()) {
      const auto& v = r["decision"]["violations"][0];
      CHECK(std::string(v["policy"].GetString()) == s.decision.violations()[0].policy());
      CHECK(std::string(v["severity"].GetString()) == ToString(s.decision.violations()[0].severity()));
      CHECK(v["blocked"].GetBool() == s.decision.violations()[0].blocked());
    }
    CHECK(r["reward"].GetDouble() == s.event.reward);
    CHECK(std::string(r["entry_hash"].GetString()).size() == 64);
    // Sample records SIGSTOP (mask 1) on every third record, nothing otherwise.
    REQUIRE(r["signals"].IsArray());
    CHECK(r["signal_mask"].GetUint() == s.event.signals);
    if (s.event.signals == 1) {
      REQUIRE(r["signals"].Size() == 1);
      CHECK(std::string(r["signals"][0].GetString()) == "SIGSTOP");
    } else {
      CHECK(r["signals"].Empty());
    }
  }
}

TEST_CASE("json export keeps non-text payloads (hex), unknown rewards (null) and NaN costs") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  auto r = OpenRecorder(path, {});
  Sample s;
  s.Make(1);
  std::string binary("\xff\x00\x01 bytes", 9);
  s.action.payload = binary;
  s.action.cost_usd = std::numeric_limits<double>::quiet_NaN();
  REQUIRE(r->Append(s.event).ok());
  RecordView c;
  c.agent_id = "a";
  c.payload = "text";
  REQUIRE(r->Append(c).ok());  // no reward known
  REQUIRE(r->Close().ok());
  rapidjson::Document d = Parse(Export(path, ExportFormat::kJson));
  REQUIRE(d.Size() == 2);
  CHECK(std::string(d[0]["action"]["payload_encoding"].GetString()) == "hex");
  CHECK(std::string(d[0]["action"]["payload"].GetString()) == "ff0001206279746573");
  CHECK(std::string(d[0]["action"]["cost_usd"].GetString()) == "NaN");
  CHECK(d[1]["reward"].IsNull());
  CHECK(d[1]["penalty"].IsNull());
  // ... and the NaN cost and unknown reward still verify.
  CliRun v = Cli({"verify", path});
  CHECK(v.code == cli::kExitOk);
}

TEST_CASE("spans export: LightningStore Span JSON with every required key") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  {
    auto r = OpenRecorder(path, {});
    Sample s;
    for (std::uint64_t env = 0; env < 2; ++env) {
      for (std::uint64_t i = 1; i <= 25; ++i) {
        s.Make(i, env);
        REQUIRE(r->Append(s.event).ok());
      }
    }
    REQUIRE(r->Close().ok());
  }
  rapidjson::Document d = Parse(Export(path, ExportFormat::kSpans));
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 50);
  std::map<std::string, std::int64_t> last_sequence;
  std::map<std::string, std::set<std::string>> traces_of_rollout;
  std::set<std::string> span_ids;
  for (const auto& span : d.GetArray()) {
    for (const char* key : {"rollout_id", "attempt_id", "sequence_id", "trace_id", "span_id", "parent_id", "name",
                            "status", "attributes", "events", "links", "start_time", "end_time", "context",
                            "parent", "resource"}) {
      INFO(key);
      REQUIRE(span.HasMember(key));
    }
    CHECK(span["rollout_id"].IsString());
    CHECK(span["attempt_id"].IsString());
    CHECK(span["sequence_id"].IsInt64());
    CHECK(std::string(span["trace_id"].GetString()).size() == 32);
    CHECK(std::string(span["span_id"].GetString()).size() == 16);
    CHECK(span["parent_id"].IsNull());
    CHECK(std::string(span["name"].GetString()) == "agent_os.policy_check");
    std::string code = span["status"]["status_code"].GetString();
    CHECK((code == "OK" || code == "ERROR"));
    CHECK(span["status"].HasMember("description"));
    CHECK(span["links"].IsArray());
    CHECK(span["start_time"].IsDouble());
    CHECK(span["start_time"].GetDouble() > 1e9);  // seconds, not nanoseconds
    CHECK(span["start_time"].GetDouble() < 1e12);
    CHECK(span["end_time"].GetDouble() >= span["start_time"].GetDouble());
    CHECK(std::string(span["context"]["trace_id"].GetString()) == span["trace_id"].GetString());
    CHECK(std::string(span["context"]["span_id"].GetString()) == span["span_id"].GetString());
    CHECK(span["context"]["is_remote"].IsBool());
    CHECK(span["context"]["trace_state"].IsObject());
    CHECK(span["parent"].IsNull());
    CHECK(span["resource"]["attributes"].IsObject());
    CHECK(span["resource"]["schema_url"].IsString());
    // Attributes: agent_os.* only, scalar or homogeneous lists; never reward keys.
    for (const auto& attrs : {&span["attributes"], &span["resource"]["attributes"]}) {
      for (auto m = attrs->MemberBegin(); m != attrs->MemberEnd(); ++m) {
        std::string k = m->name.GetString();
        INFO(k);
        CHECK(StartsWith(k, "agent_os."));
        CHECK_FALSE(StartsWith(k, "agentlightning.reward"));
        CHECK(k != "reward");
        CHECK_FALSE(m->value.IsNull());
        CHECK_FALSE(m->value.IsObject());
      }
    }
    for (const auto& ev : span["events"].GetArray()) {
      CHECK(std::string(ev["name"].GetString()) == "agent_os.violation");
      CHECK(ev["attributes"].IsObject());
      CHECK(ev["timestamp"].IsDouble());
    }
    std::string rollout = span["rollout_id"].GetString();
    std::int64_t seq = span["sequence_id"].GetInt64();
    CHECK(seq > last_sequence[rollout]);  // monotonic within a rollout
    last_sequence[rollout] = seq;
    traces_of_rollout[rollout].insert(span["trace_id"].GetString());
    CHECK(span_ids.insert(span["span_id"].GetString()).second);
    CHECK(span["attributes"]["agent_os.policy_violated"].GetBool() ==
          (span["attributes"]["agent_os.violation_count"].GetUint() > 0));
    CHECK((code == "ERROR") == (std::string(span["attributes"]["agent_os.policy_result"].GetString()) == "blocked"));
  }
  // Two envs x episodes 0..2 (steps 1..10 per episode): one rollout and one trace each.
  CHECK(last_sequence.size() == 6);
  for (const auto& [rollout, traces] : traces_of_rollout) CHECK(traces.size() == 1);
}

TEST_CASE("incremental export: after_seq and max_records page through the log") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 25);
  std::uint64_t cursor = 0;
  std::uint64_t seen = 0;
  for (int page = 0; page < 10; ++page) {
    ExportSummary sum;
    rapidjson::Document d = Parse(Export(path, ExportFormat::kSpans, cursor, 10, &sum));
    if (d.Size() == 0) {
      CHECK(sum.last_seq == cursor);
      break;
    }
    CHECK(d[0]["sequence_id"].GetUint64() == cursor + 1);
    seen += d.Size();
    cursor = sum.last_seq;
  }
  CHECK(seen == 25);
  CHECK(cursor == 25);
}

TEST_CASE("the CLI verifies, exports and summarises a good log") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  WriteLog(path, 40);
  CliRun v = Cli({"verify", path});
  CHECK(v.code == cli::kExitOk);
  CHECK(v.out.find("valid: 40 record(s)") != std::string::npos);

  const std::string out = dir.File("spans.json");
  CliRun e = Cli({"export", path, "--format", "spans", "--out", out});
  CHECK(e.code == cli::kExitOk);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(Parse(text).Size() == 40);

  CliRun j = Cli({"export", path});
  CHECK(j.code == cli::kExitOk);
  CHECK(Parse(j.out).Size() == 40);

  CliRun st = Cli({"stats", path, "--json"});
  CHECK(st.code == cli::kExitOk);
  rapidjson::Document sd = Parse(st.out);
  CHECK(sd["records"].GetUint64() == 40);
  CHECK(std::string(sd["level"].GetString()) == "all");
  CHECK(sd["by_policy"].HasMember("sql_safety"));
  CliRun text_stats = Cli({"stats", path});
  CHECK(text_stats.code == cli::kExitOk);
  CHECK(text_stats.out.find("violation rate:") != std::string::npos);
}

TEST_CASE("the CLI names the bad record and exits 1 on a tampered log") {
  TempDir dir;
  const std::string path = dir.File("a.db");
  const std::string key_file = dir.File("key");
  {
    std::ofstream k(key_file, std::ios::binary);
    k << "correct horse battery staple";
  }
  RecorderOptions o;
  std::string key = "correct horse battery staple";
  o.hmac_key.assign(key.begin(), key.end());
  WriteLog(path, 40, o);
  CHECK(Cli({"verify", path, "--key-file", key_file}).code == cli::kExitOk);
  {
    std::unique_ptr<AuditStore> store;
    LogHeader h;
    REQUIRE(AuditStore::OpenForAppend(path, Durability::kRelaxed, &h, &store).ok());
    REQUIRE(sqlite3_exec(store->db(), "UPDATE records SET allowed = 1 WHERE seq = 12", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
  }
  CliRun v = Cli({"verify", path, "--key-file", key_file});
  CHECK(v.code == cli::kExitDenied);
  CHECK(v.out.find("record 12: hash mismatch") != std::string::npos);
}
