// A numeric action's record says what the agent did: its values and the
// task state it was judged in are in the hash-covered record, in every
// export format, and an edit of them fails verification.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bindings/cli/commands.h"
#include "env/task_registry.h"
#include "env/vector_env.h"
#include "kernel/recorder/audit_export.h"
#include "kernel/recorder/audit_verify.h"
#include "kernel/recorder/flight_recorder.h"
#include "kernel/recorder/json_headers.h"
#include "kernel/recorder/numeric_text.h"
#include "kernel/recorder/record_codec.h"
#include "policies/policy_loader.h"
#include "tests/recorder/recorder_support.h"

using namespace agentos;
using agentos::testing::TempDir;

namespace {

// Three CartPole steps under the shipped zone policy, from x = 1.6 (inside
// the zone right of 1.5): push right (denied: numeric.zone), push left
// (allowed), push left again. Every step recorded.
void RecordThreeSteps(const std::string& path) {
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromFile(std::string(AGENTOS_SOURCE_DIR) + "/examples/policies/cartpole_zone.yaml", &kernel).ok());
  std::shared_ptr<FlightRecorder> recorder;
  RecorderOptions options;
  options.durability = Durability::kRelaxed;
  REQUIRE(FlightRecorder::Open(path, options, &recorder).ok());
  std::unique_ptr<TaskFactory> factory;
  REQUIRE(MakeTaskFactoryFromJson(R"({"type":"cartpole","initial_state":[1.6,0,0,0]})", &factory).ok());
  VectorEnvConfig config;
  config.num_envs = 1;
  config.env.audit_sink = recorder;
  std::unique_ptr<VectorEnv> env;
  REQUIRE(VectorEnv::Create(kernel, config, *factory, &env).ok());
  REQUIRE(env->Reset(0).ok());
  for (const std::int64_t action : {1, 0, 0}) {
    BatchActions a;
    a.discrete = std::span<const std::int64_t>(&action, 1);
    REQUIRE(env->Step(a).ok());
  }
  REQUIRE(env->buffers().executed[0] == 1);
  REQUIRE(recorder->Close().ok());
}

std::string Export(const std::string& path, ExportFormat format, bool lines = false) {
  ExportOptions o;
  o.format = format;
  o.json_lines = lines;
  std::ostringstream out;
  Status s = ExportLog(path, o, out, nullptr);
  INFO(s.message());
  REQUIRE(s.ok());
  return out.str();
}

std::vector<double> Numbers(const rapidjson::Value& array) {
  std::vector<double> out;
  for (const auto& v : array.GetArray()) out.push_back(v.GetDouble());
  return out;
}

VerifyResult Verify(const std::string& path) {
  VerifyResult result;
  Status s = VerifyLog(path, VerifyOptions{}, &result);
  INFO(s.message());
  REQUIRE(s.ok());
  return result;
}

void Sql(const std::string& path, const char* statement) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, statement, nullptr, nullptr, &err);
  INFO((err != nullptr ? err : ""));
  sqlite3_free(err);
  REQUIRE(rc == SQLITE_OK);
  REQUIRE(sqlite3_changes(db) == 1);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("a recorded CartPole step exports its values and the state it was judged in") {
  TempDir dir;
  const std::string path = dir.File("cartpole.db");
  RecordThreeSteps(path);
  CHECK(Verify(path).valid);

  rapidjson::Document d;
  const std::string json = Export(path, ExportFormat::kJson);
  d.Parse(json.c_str(), json.size());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.Size() == 3);
  const auto& denied = d[0];
  CHECK(std::string(denied["action"]["kind"].GetString()) == "numeric");
  CHECK(Numbers(denied["action"]["values"]) == std::vector<double>{1});
  CHECK(Numbers(denied["action"]["state"]) == std::vector<double>{1.6, 0, 0, 0});
  CHECK(denied["decision"]["allowed"].GetBool() == false);
  CHECK(std::string(denied["decision"]["violations"][0]["rule"].GetString()) == "numeric.zone");
  // The push left runs in the state the denied push left unchanged.
  CHECK(Numbers(d[1]["action"]["values"]) == std::vector<double>{0});
  CHECK(Numbers(d[1]["action"]["state"]) == std::vector<double>{1.6, 0, 0, 0});
  CHECK(d[1]["executed"].GetBool());
  // The third is judged after the second moved the cart: x is still 1.6
  // (x moves by the old velocity, 0), the velocity is now negative.
  const std::vector<double> third = Numbers(d[2]["action"]["state"]);
  REQUIRE(third.size() == 4);
  CHECK(third[0] == 1.6);
  CHECK(third[1] < 0);

  // JSON Lines: the same objects, one per line.
  const std::string jsonl = Export(path, ExportFormat::kJson, true);
  CHECK(jsonl.find(R"("values": [1.0],"state": [1.6,0.0,0.0,0.0])") != std::string::npos);

  // Spans: number lists as attributes.
  const std::string spans = Export(path, ExportFormat::kSpans);
  d.Parse(spans.c_str(), spans.size());
  REQUIRE_FALSE(d.HasParseError());
  const auto& attributes = d[0]["attributes"];
  CHECK(Numbers(attributes["agent_os.action_values"]) == std::vector<double>{1});
  CHECK(Numbers(attributes["agent_os.action_state"]) == std::vector<double>{1.6, 0, 0, 0});
}

TEST_CASE("editing or deleting a recorded numeric action fails verification at that record") {
  TempDir dir;
  const std::string path = dir.File("cartpole.db");
  RecordThreeSteps(path);

  SECTION("a changed action value") {
    Sql(path, "UPDATE numeric_actions SET action_values = '0' WHERE seq = 1");
  }
  SECTION("a changed state") {
    Sql(path, "UPDATE numeric_actions SET action_state = '1.4,0,0,0' WHERE seq = 2");
  }
  SECTION("a deleted row") {
    Sql(path, "DELETE FROM numeric_actions WHERE seq = 3");
  }
  const VerifyResult r = Verify(path);
  CHECK_FALSE(r.valid);
  INFO(r.message);
  CHECK(r.first_bad_seq >= 1);
  CHECK(r.message.find("hash mismatch") != std::string::npos);
}

TEST_CASE("numeric text: shortest round-trip decimals, cut long lists, strict parse") {
  std::string text;
  RenderNumberList(std::vector<double>{1, -0.5, 0.1, 1e-7, 12345678.25}, &text);
  CHECK(text == "1,-0.5,0.1,1e-07,12345678.25");
  RenderNumberList(std::vector<double>{}, &text);
  CHECK(text.empty());
  RenderNumberList(std::vector<double>(kMaxRecordedNumbers + 3, 2.0), &text);
  CHECK(text.size() == 2 * kMaxRecordedNumbers - 1 + 4);
  CHECK(text.substr(text.size() - 7) == "2,2,...");
  std::vector<double> values;
  bool cut = false;
  REQUIRE(ParseNumberList(text, &values, &cut));
  CHECK(cut);
  CHECK(values.size() == kMaxRecordedNumbers);
  REQUIRE(ParseNumberList("0.25,-3", &values, &cut));
  CHECK(values == std::vector<double>{0.25, -3});
  CHECK_FALSE(cut);
  CHECK_FALSE(ParseNumberList("1,,2", &values, &cut));
  CHECK_FALSE(ParseNumberList("1, 2", &values, &cut));
  CHECK_FALSE(ParseNumberList("...", &values, &cut));
}

TEST_CASE("codec: a record without numeric values keeps its v1 encoding; v2 needs values") {
  RecordView view;
  view.agent_id = "a";
  view.payload = "SELECT 1";
  std::string bytes;
  EncodeContent(view, &bytes);
  CHECK(static_cast<unsigned char>(bytes[0]) == 1);
  RecordView numeric = view;
  numeric.kind = ActionKind::kNumeric;
  numeric.action_values = "1";
  numeric.action_state = "1.6,0,0,0";
  std::string v2;
  EncodeContent(numeric, &v2);
  CHECK(static_cast<unsigned char>(v2[0]) == 2);
  RecordView back;
  std::vector<ViolationView> storage;
  REQUIRE(DecodeContent(v2, &back, &storage));
  CHECK(back.action_values == "1");
  CHECK(back.action_state == "1.6,0,0,0");
  // The v1 bytes with version 2 and two empty strings: not canonical.
  std::string forged = bytes;
  forged[0] = 2;
  forged.append(8, '\0');
  CHECK_FALSE(DecodeContent(forged, &back, &storage));
}

TEST_CASE("the audit CLI exports the values and replays numeric records as recorded") {
  TempDir dir;
  const std::string path = dir.File("cartpole.db");
  RecordThreeSteps(path);
  const std::string policy = std::string(AGENTOS_SOURCE_DIR) + "/examples/policies/cartpole_zone.yaml";
  auto run = [](std::vector<std::string> args, std::string* out) {
    std::istringstream in;
    std::ostringstream o, e;
    cli::Io io{in, o, e};
    const int code = cli::RunAudit(args, io);
    *out = o.str() + e.str();
    return code;
  };
  std::string out;
  REQUIRE(run({"export", path, "--format", "jsonl"}, &out) == 0);
  CHECK(out.find(R"("kind": "numeric")") != std::string::npos);
  CHECK(out.find(R"("values": [1.0],"state": [1.6,0.0,0.0,0.0])") != std::string::npos);
  // Replayed under the same policy, every decision is the recorded one.
  REQUIRE(run({"replay", path, "--policy", policy}, &out) == 0);
  INFO(out);
  CHECK(out.find("replayed 3 records: 0 decisions change (0 now denied, 0 now allowed)") != std::string::npos);
}
