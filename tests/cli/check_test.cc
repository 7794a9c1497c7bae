// Specification of `agentos check`: one JSON decision per JSON action, in
// order, each naming its input line; malformed lines are reported and the
// stream goes on; exit codes 0 (all allowed), 1 (something denied or
// malformed, or an invalid policy), 2 (usage error or unreadable file).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bindings/cli/action_json.h"
#include "cli_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

CliResult Check(const std::string& policy_path, const std::string& input) {
  return Run(cli::RunCheck, {"--policy", policy_path}, input);
}

std::vector<std::string> RulesOf(const rapidjson::Document& d) {
  std::vector<std::string> rules;
  for (const auto& v : d["violations"].GetArray()) rules.push_back(v["rule"].GetString());
  return rules;
}

}  // namespace

TEST_CASE("check: usage errors exit 2 with one line and a hint on stderr") {
  TempFile policy("p.yaml", kSpendPolicy);
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {{}, "--policy FILE.yaml is required"},
      {{"--input", "x.jsonl"}, "--policy FILE.yaml is required"},
      {{"--policy"}, "--policy needs a value"},
      {{"--policy="}, "--policy needs a non-empty value"},
      {{"--policy", policy.path(), "--policy", policy.path()}, "--policy given twice"},
      {{"--policy", policy.path(), "--verbose"}, "unknown option '--verbose'"},
      {{"--policy", policy.path(), "extra.jsonl"}, "unexpected argument 'extra.jsonl'"},
  };
  for (const Case& c : cases) {
    CliResult r = Run(cli::RunCheck, c.args, "");
    INFO(r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(r.err == "agentos check: " + c.says + "\ntry 'agentos check --help'\n");
  }
}

TEST_CASE("check --help prints usage on stdout and exits 0") {
  CliResult r = Run(cli::RunCheck, {"--help"}, "");
  CHECK(r.code == 0);
  CHECK(r.out.find("usage: agentos check --policy FILE.yaml [--input FILE.jsonl]") == 0);
  CHECK(r.err.empty());
}

TEST_CASE("check: an unreadable policy exits 2; an invalid one exits 1 naming file, line and column") {
  CliResult missing = Check("/nonexistent/agentos.yaml", R"({"sql":"SELECT 1"})");
  CHECK(missing.code == 2);
  CHECK(missing.out.empty());
  CHECK(missing.err.find("/nonexistent/agentos.yaml") != std::string::npos);

  TempFile bad("bad.yaml", "version: 1\npolicies:\n  - name: b\n    type: cost\n    max_cost_usd: -3\n");
  CliResult r = Check(bad.path(), R"({"sql":"SELECT 1"})");
  CHECK(r.code == 1);
  CHECK(r.out.empty());
  INFO(r.err);
  CHECK(r.err.rfind(bad.path() + ":5:", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("check: decisions in order, one per non-blank line, with episodes per agent") {
  TempFile policy("spend.yaml", kSpendPolicy);
  const std::string input =
      R"({"kind":"spend","cost_usd":5})" "\n"                      // 1 allowed (5 of 10)
      R"({"kind":"spend","cost_usd":7})" "\n"                      // 2 over 6 per action and 12 > 10
      "\n"                                                         // 3 blank: skipped
      R"({"tool":"db.query","args":{"q":"select 1"}})" "\n"        // 4 allowed
      R"({"tool":"db.drop_table"})" "\n"                           // 5 denied tool
      "this is not json\n"                                         // 6 malformed
      R"({"tool":"shell.exec","agent_id":"a"})" "\n"               // 7 not on the allow list
      R"({"kind":"spend","cost_usd":4})" "\n"                      // 8 allowed: 9 of 10
      R"({"kind":"spend","cost_usd":2})" "\n"                      // 9 denied: 11 > 10
      R"({"kind":"spend","cost_usd":4,"agent_id":"b"})";           // 10 another agent: fresh; no final \n
  CliResult r = Check(policy.path(), input);
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(r.err.empty());
  auto lines = r.lines();
  REQUIRE(lines.size() == 9);
  CHECK(lines[0] == R"({"line":1,"allowed":true,"violations":[]})");
  auto d2 = Json(lines[1]);
  CHECK(d2["line"].GetInt() == 2);
  CHECK_FALSE(d2["allowed"].GetBool());
  CHECK(RulesOf(d2) == std::vector<std::string>{"cost.episode_budget", "cost.per_action"});
  for (const auto& v : d2["violations"].GetArray()) {
    CHECK(std::string(v["policy"].GetString()) == "budget");
    CHECK(v["blocked"].GetBool());
    CHECK(std::string(v["severity"].GetString()) == "high");
    CHECK(v["reason"].GetStringLength() > 0);
  }
  CHECK(lines[2] == R"({"line":4,"allowed":true,"violations":[]})");
  auto d5 = Json(lines[3]);
  CHECK(d5["line"].GetInt() == 5);
  CHECK(RulesOf(d5) == std::vector<std::string>{"tool.denied"});
  auto d6 = Json(lines[4]);
  CHECK(d6["line"].GetInt() == 6);
  CHECK_FALSE(d6["allowed"].GetBool());
  CHECK(std::string(d6["error"].GetString()).find("invalid JSON at column ") == 0);
  CHECK(d6["violations"].Empty());
  CHECK(RulesOf(Json(lines[5])) == std::vector<std::string>{"tool.not_allowed"});
  CHECK(lines[6] == R"({"line":8,"allowed":true,"violations":[]})");
  CHECK(RulesOf(Json(lines[7])) == std::vector<std::string>{"cost.episode_budget"});
  CHECK(lines[8] == R"({"line":10,"allowed":true,"violations":[]})");
}

TEST_CASE("check: exit 0 when everything is allowed; empty input is all allowed") {
  TempFile policy("spend.yaml", kSpendPolicy);
  CliResult r = Check(policy.path(), "{\"tool\":\"search\"}\r\n{\"kind\":\"spend\",\"cost_usd\":1}\n");
  CHECK(r.code == 0);
  CHECK(r.lines().size() == 2);
  CliResult empty = Check(policy.path(), "");
  CHECK(empty.code == 0);
  CHECK(empty.out.empty());
  CliResult blanks = Check(policy.path(), "\n  \n\t\n");
  CHECK(blanks.code == 0);
  CHECK(blanks.out.empty());
}

TEST_CASE("check: a malformed line alone makes the exit code 1") {
  TempFile policy("spend.yaml", kSpendPolicy);
  CliResult r = Check(policy.path(), "{\"tool\":\"search\"}\n{\"tool\":\"search\",\"colour\":1}\n");
  CHECK(r.code == 1);
  auto lines = r.lines();
  REQUIRE(lines.size() == 2);
  auto e = Json(lines[1]);
  CHECK(e["line"].GetInt() == 2);
  CHECK(std::string(e["error"].GetString()).find("unknown field \"colour\"") != std::string::npos);
}

TEST_CASE("check: a line over 1 MiB is an error line naming file:line, and the input ends there") {
  TempFile policy("spend.yaml", kSpendPolicy);
  std::string huge = "{\"text\":\"" + std::string(cli::kMaxActionLineBytes, 'a') + "\"}";
  TempFile actions("long.jsonl", "{\"tool\":\"search\"}\n" + huge + "\n{\"tool\":\"search\"}");
  CliResult r = Run(cli::RunCheck, {"--policy", policy.path(), "--input", actions.path()});
  CHECK(r.code == 1);
  auto lines = r.lines();
  REQUIRE(lines.size() == 2);
  auto e = Json(lines[1]);
  CHECK(e["line"].GetInt() == 2);
  CHECK(std::string(e["error"].GetString()) == "line is longer than 1048576 bytes");
  CHECK(r.err == "agentos check: " + actions.path() +
                     ":2: line is longer than 1048576 bytes; the rest of the input is not read\n");
}

TEST_CASE("check --input /dev/zero: a line that never ends stops at the limit") {
  TempFile policy("spend.yaml", kSpendPolicy);
  CliResult r = Run(cli::RunCheck, {"--policy", policy.path(), "--input", "/dev/zero"});
  CHECK(r.code == 1);
  CHECK(r.out == "{\"line\":1,\"allowed\":false,\"error\":\"line is longer than 1048576 bytes\",\"violations\":[]}\n");
  CHECK(r.err == "agentos check: /dev/zero:1: line is longer than 1048576 bytes; the rest of the input is not read\n");
}

TEST_CASE("check --input DIRECTORY is refused before reading; a pipe still works") {
  TempFile policy("spend.yaml", kSpendPolicy);
  const std::string dir = std::filesystem::temp_directory_path().string();
  CliResult r = Run(cli::RunCheck, {"--policy", policy.path(), "--input", dir});
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "agentos check: input '" + dir + "' is a directory\n");

  const std::string fifo = (std::filesystem::temp_directory_path() /
                            ("agentos_cli_fifo_" + std::to_string(::getpid()))).string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] {
    std::ofstream w(fifo, std::ios::binary);
    w << "{\"tool\":\"search\"}\n";
  });
  CliResult piped = Run(cli::RunCheck, {"--policy", policy.path(), "--input", fifo});
  writer.join();
  std::remove(fifo.c_str());
  CHECK(piped.code == 0);
  CHECK(piped.out == "{\"line\":1,\"allowed\":true,\"violations\":[]}\n");
}

TEST_CASE("check: a tool_call without \"tool\" is a malformed line, not an allowed action") {
  TempFile policy("spend.yaml", kSpendPolicy);
  CliResult r = Check(policy.path(), "{\"kind\":\"tool_call\",\"args\":{\"cmd\":\"rm -rf /\"}}\n");
  CHECK(r.code == 1);
  CHECK(r.out ==
        "{\"line\":1,\"allowed\":false,\"error\":\"a tool_call action needs \\\"tool\\\"\",\"violations\":[]}\n");
}

TEST_CASE("check: output is valid JSON even for hostile text in reasons") {
  TempFile policy("spend.yaml", kSpendPolicy);
  // Quotes, backslashes, control characters and a multi-byte character cut
  // in the middle by the reason's length limit.
  std::string tool = "x\\\"q\\\\\\n\\u0001";
  for (int i = 0; i < 40; ++i) tool += "\xC3\xA9";
  CliResult r = Check(policy.path(), "{\"tool\":\"" + tool + "\"}\n");
  CHECK(r.code == 1);
  auto lines = r.lines();
  REQUIRE(lines.size() == 1);
  auto d = Json(lines[0]);  // parses as strict, UTF-8-validated JSON
  REQUIRE(d["violations"].Size() == 1);
  CHECK(std::string(d["violations"][0]["rule"].GetString()) == "tool.invalid_name");
  CHECK(d["violations"][0]["reason"].GetStringLength() > 0);
}

TEST_CASE("check --input reads a file; '-' means standard input") {
  TempFile policy("spend.yaml", kSpendPolicy);
  TempFile actions("a.jsonl", "{\"tool\":\"search\"}\n{\"tool\":\"db.drop_all\"}\n");
  CliResult r = Run(cli::RunCheck, {"--policy=" + policy.path(), "--input", actions.path()}, "ignored");
  CHECK(r.code == 1);
  CHECK(r.lines().size() == 2);
  CliResult dash = Run(cli::RunCheck, {"--input=-", "--policy", policy.path()}, "{\"tool\":\"search\"}\n");
  CHECK(dash.code == 0);
  CHECK(dash.lines().size() == 1);
  CliResult missing = Run(cli::RunCheck, {"--policy", policy.path(), "--input", "/nonexistent/a.jsonl"}, "");
  CHECK(missing.code == 2);
  CHECK(missing.err.rfind("agentos check: cannot open input '/nonexistent/a.jsonl': ", 0) == 0);
}

TEST_CASE("check: the three-rule SQL policy denies what it says, with the policy and rule named") {
  TempFile policy("issue.yaml", kIssuePolicy);
  const std::string input =
      R"({"sql":"SELECT * FROM users WHERE id = 1"})" "\n"
      R"({"kind":"sql","sql":"DROP TABLE users"})" "\n"
      R"({"sql":"UPDATE users SET name = 'x'"})" "\n"
      R"({"sql":"select 1; delete from users"})" "\n"
      R"({"kind":"spend","cost_usd":150})" "\n";
  CliResult r = Check(policy.path(), input);
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  auto lines = r.lines();
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == R"({"line":1,"allowed":true,"violations":[]})");
  for (int i : {1, 2, 3}) {
    auto d = Json(lines[static_cast<size_t>(i)]);
    CHECK_FALSE(d["allowed"].GetBool());
    REQUIRE(d["violations"].Size() >= 1);
    const auto& v = d["violations"][0];
    CHECK(std::string(v["policy"].GetString()) == "sql_safety");
    CHECK(std::string(v["rule"].GetString()).rfind("sql.", 0) == 0);
    CHECK(v["blocked"].GetBool());
    // Exactly the documented keys, in the documented order.
    std::vector<std::string> keys;
    for (const auto& m : v.GetObject()) keys.push_back(m.name.GetString());
    CHECK(keys == std::vector<std::string>{"policy", "rule", "severity", "blocked", "reason"});
  }
  auto spend = Json(lines[4]);
  CHECK(std::string(spend["violations"][0]["policy"].GetString()) == "budget");
}

TEST_CASE("check: the README demo stream runs against the example policy") {
  const std::string root = AGENTOS_SOURCE_DIR;
  std::string policy = root + "/examples/policies/sql_safety.yaml";
  std::string demo = root + "/examples/actions/demo.jsonl";
  CliResult r = Run(cli::RunCheck, {"--policy", policy, "--input", demo}, "");
  INFO(r.err);
  CHECK(r.code == 1);  // the demo has denied actions and one malformed line
  auto lines = r.lines();
  REQUIRE(lines.size() >= 10);
  int allowed = 0, denied = 0, errors = 0;
  for (const auto& l : lines) {
    auto d = Json(l);
    if (d.HasMember("error")) ++errors;
    else if (d["allowed"].GetBool()) ++allowed;
    else ++denied;
  }
  CHECK(errors == 1);
  CHECK(allowed > 0);
  CHECK(denied > 0);
}
