// Fuzzes the JSONL action reader and the decision writer of `agentos check`:
// arbitrary bytes are cut into lines, each parsed as an action and decided by
// a real kernel. Whatever the input, no crash, no sanitizer report, and every
// output line is strict, valid-UTF-8 JSON that says what the decision said.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <unordered_map>

#include "kernel/rapidjson.h"
// The CLI's sources are not in a library; the harness compiles them in.
#include "bindings/cli/action_json.cc"
#include "bindings/cli/decision_json.cc"
#include "kernel/kernel_space.h"
#include "policies/policy_loader.h"

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
  - name: budget
    type: cost
    max_cost_usd: 100
    max_tokens: 100000
  - name: tools
    type: tool
    allow: ["db.*", "search"]
    max_calls: 5
  - name: secrets
    type: content
    deny: ['AKIA[0-9A-Z]{16}', '(?i)password\s*=']
)";

const agentos::KernelSpace& Kernel() {
  static std::shared_ptr<const agentos::KernelSpace> k = [] {
    std::shared_ptr<const agentos::KernelSpace> out;
    if (!agentos::LoadKernelFromYaml(kPolicy, "fuzz.yaml", &out).ok()) std::abort();
    return out;
  }();
  return *k;
}

void RequireStrictJson(std::string_view json, bool allowed) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("allowed") || !d["allowed"].IsBool() ||
      d["allowed"].GetBool() != allowed || !d.HasMember("violations") || !d["violations"].IsArray()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentos::cli;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  // A small line limit, so the fuzzer reaches the over-long path too.
  LineReader reader(in, 512);
  DecisionJsonWriter writer;
  agentos::Decision decision;
  JsonAction action;
  std::unordered_map<std::string, agentos::EpisodeState> episodes;
  std::string line;
  for (;;) {
    LineReader::Result r = reader.Next(&line);
    if (r == LineReader::Result::kEnd) break;
    if (line.size() > 512) std::abort();
    if (r == LineReader::Result::kTooLong) {
      RequireStrictJson(writer.WriteError(reader.line_number(), "line too long"), false);
      continue;
    }
    if (IsBlankLine(line)) continue;
    agentos::Status s = ParseActionJson(line, &action);
    if (!s.ok()) {
      if (s.message().empty()) std::abort();
      RequireStrictJson(writer.WriteError(reader.line_number(), s.message()), false);
      continue;
    }
    Kernel().Check(action.view(), episodes[action.agent_id], decision);
    RequireStrictJson(writer.Write(reader.line_number(), decision), decision.allowed());
  }
  return 0;
}
