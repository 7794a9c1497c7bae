// Kernels from YAML through the C API: the three-rule policy file
// loads and means what it says; bad files fail with a located message and
// produce no handle.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "agentos.h"
#include "tests/capi/capi_values.h"

namespace {

constexpr const char kIssuePolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDATE]
    deny: [DROP, DELETE, TRUNCATE]
    require_where_on_update: true
  - name: budget
    type: cost
    max_cost_usd: 100
)";

agentos_kernel* FromYaml(const std::string& text, const char* name = "policy.yaml") {
  agentos_kernel* k = nullptr;
  int rc = agentos_kernel_from_yaml(text.data(), text.size(), name, &k);
  INFO(agentos_errmsg());
  REQUIRE(rc == AGENTOS_OK);
  REQUIRE(k != nullptr);
  return k;
}

struct Checked {
  bool allowed;
  std::string first_policy;
  std::string first_rule;
  int severity;
};

Checked Check(agentos_kernel* k, int kind, const std::string& payload, double cost = 0.0) {
  agentos_decision* d = nullptr;
  REQUIRE(agentos_decision_new(&d) == AGENTOS_OK);
  agentos_action a = agentos::testing::Sized<agentos_action>();
  a.kind = kind;
  a.payload = payload.data();
  a.payload_len = payload.size();
  a.cost_usd = cost;
  REQUIRE(agentos_kernel_check(k, nullptr, &a, d) == AGENTOS_OK);
  Checked c{agentos::testing::Allowed(d) == 1, "", "", agentos::testing::MaxSeverity(d)};
  agentos_violation v = agentos::testing::Sized<agentos_violation>();
  if (agentos::testing::ViolationCount(d) > 0 && agentos_decision_violation(d, 0, &v) == AGENTOS_OK) {
    c.first_policy = v.policy;
    c.first_rule = v.rule;
  }
  agentos_decision_free(d);
  return c;
}

std::string TempPath(const std::string& leaf) {
  return (std::filesystem::temp_directory_path() / ("agentos_capi_" + std::to_string(::getpid()) + "_" + leaf))
      .string();
}

}  // namespace

TEST_CASE("the three-rule policy file loads from text and means what it says") {
  agentos_kernel* k = FromYaml(kIssuePolicy);
  CHECK(agentos::testing::PolicyCount(k) == 2);
  CHECK(agentos::testing::IsAudit(k) == 0);
  const char* name = nullptr;
  const char* type = nullptr;
  REQUIRE(agentos_kernel_policy(k, 1, &name, &type) == AGENTOS_OK);
  CHECK(std::string(name) == "sql_safety");
  CHECK(std::string(type) == "sql");

  CHECK(Check(k, AGENTOS_ACTION_SQL, "SELECT id FROM users WHERE id = 1").allowed);
  CHECK(Check(k, AGENTOS_ACTION_SQL, "UPDATE users SET name = 'x' WHERE id = 1").allowed);
  Checked drop = Check(k, AGENTOS_ACTION_SQL, "DROP TABLE users");
  CHECK_FALSE(drop.allowed);
  CHECK(drop.first_policy == "sql_safety");
  CHECK(drop.first_rule.rfind("sql.", 0) == 0);
  CHECK_FALSE(Check(k, AGENTOS_ACTION_SQL, "DROP/**/TABLE users").allowed);
  CHECK_FALSE(Check(k, AGENTOS_ACTION_SQL, "UPDATE users SET name = 'x'").allowed);
  CHECK_FALSE(Check(k, AGENTOS_ACTION_SQL, "SELECT 1; DELETE FROM users").allowed);
  Checked spend = Check(k, AGENTOS_ACTION_SPEND, "", 150.0);
  CHECK_FALSE(spend.allowed);
  CHECK(spend.first_policy == "budget");
  agentos_kernel_free(k);
}

TEST_CASE("the same file loads from disk") {
  std::string path = TempPath("issue.yaml");
  {
    std::ofstream f(path);
    f << kIssuePolicy;
  }
  agentos_kernel* k = nullptr;
  int rc = agentos_kernel_from_file(path.c_str(), &k);
  INFO(agentos_errmsg());
  REQUIRE(rc == AGENTOS_OK);
  CHECK(agentos::testing::PolicyCount(k) == 2);
  CHECK_FALSE(Check(k, AGENTOS_ACTION_SQL, "TRUNCATE users").allowed);
  agentos_kernel_free(k);
  std::remove(path.c_str());
}

TEST_CASE("a missing file is an I/O error naming the path; *out is untouched") {
  agentos_kernel* k = reinterpret_cast<agentos_kernel*>(0x5e11);
  std::string path = TempPath("does_not_exist.yaml");
  CHECK(agentos_kernel_from_file(path.c_str(), &k) == AGENTOS_IO);
  CHECK(std::string(agentos_errmsg()).find(path) != std::string::npos);
  CHECK(k == reinterpret_cast<agentos_kernel*>(0x5e11));
}

TEST_CASE("bad YAML is a parse error located at source:line:col; *out is untouched") {
  struct Case {
    const char* what;
    std::string text;
    std::string where;  // expected "name:line:" prefix of the location
  };
  const Case cases[] = {
      {"YAML syntax", "version: 1\npolicies: [\n", "bad.yaml:"},
      {"unknown top-level key", "version: 1\npolicy:\n  - name: a\n", "bad.yaml:2:"},
      {"unknown policy key", "version: 1\npolicies:\n  - name: a\n    type: cost\n    max_cost_usd: 5\n    colour: red\n",
       "bad.yaml:6:"},
      {"wrong type", "version: 1\npolicies:\n  - name: a\n    type: cost\n    max_cost_usd: lots\n", "bad.yaml:5:"},
      {"unknown policy type", "version: 1\npolicies:\n  - name: a\n    type: magic\n", "bad.yaml:4:"},
      {"no policies", "version: 1\npolicies: []\n", "bad.yaml:"},
      {"empty text", "", "bad.yaml"},
      {"not a mapping", "- 1\n- 2\n", "bad.yaml:1:"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    agentos_kernel* k = reinterpret_cast<agentos_kernel*>(0x5e11);
    int rc = agentos_kernel_from_yaml(c.text.data(), c.text.size(), "bad.yaml", &k);
    CHECK(rc == AGENTOS_PARSE);
    std::string msg = agentos_errmsg();
    INFO(msg);
    CHECK(msg.rfind(c.where, 0) == 0);
    CHECK(k == reinterpret_cast<agentos_kernel*>(0x5e11));
  }
}

TEST_CASE("YAML text need not be NUL-terminated, and NUL bytes in it are refused") {
  std::string text = kIssuePolicy;
  std::string padded = text + "garbage that is not part of the document: [";
  agentos_kernel* k = nullptr;
  REQUIRE(agentos_kernel_from_yaml(padded.data(), text.size(), nullptr, &k) == AGENTOS_OK);
  agentos_kernel_free(k);
  std::string with_nul = text;
  with_nul.insert(20, 1, '\0');
  k = nullptr;
  CHECK(agentos_kernel_from_yaml(with_nul.data(), with_nul.size(), nullptr, &k) != AGENTOS_OK);
  CHECK(k == nullptr);
  CHECK_FALSE(std::string(agentos_errmsg()).empty());
}
