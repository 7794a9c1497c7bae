// Specification of the Spider/BIRD questions parser (env/sql/spider_questions.h).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "env/sql/spider_questions.h"

using namespace agentos;

namespace {

Status Parse(const std::string& text, std::vector<SpiderQuestion>* out) { return ParseSpiderQuestions(text, "q.json", out); }

std::string Error(const std::string& text) {
  std::vector<SpiderQuestion> out;
  Status s = Parse(text, &out);
  CHECK(out.empty());
  return s.ok() ? "ok" : s.message();
}

}  // namespace

TEST_CASE("questions: a JSON array with Spider's keys; keys the loader does not use are ignored") {
  std::vector<SpiderQuestion> out;
  REQUIRE(Parse(R"( [{"db_id": "a", "query": "SELECT 1", "query_toks": ["SELECT", "1"], "question": "one?",
                      "sql": {"select": [false, []]}},
                     {"db_id": "b", "question": "two?", "query": "SELECT 2"}] )",
                &out)
              .ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].db_id == "a");
  CHECK(out[0].question == "one?");
  CHECK(out[0].gold_sql == "SELECT 1");
  CHECK(out[0].evidence.empty());
  CHECK(out[0].where == "q.json: question [0]");
  CHECK(out[1].where == "q.json: question [1]");
}

TEST_CASE("questions: JSON Lines with BIRD's keys; blank lines skipped") {
  std::vector<SpiderQuestion> out;
  REQUIRE(Parse("{\"question_id\": 7, \"db_id\": \"a\", \"question\": \"q\", \"evidence\": \"e\", \"SQL\": \"SELECT 1\", "
                "\"difficulty\": \"simple\"}\n\n  \n{\"db_id\": \"b\", \"question\": \"r\", \"SQL\": \"SELECT 2\"}",
                &out)
              .ok());
  REQUIRE(out.size() == 2);
  CHECK(out[0].gold_sql == "SELECT 1");
  CHECK(out[0].evidence == "e");
  CHECK(out[0].difficulty == "simple");
  CHECK(out[0].where == "q.json:1");
  CHECK(out[1].where == "q.json:4");
}

TEST_CASE("questions: errors name the file and the line or the question index") {
  CHECK(Error("[{\"db_id\": \"a\"},\n {]") == "q.json:2: invalid JSON: Missing a name for object member.");
  CHECK(Error("{\"db_id\": \"a\", \"question\": \"q\", \"query\": \"SELECT 1\"}\n{oops}") ==
        "q.json:2: invalid JSON: Missing a name for object member. at column 2");
  CHECK(Error(R"([{"db_id": "a", "question": "q", "query": "SELECT 1"}, 5])") ==
        "q.json: question [1]: a question must be a JSON object");
  CHECK(Error(R"([{"question": "q", "query": "SELECT 1"}])") == "q.json: question [0]: missing key 'db_id'");
  CHECK(Error(R"([{"db_id": "a", "query": "SELECT 1"}])") == "q.json: question [0]: missing key 'question'");
  CHECK(Error(R"([{"db_id": "a", "question": "q"}])") ==
        "q.json: question [0]: missing the gold SQL ('query', or BIRD's 'SQL')");
  CHECK(Error(R"([{"db_id": "a", "question": "q", "query": "SELECT 1", "SQL": "SELECT 1"}])") ==
        "q.json: question [0]: give the gold SQL as 'query' or as 'SQL', not both");
  CHECK(Error(R"([{"db_id": "a", "question": "q", "query": " \n "}])") == "q.json: question [0]: the gold SQL is empty");
  CHECK(Error(R"([{"db_id": "a", "question": "", "query": "SELECT 1"}])") == "q.json: question [0]: 'question' is empty");
  CHECK(Error(R"([{"db_id": 3, "question": "q", "query": "SELECT 1"}])") ==
        "q.json: question [0]: 'db_id' must be a string");
  CHECK(Error(R"([{"db_id": "a", "db_id": "b", "question": "q", "query": "SELECT 1"}])") ==
        "q.json: question [0]: 'db_id' is given twice");
  CHECK(Error(R"([])") == "q.json: no questions");
  CHECK(Error("\n\n") == "q.json: no questions");
}

TEST_CASE("questions: a db_id must not leave the databases directory") {
  for (const char* id : {"..", ".", "a/b", "..\\\\x", ""}) {
    INFO(id);
    CHECK_THAT(Error(std::string(R"([{"db_id": ")") + id + R"(", "question": "q", "query": "SELECT 1"}])"),
               Catch::StartsWith("q.json: question [0]: 'db_id' must be a plain directory name"));
  }
}
