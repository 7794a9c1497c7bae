// Specification of `agentos env step` on a dataset in the Spider layout
// (tests/sql_task/fixtures/spider_mini): the task spec names the questions
// file and the databases directory, and answers are scored on the task's
// own database.
#include <catch2/catch.hpp>

#include <string>

#include "cli_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

constexpr const char kReadOnly[] = R"(version: 1
policies:
  - name: read_only
    type: sql
    allow: [SELECT]
)";

// Task 7 of dev.json: "Which station is the highest?" on the weather database.
std::string SpiderSpec() {
  const std::string fixture = std::string(AGENTOS_SOURCE_DIR) + "/tests/sql_task/fixtures/spider_mini";
  return R"({"type":"sql","questions_file":")" + fixture + R"(/dev.json","databases_dir":")" + fixture +
         R"(/database","task_index":7})";
}

}  // namespace

TEST_CASE("env step: a Spider-layout task spec; a wrong answer scores 0, the right one 1 and ends the episode") {
  TempFile policy("read_only.yaml", kReadOnly);
  CliResult r = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", SpiderSpec()},
                    R"({"sql":"SELECT city FROM station ORDER BY altitude_m LIMIT 1"})" "\n"
                    R"js({"sql":"SELECT city FROM station WHERE altitude_m = (SELECT max(altitude_m) FROM station)"})js" "\n");
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  auto lines = r.lines();
  REQUIRE(lines.size() == 2);
  auto wrong = Json(lines[0]);
  CHECK(wrong["observation"].GetInt64() == 7);
  CHECK(wrong["executed"].GetBool());
  CHECK(wrong["reward"].GetDouble() == 0.0);
  CHECK_FALSE(wrong["success"].GetBool());
  CHECK_FALSE(wrong["terminated"].GetBool());
  auto right = Json(lines[1]);
  CHECK(right["reward"].GetDouble() == 1.0);
  CHECK(right["success"].GetBool());
  CHECK(right["terminated"].GetBool());
}

TEST_CASE("env step: bad Spider-layout data is refused naming the file and question") {
  TempFile policy("read_only.yaml", kReadOnly);
  TempFile questions("bad.json", R"([{"db_id": "weather", "question": "q", "query": "SELECT nope FROM station"}])");
  const std::string spec = R"({"type":"sql","questions_file":")" + questions.path() + R"(","databases_dir":")" +
                           AGENTOS_SOURCE_DIR + R"(/tests/sql_task/fixtures/spider_mini/database"})";
  CliResult r = Run(cli::RunMain, {"env", "step", "--policy", policy.path(), "--task", spec}, "");
  CHECK(r.code != 0);
  CHECK_THAT(r.err, Catch::Contains(questions.path() + ": question [0]: gold query of 'weather-0' failed: "
                                                       "no such column: nope"));
}
