// Specification of the YAML policy loader on valid files: what each key
// means once loaded, checked through the kernel it builds.
#include <catch2/catch.hpp>

#include "policies/policy_loader.h"
#include "policy_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::shared_ptr<const KernelSpace> Load(std::string_view yaml) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromYaml(yaml, "test.yaml", &k);
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(k != nullptr);
  return k;
}

bool Allowed(const KernelSpace& k, const Action& a) { return k.Check(a).allowed(); }

}  // namespace

// examples/policies/sql_safety.yaml, verbatim: it must load and mean what it says.
constexpr std::string_view kIssueExample = R"(version: 1
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

TEST_CASE("loader: the three-rule example loads and means what it says") {
  auto k = Load(kIssueExample);
  CHECK(k->mode() == EnforcementMode::kEnforce);
  CHECK_FALSE(k->allow_all());
  REQUIRE(k->policies().size() == 2);
  CHECK(k->policies()[0]->name() == "budget");
  CHECK(k->policies()[0]->type() == "cost");
  CHECK(k->policies()[1]->name() == "sql_safety");
  CHECK(k->policies()[1]->type() == "sql");

  CHECK(Allowed(*k, Sql("SELECT * FROM users WHERE id = 1")));
  CHECK(Allowed(*k, Sql("INSERT INTO t VALUES (1)")));
  CHECK(Allowed(*k, Sql("UPDATE t SET a = 1 WHERE id = 2")));

  Decision drop = k->Check(Sql("DROP TABLE users"));
  CHECK_FALSE(drop.allowed());
  CHECK(HasRule(drop, "sql.denied_kind"));
  CHECK(drop.violations()[0].policy() == "sql_safety");
  CHECK(HasRule(k->Check(Sql("DELETE FROM users WHERE id = 1")), "sql.denied_kind"));
  CHECK(HasRule(k->Check(Sql("TRUNCATE users")), "sql.denied_kind"));
  CHECK(HasRule(k->Check(Sql("UPDATE users SET admin = true")), "sql.update_without_where"));
  CHECK_FALSE(Allowed(*k, Sql("CREATE TABLE x (a int)")));  // not on the allow list

  // Budget: 100 USD per episode, this action included.
  EpisodeState st;
  Decision d;
  Action q = Sql("SELECT 1");
  q.cost_usd = 60;
  k->Check(q, st, d);
  CHECK(d.allowed());
  q.cost_usd = 40;
  k->Check(q, st, d);
  CHECK(d.allowed());  // exactly 100
  q.cost_usd = 0.5;
  k->Check(q, st, d);
  CHECK_FALSE(d.allowed());
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].policy() == "budget");
  CHECK(d.violations()[0].rule() == "cost.episode_budget");
  CHECK(d.violations()[0].reason() == "episode cost 100.5 would exceed max_cost_usd 100 (spent 100, this action 0.5)");
  CHECK(st.cost_usd == 100);
}

TEST_CASE("loader: statement kinds are case-insensitive and severities apply") {
  auto k = Load(R"(version: 1
policies:
  - name: sql
    type: sql
    allow: [select, Update]
    deny: [drop]
    require_where_on_update: false
    require_where_on_delete: true
    severities: {DROP: low, sql.not_allowed: critical, insert: medium}
    max_length: 64
)");
  CHECK(Allowed(*k, Sql("UPDATE t SET a = 1")));  // WHERE not required
  Decision drop = k->Check(Sql("DROP TABLE t"));
  REQUIRE(HasRule(drop, "sql.denied_kind"));
  CHECK(drop.violations()[0].severity() == Severity::kLow);
  Decision ins = k->Check(Sql("INSERT INTO t VALUES (1)"));
  REQUIRE(HasRule(ins, "sql.not_allowed"));
  CHECK(ins.violations()[0].severity() == Severity::kMedium);  // the kind's severity wins over the rule's
  Decision create = k->Check(Sql("CREATE TABLE x (a int)"));
  REQUIRE(HasRule(create, "sql.not_allowed"));
  CHECK(create.violations()[0].severity() == Severity::kCritical);
  CHECK(HasRule(k->Check(Sql("SELECT '" + std::string(80, 'x') + "'")), "sql.too_long"));
}

TEST_CASE("loader: without a deny key the default destructive list applies; deny: [] turns it off") {
  auto defaults = Load(R"(version: 1
policies:
  - {name: sql, type: sql}
)");
  CHECK(Allowed(*defaults, Sql("SELECT 1")));
  CHECK(HasRule(defaults->Check(Sql("DROP TABLE t")), "sql.denied_kind"));
  CHECK(HasRule(defaults->Check(Sql("DELETE FROM t")), "sql.delete_without_where"));

  auto none = Load(R"(version: 1
policies:
  - {name: sql, type: sql, deny: []}
)");
  CHECK(Allowed(*none, Sql("DROP TABLE t")));
  CHECK(HasRule(none->Check(Sql("DELETE FROM t")), "sql.delete_without_where"));
}

TEST_CASE("loader: cost, tool and content policies with every key") {
  auto k = Load(R"(version: 1
mode: enforce
allow_all: false
policies:
  - name: spend
    type: cost
    max_cost_usd: 2.5
    max_cost_per_action_usd: 1e0
    max_tokens: 1000
    severity: critical
  - name: tools
    type: tool
    allow: ["search*", fetch]
    deny: [search.internal]
    max_calls: 2
    severity: medium
  - name: secrets
    type: content
    deny: ['AKIA[0-9A-Z]{16}', "-----BEGIN [A-Z ]*PRIVATE KEY-----"]
    kinds: [message, tool_call]
    severity: low
)");
  REQUIRE(k->policies().size() == 3);

  Decision big = k->Check(Spend(1.5, 10));
  REQUIRE(big.violations().size() == 1);
  CHECK(big.violations()[0].rule() == "cost.per_action");
  CHECK(big.violations()[0].severity() == Severity::kCritical);
  CHECK(HasRule(k->Check(Spend(0, 1001)), "cost.token_budget"));

  CHECK(Allowed(*k, ToolCall("search.web")));
  CHECK(Allowed(*k, ToolCall("fetch")));
  Decision internal = k->Check(ToolCall("search.internal"));
  REQUIRE(HasRule(internal, "tool.denied"));
  CHECK(internal.violations()[0].severity() == Severity::kMedium);
  CHECK(HasRule(k->Check(ToolCall("shell")), "tool.not_allowed"));

  Decision secret = k->Check(OfKind(ActionKind::kMessage, "AKIAABCDEFGHIJKLMNOP"));
  REQUIRE(HasRule(secret, "content.denied_pattern"));
  CHECK(secret.violations()[0].severity() == Severity::kLow);
  CHECK(HasRule(k->Check(ToolCall("fetch", "-----BEGIN RSA PRIVATE KEY-----")), "content.denied_pattern"));
  Action spend_with_key = Spend(0);
  spend_with_key.payload = "AKIAABCDEFGHIJKLMNOP";
  CHECK(Allowed(*k, spend_with_key));  // spend is not among kinds
}

TEST_CASE("loader: agents scopes a policy to matching agent ids") {
  auto k = Load(R"(version: 1
policies:
  - name: research_tools
    type: tool
    agents: ["research*", "analyst-?"]
    allow: [search]
  - name: everyone
    type: content
    deny: [forbidden]
)");
  Action a = ToolCall("shell");
  a.agent_id = "research-7";
  CHECK_FALSE(Allowed(*k, a));
  a.agent_id = "analyst-1";
  CHECK_FALSE(Allowed(*k, a));
  a.agent_id = "analyst-12";
  CHECK(Allowed(*k, a));
  a.agent_id = "ops";
  CHECK(Allowed(*k, a));
  a.payload = "forbidden";
  CHECK_FALSE(Allowed(*k, a));  // the unscoped policy applies to every agent
}

TEST_CASE("loader: audit mode reports violations without blocking") {
  auto k = Load(R"(version: 1
mode: audit
policies:
  - name: tools
    type: tool
    deny: ["*"]
)");
  CHECK(k->mode() == EnforcementMode::kAudit);
  Decision d = k->Check(ToolCall("anything"));
  CHECK(d.allowed());
  REQUIRE(d.violations().size() == 1);
  CHECK_FALSE(d.violations()[0].blocked());
}

TEST_CASE("loader: allow_all builds an allow-all kernel, only when asked") {
  auto k = Load("version: 1\nallow_all: true\n");
  CHECK(k->allow_all());
  CHECK(Allowed(*k, Sql("DROP TABLE everything")));
  auto k2 = Load("version: 1\nallow_all: true\npolicies: []\n");
  CHECK(k2->allow_all());
}

TEST_CASE("loader: YAML conveniences that keep their meaning are accepted") {
  // Flow style, quoted keys, comments, anchors shared between policies, CRLF
  // line ends, a UTF-8 byte-order mark, an explicit document start and end.
  auto k = Load("\xef\xbb\xbf# policies\r\n---\r\n\"version\": 1\r\npolicies:\r\n"
                "  - {name: a, type: tool, agents: &team [\"bot-*\"], deny: [shell]}  # inline\r\n"
                "  - {name: b, type: content, agents: *team, deny: ['rm -rf']}\r\n...\r\n");
  REQUIRE(k->policies().size() == 2);
  CHECK(k->policies()[0]->agent_scope() == std::vector<std::string>{"bot-*"});
  CHECK(k->policies()[1]->agent_scope() == std::vector<std::string>{"bot-*"});
  Action a = ToolCall("shell");
  a.agent_id = "bot-1";
  CHECK_FALSE(Allowed(*k, a));
}

TEST_CASE("loader: numbers accept integer and decimal spellings") {
  for (std::string_view usd : {"100", "100.0", "1e2", "0.5", "0", "-0", "12.", ".5"}) {
    std::string yaml = "version: 1\npolicies:\n  - {name: b, type: cost, max_cost_usd: " + std::string(usd) + "}\n";
    std::shared_ptr<const KernelSpace> k;
    Status s = LoadKernelFromYaml(yaml, "n.yaml", &k);
    INFO(usd << " -> " << s.ToString());
    CHECK(s.ok());
  }
}

TEST_CASE("loader: an empty source name still yields positioned errors") {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromYaml("version: 2\npolicies: []\n", "", &k);
  CHECK(s.message().starts_with("<yaml>:1:10: "));
  CHECK(LoadKernelFromYaml(kIssueExample, "x", nullptr).code() == Status::Code::kInvalidArgument);
}
