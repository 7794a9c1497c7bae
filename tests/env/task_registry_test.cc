// Specification of JSON task specs: strict, like every other config.
#include <catch2/catch.hpp>

#include <string>

#include "env/task_registry.h"

using namespace agentos;

namespace {
Status Make(std::string_view spec, std::unique_ptr<TaskFactory>* out = nullptr) {
  std::unique_ptr<TaskFactory> f;
  Status s = MakeTaskFactoryFromJson(spec, out ? out : &f);
  return s;
}
}  // namespace

TEST_CASE("noop and external specs build their factories") {
  std::unique_ptr<TaskFactory> f;
  REQUIRE(Make(R"({"type":"noop"})", &f).ok());
  CHECK(f->name() == "noop");
  REQUIRE(Make(R"(  {"type" : "external"}  )", &f).ok());
  CHECK(f->name() == "external");
  std::unique_ptr<Task> t;
  REQUIRE(f->Make(&t).ok());
  CHECK(t->ObservationIndex() == -1);
}

TEST_CASE("malformed or unknown task specs are parse errors naming the problem") {
  struct Case {
    const char* spec;
    const char* mentions;
  };
  const Case cases[] = {
      {"", "empty"},
      {"[]", "JSON object"},
      {R"({"type":"noop"} x)", "root"},
      {R"({"type":"noop","extra":1})", "unknown key 'extra'"},
      {R"({"type":"noop","type":"noop"})", "twice"},
      {R"({"type":"chess"})", "unknown type 'chess'"},
      {R"({"type":7})", "'type' must be a string"},
      {R"({})", "missing 'type'"},
      {R"({"type":"sql"})", "needs 'dataset_dir'"},
      {R"({"type":"sql","dataset_dir":""})", "empty"},
      {R"({"type":"sql","dataset_dir":"d","split":"dev"})", "'split'"},
      {R"({"type":"sql","dataset_dir":"d","time_limit_ms":0})", "'time_limit_ms'"},
      {R"({"type":"sql","dataset_dir":"d","row_limit":1.5})", "'row_limit' must be an integer"},
      {R"({"type":"sql","dataset_dir":"d","finish_on_success":"yes"})", "true or false"},
      {R"({"type":"sql","dataset_dir":"d","task_index":-2})", "'task_index'"},
      {R"({"type":"sql","dataset_dir":"d","bogus":true})", "unknown key 'bogus'"},
      {"{\"type\":\"noop\xff\"}", "Invalid encoding"},
  };
  for (const Case& c : cases) {
    Status s = Make(c.spec);
    INFO(c.spec << " -> " << s.ToString());
    CHECK(s.code() == Status::Code::kParseError);
    CHECK(s.message().find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("deeply nested or oversized specs are refused without crashing") {
  std::string deep = "{\"type\":\"noop\",\"x\":" + std::string(30000, '[') + std::string(30000, ']') + "}";
  CHECK(Make(deep).code() == Status::Code::kParseError);
  std::string nested(50000, '[');
  CHECK(Make(nested).code() == Status::Code::kParseError);
}

TEST_CASE("a valid sql spec reaches the SQL task, whose own errors pass through") {
  Status s = Make(R"({"type":"sql","dataset_dir":"/nonexistent/agentos","split":"test","task_index":3,)"
                  R"("time_limit_ms":50,"row_limit":100,"finish_on_success":false,"growth_limit_kb":64})");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("task spec") == std::string::npos);  // not a spec error: the dataset is missing
}
