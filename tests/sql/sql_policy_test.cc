// Specification of SQLPolicy: configuration, allow/deny semantics, WHERE
// rules, severities and the reasons a reader sees.
#include <catch2/catch.hpp>

#include "tests/sql/sql_test_support.h"

using namespace agentos;
using namespace agentos::sqltest;

namespace {

Status Make(const SqlPolicyConfig& c) {
  std::unique_ptr<Policy> p;
  return MakeSqlPolicy("p", c, &p);
}

const Violation* Find(const Decision& d, std::string_view rule) {
  for (const auto& v : d.violations()) {
    if (v.rule() == rule) return &v;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("config names are validated: unknown kinds and rule ids are errors naming the entry") {
  CHECK(Make(ThreeRuleConfig()).ok());
  CHECK(Make(DefaultConfig()).ok());

  SqlPolicyConfig c;
  c.allow = {"SELECT", "SELEKT"};
  Status s = Make(c);
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(s.message().find("'SELEKT'") != std::string::npos);

  c = {};
  c.deny = {"BEGIN"};
  s = Make(c);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("TRANSACTION") != std::string::npos);

  c = {};
  c.deny = {"UNKNOWN"};  // unknown statements are always denied; not a config name
  CHECK_FALSE(Make(c).ok());

  c = {};
  c.severities["sql.no_such_rule"] = Severity::kLow;
  s = Make(c);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("'sql.no_such_rule'") != std::string::npos);

  c = {};
  c.severities["DROP"] = Severity::kLow;
  c.severities["drop"] = Severity::kLow;
  c.severities["sql.update_without_where"] = Severity::kCritical;
  CHECK(Make(c).ok());

  c = {};
  c.max_length = 0;
  CHECK_FALSE(Make(c).ok());

  std::unique_ptr<Policy> p;
  CHECK_FALSE(MakeSqlPolicy("p", DefaultConfig(), nullptr).ok());
  REQUIRE(MakeSqlPolicy("p", DefaultConfig(), &p).ok());
  CHECK(p->type() == "sql");
}

TEST_CASE("kind names and rule ids are exposed for the YAML loader") {
  CHECK(IsSqlStatementKindName("SELECT"));
  CHECK(IsSqlStatementKindName("delete"));
  CHECK(IsSqlStatementKindName("TRANSACTION"));
  CHECK_FALSE(IsSqlStatementKindName("UNKNOWN"));
  CHECK_FALSE(IsSqlStatementKindName(""));
  for (auto r : {kSqlRuleDeniedKind, kSqlRuleNotAllowed, kSqlRuleUpdateWithoutWhere,
                 kSqlRuleDeleteWithoutWhere, kSqlRuleUnknownStatement, kSqlRuleLexError,
                 kSqlRuleInvalidInput, kSqlRuleTooLong, kSqlRuleEmpty, kSqlRuleConditionalComment,
                 kSqlRuleAmbiguous, kSqlRuleTooComplex}) {
    CHECK(IsSqlRuleId(r));
  }
  CHECK_FALSE(IsSqlRuleId("sql.nope"));
  CHECK_FALSE(IsSqlRuleId("DROP"));
}

TEST_CASE("the three-rule policy means what the YAML says") {
  const KernelSpace& k = ThreeRule();
  CHECK(Check(k, "SELECT * FROM t").allowed());
  CHECK(Check(k, "INSERT INTO t VALUES (1)").allowed());
  CHECK(Check(k, "UPDATE t SET a = 1 WHERE id = 1").allowed());
  CHECK_FALSE(Check(k, "UPDATE t SET a = 1").allowed());
  CHECK_FALSE(Check(k, "DROP TABLE t").allowed());
  CHECK_FALSE(Check(k, "DELETE FROM t WHERE id = 1").allowed());
  CHECK_FALSE(Check(k, "TRUNCATE t").allowed());
  CHECK_FALSE(Check(k, "CREATE TABLE t (a int)").allowed());  // not in the allow list
}

TEST_CASE("SQLPolicy() with no arguments denies destructive kinds and WHERE-less writes") {
  const KernelSpace& k = Default();
  for (const char* ok : {"SELECT 1", "INSERT INTO t VALUES (1)", "UPDATE t SET a = 1 WHERE b",
                         "DELETE FROM t WHERE b", "CREATE TABLE t (a int)", "BEGIN", "EXPLAIN SELECT 1"}) {
    INFO(ok);
    CHECK(Check(k, ok).allowed());
  }
  for (const auto& kind : DefaultSqlDenyList()) CHECK(IsSqlStatementKindName(kind));
  CHECK(DefaultSqlDenyList().size() == 12);
  CHECK_FALSE(Check(k, "DROP TABLE t").allowed());
  CHECK_FALSE(Check(k, "UPDATE t SET a = 1").allowed());
  CHECK_FALSE(Check(k, "DELETE FROM t").allowed());
}

TEST_CASE("the default deny list yields to an explicit deny list and to the allow list") {
  SqlPolicyConfig c;
  c.deny = {"DELETE"};
  auto k = KernelFor(c);
  CHECK(Check(*k, "DROP TABLE t").allowed());  // the caller's own deny list replaces the default
  CHECK_FALSE(Check(*k, "DELETE FROM t WHERE a").allowed());

  c = {};
  c.allow = {"SELECT", "COPY"};
  k = KernelFor(c);
  CHECK(Check(*k, "COPY t TO STDOUT").allowed());  // allowed by name, so not default-denied
  CHECK_FALSE(Check(*k, "DROP TABLE t").allowed());

  c = {};
  c.use_default_deny = false;
  k = KernelFor(c);
  CHECK(Check(*k, "DROP TABLE t").allowed());
  CHECK_FALSE(Check(*k, "DR/**/OP TABLE t").allowed());  // unknown is denied regardless
}

TEST_CASE("deny overrides allow") {
  SqlPolicyConfig c;
  c.allow = {"SELECT", "DELETE"};
  c.deny = {"DELETE"};
  auto k = KernelFor(c);
  Decision d = Check(*k, "DELETE FROM t WHERE a");
  CHECK_FALSE(d.allowed());
  CHECK(HasRule(d, kSqlRuleDeniedKind));
  CHECK_FALSE(HasRule(d, kSqlRuleNotAllowed));
}

TEST_CASE("WHERE requirements can be switched off") {
  SqlPolicyConfig c;
  c.require_where_on_update = false;
  c.require_where_on_delete = false;
  auto k = KernelFor(c);
  CHECK(Check(*k, "UPDATE t SET a = 1").allowed());
  CHECK(Check(*k, "DELETE FROM t").allowed());
}

TEST_CASE("only SQL actions are judged") {
  Action a = SqlAction("DROP TABLE t");
  for (ActionKind kind : {ActionKind::kToolCall, ActionKind::kSpend, ActionKind::kMessage}) {
    a.kind = kind;
    a.tool = "shell";
    CHECK(ThreeRule().Check(a).allowed());
  }
}

TEST_CASE("reasons say which statement, which kind and why") {
  Decision d = Check(ThreeRule(), "SELECT 1; DROP TABLE t");
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].reason() == "statement 2 is DROP, which is denied");
  CHECK(d.violations()[0].policy() == "sql_safety");
  CHECK(d.violations()[0].severity() == Severity::kCritical);
  CHECK(d.violations()[0].blocked());

  d = Check(ThreeRule(), "WITH d AS (DELETE FROM t WHERE a RETURNING 1) SELECT 1");
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].reason() == "statement 1 (SELECT) also runs DELETE, which is denied");

  d = Check(ThreeRule(), "UPDATE t SET a = 1");
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == kSqlRuleUpdateWithoutWhere);
  CHECK(d.violations()[0].reason() == "statement 1: UPDATE without a WHERE clause at statement level");

  d = Check(ThreeRule(), "EXPLAIN SELECT 1");
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].reason() == "statement 1 is EXPLAIN, which is not in the allow list");

  d = Check(ThreeRule(), "SELECT 'abc");
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == kSqlRuleLexError);
  CHECK(d.violations()[0].reason() == "unterminated string literal at byte 7");

  d = Check(ThreeRule(), "FROBNICATE t");
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].reason() == "statement 1 is of no known kind: 'FROBNICATE t'");
}

TEST_CASE("every forbidden kind of every statement is reported") {
  Decision d = Check(ThreeRule(), "DROP TABLE a; EXPLAIN ANALYZE DELETE FROM b; UPDATE c SET x = 1");
  CHECK(d.total_violations() == 5);  // DROP; EXPLAIN, DELETE, delete-without-where; update-without-where
  CHECK(Find(d, kSqlRuleDeniedKind) != nullptr);
  CHECK(Find(d, kSqlRuleNotAllowed) != nullptr);
  CHECK(Find(d, kSqlRuleUpdateWithoutWhere) != nullptr);
  CHECK(Find(d, kSqlRuleDeleteWithoutWhere) != nullptr);
}

TEST_CASE("severities: kind defaults, rule defaults, and configured overrides") {
  SECTION("defaults") {
    const KernelSpace& k = ThreeRule();
    CHECK(Check(k, "DROP TABLE t").violations()[0].severity() == Severity::kCritical);
    CHECK(Check(k, "TRUNCATE t").violations()[0].severity() == Severity::kCritical);
    CHECK(Check(k, "DELETE FROM t WHERE a").violations()[0].severity() == Severity::kHigh);
    CHECK(Check(k, "EXPLAIN SELECT 1").violations()[0].severity() == Severity::kMedium);  // at least medium
    CHECK(Check(k, "ALTER TABLE t ADD b int").violations()[0].severity() == Severity::kCritical);
    CHECK(Check(k, "UPDATE t SET a = 1").violations()[0].severity() == Severity::kHigh);
    CHECK(Check(k, "FOO").violations()[0].severity() == Severity::kHigh);
    CHECK(Check(k, "SELECT 'x").violations()[0].severity() == Severity::kHigh);
    CHECK(Check(k, "").violations()[0].severity() == Severity::kMedium);
  }
  SECTION("a kind's configured severity wins, then the rule's") {
    SqlPolicyConfig c = ThreeRuleConfig();
    c.severities["drop"] = Severity::kLow;
    c.severities["sql.denied_kind"] = Severity::kMedium;
    c.severities["sql.update_without_where"] = Severity::kCritical;
    c.severities["sql.unknown_statement"] = Severity::kLow;
    auto k = KernelFor(c);
    CHECK(Check(*k, "DROP TABLE t").violations()[0].severity() == Severity::kLow);
    CHECK(Check(*k, "TRUNCATE t").violations()[0].severity() == Severity::kMedium);
    CHECK(Check(*k, "UPDATE t SET a = 1").violations()[0].severity() == Severity::kCritical);
    CHECK(Check(*k, "FOO").violations()[0].severity() == Severity::kLow);
  }
}

TEST_CASE("max_length bounds the text read") {
  SqlPolicyConfig c;
  c.max_length = 16;
  auto k = KernelFor(c);
  CHECK(Check(*k, "SELECT 1").allowed());
  CHECK(Check(*k, std::string(16, ' ') + "").violations()[0].rule() == kSqlRuleEmpty);
  Decision d = Check(*k, "SELECT * FROM table_t");
  CHECK(HasRule(d, kSqlRuleTooLong));
  CHECK(d.violations()[0].reason() == "SQL text is 21 bytes, more than the limit of 16");
}
