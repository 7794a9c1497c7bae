// The compile budget of content patterns: a small policy file cannot make
// loading take hours or gigabytes. A pattern whose RE2 program is too large,
// patterns that together compile to too many instructions, and too many
// patterns in one file are each refused with an error naming the file, the
// line and the pattern.
#include <catch2/catch.hpp>

#include <string>

#include "policies/content_policy.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

// One content policy named `name` denying each of `patterns`, as YAML list
// items (one per line, from line 6 of a document that starts with Header()).
std::string ContentPolicy(const std::string& name, const std::vector<std::string>& patterns) {
  std::string y = "  - name: " + name + "\n    type: content\n    deny:\n";
  for (const std::string& p : patterns) y += "      - '" + p + "'\n";
  return y;
}

std::string Header() { return "version: 1\npolicies:\n"; }

Status Load(const std::string& yaml) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromYaml(yaml, "budget.yaml", &k);
  if (!s.ok()) CHECK(k == nullptr);
  return s;
}

}  // namespace

TEST_CASE("the 1.2 KB file of 100 copies of \\pL{200} is refused at its first pattern, naming file and line") {
  std::string yaml = Header() + "  - {name: letters, type: content, deny: [";
  for (int i = 0; i < 100; ++i) yaml += i == 0 ? "'\\pL{200}'" : ",'\\pL{200}'";
  yaml += "]}\n";
  CHECK(yaml.size() == 1165);
  Status s = Load(yaml);
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message() ==
        "budget.yaml:3:43: 'deny': pattern '\\pL{200}' is too large: its RE2 program would exceed the 1 MiB a deny "
        "pattern may use (pattern too large - compile failed); use a smaller repetition count or character class");
}

TEST_CASE("patterns each small enough but too large together are refused at the one that crosses the budget") {
  // \pL{20} compiles to about 24,000 RE2 instructions (the count depends on
  // RE2's Unicode tables, so it is not stated exactly): four fit in the
  // 100,000 of one file, the fifth (line 10) does not.
  Status s = Load(Header() + ContentPolicy("letters", std::vector<std::string>(5, "\\pL{20}")));
  INFO(s.message());
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message().starts_with("budget.yaml:10:9: 'deny': pattern '\\pL{20}' exceeds the compile budget: with it "
                                "the deny patterns would compile to "));
  CHECK(s.message().ends_with(" RE2 instructions, and at most 100000 are compiled for one policy file"));
  // Four are fine.
  CHECK(Load(Header() + ContentPolicy("letters", std::vector<std::string>(4, "\\pL{20}"))).ok());
}

TEST_CASE("the budget is the whole file's: two content policies share it") {
  const std::string yaml = Header() + ContentPolicy("a", std::vector<std::string>(3, "\\pL{20}")) +
                           ContentPolicy("b", std::vector<std::string>(2, "\\pL{20}"));
  Status s = Load(yaml);
  INFO(s.message());
  CHECK(s.code() == Status::Code::kParseError);
  // Policy b's deny list starts at line 12; its second pattern crosses the budget.
  CHECK(s.message().starts_with("budget.yaml:13:9: 'deny': pattern '\\pL{20}' exceeds the compile budget"));
}

TEST_CASE("more than 512 deny patterns in one file are refused at the 513th") {
  std::vector<std::string> patterns;
  for (int i = 1; i <= 513; ++i) patterns.push_back("token_" + std::to_string(i));
  Status s = Load(Header() + ContentPolicy("many", patterns));
  CHECK(s.code() == Status::Code::kParseError);
  CHECK(s.message() == "budget.yaml:518:9: 'deny': pattern 'token_513' is one deny pattern too many: at most 512 "
                       "are compiled for one policy file");
  patterns.pop_back();
  CHECK(Load(Header() + ContentPolicy("many", patterns)).ok());
}

TEST_CASE("MakeContentPolicy applies the same budget to one policy") {
  ContentPolicyConfig config;
  config.deny.assign(5, "\\pL{20}");
  std::unique_ptr<Policy> p;
  Status s = MakeContentPolicy("letters", config, &p);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().starts_with("content policy 'letters': pattern '\\pL{20}' exceeds the compile budget"));
  CHECK(p == nullptr);
  config.deny.assign(1, "\\pL{200}");
  s = MakeContentPolicy("letters", config, &p);
  CHECK(s.message().starts_with("content policy 'letters': pattern '\\pL{200}' is too large"));
}
