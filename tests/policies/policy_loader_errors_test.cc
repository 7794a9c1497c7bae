// Specification of the YAML policy loader's errors: every mistake is refused
// with "<source>:<line>:<column>: <what>", nothing is ignored, and a failed
// load leaves the output untouched.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "policies/policy_loader.h"

using namespace agentos;

namespace {

// Loads `yaml`, expecting failure; returns the status.
Status LoadFails(std::string_view yaml) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromYaml(yaml, "p.yaml", &k);
  INFO(yaml);
  REQUIRE_FALSE(s.ok());
  CHECK(k == nullptr);
  CHECK(s.message().starts_with("p.yaml:"));
  return s;
}

// Expects a parse error whose message is exactly "p.yaml:<where>: <what...>".
void ExpectError(std::string_view yaml, std::string_view where, std::string_view what) {
  Status s = LoadFails(yaml);
  INFO(s.message());
  CHECK(s.code() == Status::Code::kParseError);
  const std::string prefix = "p.yaml:" + std::string(where) + ": ";
  CHECK(s.message().starts_with(prefix));
  CHECK(s.message().find(what) != std::string::npos);
}

// Expects the error to point at the first occurrence of `needle` in `yaml`.
void ExpectErrorAt(std::string_view yaml, std::string_view needle, std::string_view what) {
  const std::size_t at = yaml.find(needle);
  REQUIRE(at != std::string_view::npos);
  const std::size_t line_start = yaml.rfind('\n', at) == std::string_view::npos ? 0 : yaml.rfind('\n', at) + 1;
  const std::size_t line = 1 + std::count(yaml.begin(), yaml.begin() + at, '\n');
  ExpectError(yaml, std::to_string(line) + ":" + std::to_string(at - line_start + 1), what);
}

std::string OnePolicy(std::string_view body) { return "version: 1\npolicies:\n  - " + std::string(body) + "\n"; }

}  // namespace

TEST_CASE("loader errors: unknown keys are named, with the valid ones") {
  ExpectError("version: 1\npolicy: []\n", "2:1",
              "unknown key 'policy' in the policy file; valid keys: version, mode, allow_all, policies");
  ExpectError(R"(version: 1
policies:
  - name: sql_safety
    type: sql
    requre_where_on_update: true
)",
              "5:5",
              "unknown key 'requre_where_on_update' in sql policy 'sql_safety'; valid keys: name, type, "
              "agents, allow, deny, require_where_on_update, require_where_on_delete, severities, max_length");
  // A key valid for another type is still unknown here.
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_cost_usd: 1, max_calls: 3}"), "max_calls",
              "unknown key 'max_calls' in cost policy 'b'");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, severity: high}"), "severity", "unknown key 'severity' in sql policy 's'");
}

TEST_CASE("loader errors: wrong types point at the value") {
  // A quoted string is not a boolean, however it reads.
  ExpectError(R"(version: 1
policies:
  - name: sql_safety
    type: sql
    require_where_on_update: "yes"
)",
              "5:30", "'require_where_on_update' must be a boolean (true or false), got the quoted string \"yes\"");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, require_where_on_delete: \"true\"}"), "\"true",
              "must be a boolean (true or false), got the quoted string \"true\"");
  for (std::string_view yaml11 : {"yes", "no", "on", "off", "True", "FALSE", "y", "1"}) {
    ExpectErrorAt(OnePolicy("{name: s, type: sql, require_where_on_delete: " + std::string(yaml11) + "}"), std::string(yaml11) + "}",
                "must be a boolean (true or false), got '" + std::string(yaml11) + "'");
  }
  ExpectError(R"(version: 1
policies:
  - name: budget
    type: cost
    max_cost_usd: abc
)",
              "5:19", "'max_cost_usd' must be a finite number >= 0, got 'abc'");
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_cost_usd: \"5\"}"), "\"5",
              "'max_cost_usd' must be a finite number >= 0, got the quoted string \"5\"");
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_cost_usd: [5]}"), "[5]", "got a list");
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_tokens: 1.5}"), "1.5", "'max_tokens' must be an integer, got '1.5'");
  ExpectErrorAt(OnePolicy("{name: t, type: tool, allow: search}"), "search",
              "'allow' must be a list (e.g. [a, b]), got 'search'");
  ExpectErrorAt(OnePolicy("{name: t, type: tool, deny: [a, [b]]}"), "[b]", "'deny' must hold only strings, got a list");
  ExpectErrorAt(OnePolicy("{name: t, type: tool, deny: [a, '']}"), "''", "'deny' holds an empty string");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, severities: [DROP]}"), "[DROP]", "'severities' must be a mapping");
  ExpectError("version: 1\npolicies: {name: x}\n", "2:11", "'policies' must be a list of policies, got a mapping");
  ExpectError("version: 1\npolicies:\n  - just a string\n", "3:5", "a policy must be a mapping");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, max_length: !!int 5}"), "!!int", "explicit YAML tag");
}

TEST_CASE("loader errors: numbers must be finite, non-negative and in range") {
  for (std::string_view bad : {".nan", ".inf", "-.inf", "nan", "inf", "infinity", "1e999", "0x10", "+5", "1_000"}) {
    ExpectErrorAt(OnePolicy("{name: b, type: cost, max_cost_usd: " + std::string(bad) + "}"), std::string(bad) + "}",
                "'max_cost_usd' must be a finite number >= 0");
  }
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_cost_per_action_usd: -0.01}"), "-0.01",
              "'max_cost_per_action_usd' must be >= 0, got -0.01");
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_tokens: -1}"), "-1", "'max_tokens' must be between 0 and");
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_tokens: 99999999999999999999}"), "999", "out of range");
  ExpectErrorAt(OnePolicy("{name: t, type: tool, max_calls: 4294967296}"), "4294967296",
              "'max_calls' must be between 0 and 4294967295");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, max_length: 0}"), "0}", "'max_length' must be between 1 and");
}

TEST_CASE("loader errors: duplicate policy names and duplicate keys") {
  ExpectError(R"(version: 1
policies:
  - name: budget
    type: cost
    max_cost_usd: 1
  - name: budget
    type: cost
    max_tokens: 1
)",
              "6:11", "duplicate policy name 'budget' (first at p.yaml:3:11)");
  ExpectError(R"(version: 1
policies:
  - name: budget
    type: cost
    max_cost_usd: 1
    max_cost_usd: 2
)",
              "6:5", "duplicate key 'max_cost_usd' in a policy (first at p.yaml:5:5)");
  ExpectError("version: 1\nversion: 1\npolicies: []\n", "2:1", "duplicate key 'version' in the policy file");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, severities: {drop: low, DROP: high}}"), "DROP", "names 'DROP' twice");
}

TEST_CASE("loader errors: missing required keys") {
  ExpectError("policies:\n  - {name: a, type: tool, deny: [x]}\n", "1:1",
              "the policy file is missing required key 'version'");
  ExpectError("version: 1\n", "1:1", "missing required key 'policies'");
  ExpectError("version: 1\npolicies: []\n", "2:11", "'policies' is empty");
  ExpectError("version: 1\npolicies:\n  - type: sql\n", "3:5", "a policy is missing required key 'name'");
  ExpectError("version: 1\npolicies:\n  - name: x\n", "3:5", "policy 'x' is missing required key 'type'");
  ExpectError(OnePolicy("{name: c, type: content}"), "3:5", "content policy 'c' is missing required key 'deny'");
  ExpectErrorAt(OnePolicy("{name: n, type: sql, allow:}"), "allow", "'allow' must be a list (e.g. [a, b]), got no value (null)");
}

TEST_CASE("loader errors: bad enum values and names") {
  ExpectErrorAt(OnePolicy("{name: x, type: sqll}"), "sqll", "'type' must be one of sql, cost, tool, content, numeric; got 'sqll'");
  ExpectError("version: 1\nmode: strict\npolicies: []\n", "2:7", "'mode' must be enforce or audit; got 'strict'");
  ExpectErrorAt(OnePolicy("{name: b, type: cost, max_tokens: 1, severity: severe}"), "severe",
              "'severity' must be one of low, medium, high, critical; got 'severe'");
  ExpectErrorAt(OnePolicy("{name: c, type: content, deny: [x], kinds: [sql, email]}"), "email",
              "unknown action kind 'email' in 'kinds'");
  ExpectErrorAt(OnePolicy("{name: c, type: content, deny: [x], kinds: []}"), "[]", "'kinds' must not be an empty list");
  ExpectErrorAt(OnePolicy("{name: 'has space', type: tool, deny: [x]}"), "'has",
              "policy name must be 1 to 64 characters from A-Z a-z 0-9 _ . -; got the quoted string \"has space\"");
  ExpectErrorAt(OnePolicy("{name: " + std::string(65, 'n') + ", type: tool, deny: [x]}"), "nnn", "1 to 64 characters");
  ExpectErrorAt(OnePolicy("{name: kernel, type: tool, deny: [x]}"), "kernel", "'kernel' is reserved");
  ExpectErrorAt(OnePolicy("{name: t, type: tool, deny: [x], agents: []}"), "[]", "'agents' must not be an empty list");
  ExpectErrorAt(OnePolicy("{name: t, type: tool, allow: []}"), "[]", "'allow: []' is ambiguous");
}

TEST_CASE("loader errors: version must be the integer 1") {
  ExpectError("version: 2\npolicies: []\n", "1:10", "unsupported version 2; this agentos reads version 1");
  ExpectError("version: \"1\"\npolicies: []\n", "1:10", "'version' must be an integer, got the quoted string \"1\"");
  ExpectError("version: 1.0\npolicies: []\n", "1:10", "'version' must be an integer, got '1.0'");
  ExpectError("version: -1\npolicies: []\n", "1:10", "unsupported version -1");
}

TEST_CASE("loader errors: SQL statement kinds and severity keys are checked") {
  ExpectError(R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT, INSERT, UPDAT]
)",
              "5:29", "unknown SQL statement kind 'UPDAT' in 'allow'");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, deny: [DROP, unknown]}"), "unknown", "unknown SQL statement kind 'unknown'");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, severities: {sql.nope: low}}"), "sql.nope",
              "'severities' key 'sql.nope' is neither a SQL statement kind nor a SQL rule id");
  ExpectErrorAt(OnePolicy("{name: s, type: sql, severities: {DROP: urgent}}"), "urgent",
              "'DROP' must be one of low, medium, high, critical; got 'urgent'");
}

TEST_CASE("loader errors: errors from building a policy carry the policy's position") {
  Status s = LoadFails(R"(version: 1
policies:
  - name: tools
    type: tool
    deny: [x]
  - name: budget
    type: cost
    severity: low
)");
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message() ==
        "p.yaml:6:5: cost policy 'budget' sets no limit; set at least one of max_cost_usd, "
        "max_cost_per_action_usd, max_tokens");
  Status t = LoadFails(OnePolicy("{name: t, type: tool, severity: low}"));
  CHECK(t.message().starts_with("p.yaml:3:5: tool policy 't' has no rule"));
}

TEST_CASE("loader errors: RE2 patterns that do not compile are named at their position") {
  ExpectError(R"(version: 1
policies:
  - name: secrets
    type: content
    deny:
      - 'AKIA[0-9A-Z]{16}'
      - '(unclosed'
)",
              "7:9", "'deny': pattern '(unclosed' does not compile: missing )");
  ExpectErrorAt(OnePolicy("{name: c, type: content, deny: ['(a)\\1']}"), "'(a)", "does not compile");
  ExpectErrorAt(OnePolicy("{name: c, type: content, deny: []}"), "[]", "'deny' must not be an empty list");
}

TEST_CASE("loader errors: allow_all must be a deliberate, policy-free choice") {
  ExpectError("version: 1\nallow_all: true\npolicies:\n  - {name: t, type: tool, deny: [x]}\n", "3:1",
              "'allow_all: true' builds a kernel that allows everything");
  ExpectError("version: 1\nallow_all: yes\n", "2:12", "'allow_all' must be a boolean");
  ExpectError("version: 1\nallow_all: false\n", "1:1", "missing required key 'policies'");
}

TEST_CASE("loader errors: YAML syntax errors, empty text, wrong documents") {
  ExpectError("version: 1\npolicies: [\n", "3:1", "YAML syntax error: end of sequence flow not found");
  ExpectError("version: 1\npolicies:\n  - name: a\n   type: x\n", "4:4", "YAML syntax error: end of sequence not found");
  ExpectError("version: 1\n\tpolicies: []\n", "2:1", "YAML syntax error: illegal tab when looking for indentation");
  ExpectError("", "1:1", "the policy text is empty");
  ExpectError("# nothing but a comment\n\n", "1:1", "the policy text is empty");
  ExpectError("---\n...\n", "2:1", "the policy file must be a mapping (key: value lines), got no value (null)");
  ExpectError("- version: 1\n", "1:1", "the policy file must be a mapping (key: value lines), got a list");
  ExpectError("just text\n", "1:1", "must be a mapping (key: value lines), got 'just text'");
  ExpectError("version: 1\npolicies: []\n---\nversion: 1\n", "3:1",
              "a policy file holds exactly one YAML document; found more (remove the '---' separators)");
  ExpectError("version: 1\n---\n---\n---\n", "2:1", "exactly one YAML document");
  // yaml-cpp's own LoadAll would loop forever on these; they are syntax errors.
  ExpectError(", y\n", "1:1", "YAML syntax error: unexpected token");
  ExpectError("# comment\n, version: 1\n", "2:1", "YAML syntax error: unexpected token");
  ExpectError("version: 1\n, y\n", "2:1", "YAML syntax error");
}

TEST_CASE("loader errors: the text itself is bounded and must be UTF-8") {
  std::string nul = "version: 1\npolicies:\0 []\n";
  nul.assign("version: 1\npolicies:\0 []\n", 25);
  ExpectError(nul, "2:10", "NUL byte in policy text");
  ExpectError("version: 1\n# caf\xe9\n", "2:6", "policy text is not valid UTF-8 (byte 16)");

  std::string huge = "version: 1\n# " + std::string(1 << 20, 'x') + "\n";
  ExpectError(huge, "1:1", "bytes; the limit is 1048576 (1 MiB)");

  // yaml-cpp recurses per nesting level: deep flow nesting is refused unparsed.
  std::string deep = "version: 1\npolicies: " + std::string(100, '[') + std::string(100, ']') + "\n";
  ExpectError(deep, "2:43", "nested deeper than 32 levels");
  std::string deep_maps = "version: 1\npolicies: ";
  for (int i = 0; i < 40; ++i) deep_maps += "{a: ";
  ExpectError(deep_maps + "\n", "2:139", "nested deeper than 32 levels");  // the 33rd '{'

  // Block nesting is bounded by yaml-cpp's own recursion guard.
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  ExpectError("version: 1\npolicies:\n" + dashes + "x\n", "3:998", "YAML nested more than 499 levels deep");
  // Brackets inside quoted strings and comments are not nesting.
  std::string quoted = "version: 1\npolicies:\n  - {name: c, type: content, deny: ['" + std::string(40, '[') +
                       "x']}  # " + std::string(40, '{') + "\n";
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromYaml(quoted, "p.yaml", &k);
  // The pattern itself does not compile, which proves the text reached RE2.
  CHECK(s.message().find("does not compile") != std::string::npos);
}

TEST_CASE("loader errors: a failed load leaves the previous kernel in place") {
  std::shared_ptr<const KernelSpace> k = KernelSpace::AllowAll();
  const KernelSpace* before = k.get();
  CHECK_FALSE(LoadKernelFromYaml("version: 1\npolicies: nope\n", "p.yaml", &k).ok());
  CHECK(k.get() == before);
}

TEST_CASE("loader errors: self-referencing YAML aliases are refused, not followed forever") {
  ExpectErrorAt(OnePolicy("{name: t, type: tool, deny: &x [*x]}"), "&x", "'deny' must hold only strings, got a list");
}
