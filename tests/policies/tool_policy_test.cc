// Specification of ToolPolicy: deny globs override allow globs, an allow list
// denies everything it does not match, invalid names are denied, and the
// per-episode call cap counts this call.
#include <catch2/catch.hpp>

#include "policies/tool_policy.h"
#include "policy_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::unique_ptr<Policy> Tool(const ToolPolicyConfig& config) {
  std::unique_ptr<Policy> p;
  Status s = MakeToolPolicy("tools", config, &p);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return p;
}

EpisodeState Calls(std::uint32_t n) {
  EpisodeState s;
  s.tool_calls = n;
  return s;
}

}  // namespace

TEST_CASE("tool: allow globs admit matching tools and deny the rest") {
  ToolPolicyConfig c;
  c.allow = {"search", "fs.read*", "http.?et"};
  auto p = Tool(c);
  CHECK(p->type() == "tool");
  CHECK(Evaluate(*p, ToolCall("search")).allowed());
  CHECK(Evaluate(*p, ToolCall("fs.read")).allowed());
  CHECK(Evaluate(*p, ToolCall("fs.read_dir")).allowed());
  CHECK(Evaluate(*p, ToolCall("http.get")).allowed());
  CHECK(Evaluate(*p, ToolCall("http.set")).allowed());

  Decision d = Evaluate(*p, ToolCall("fs.write"));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "tool.not_allowed");
  CHECK(d.violations()[0].reason() == "tool 'fs.write' matches no allow glob");
  CHECK_FALSE(Evaluate(*p, ToolCall("Search")).allowed());  // globs are case-sensitive
  CHECK_FALSE(Evaluate(*p, ToolCall("search ")).allowed());
  CHECK_FALSE(Evaluate(*p, ToolCall("http.post")).allowed());
}

TEST_CASE("tool: deny overrides allow and is reported once") {
  ToolPolicyConfig c;
  c.allow = {"*"};
  c.deny = {"shell*", "*.delete", "shell.exec"};
  auto p = Tool(c);
  CHECK(Evaluate(*p, ToolCall("search")).allowed());
  Decision d = Evaluate(*p, ToolCall("shell.exec"));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "tool.denied");
  CHECK(d.violations()[0].reason() == "tool 'shell.exec' matches deny glob 'shell*'");
  CHECK(HasRule(Evaluate(*p, ToolCall("db.delete")), "tool.denied"));
}

TEST_CASE("tool: with only a deny list, everything else is allowed") {
  ToolPolicyConfig c;
  c.deny = {"payments.*"};
  auto p = Tool(c);
  CHECK(Evaluate(*p, ToolCall("search")).allowed());
  CHECK_FALSE(Evaluate(*p, ToolCall("payments.refund")).allowed());
}

TEST_CASE("tool: an empty or control-character tool name is invalid, whatever the globs") {
  ToolPolicyConfig c;
  c.allow = {"*"};
  auto p = Tool(c);
  Decision empty = Evaluate(*p, ToolCall(""));
  REQUIRE(empty.violations().size() == 1);
  CHECK(empty.violations()[0].rule() == "tool.invalid_name");
  CHECK(empty.violations()[0].reason() == "tool name is empty");

  using namespace std::string_view_literals;
  Decision nul = Evaluate(*p, ToolCall("search\0rm"sv));
  REQUIRE(nul.violations().size() == 1);
  CHECK(nul.violations()[0].rule() == "tool.invalid_name");
  CHECK(nul.violations()[0].reason() == "tool name 'search\\x00rm' contains a control character");
  CHECK(HasRule(Evaluate(*p, ToolCall("a\nb")), "tool.invalid_name"));
}

TEST_CASE("tool: max_calls counts this call; exactly at the cap is allowed") {
  ToolPolicyConfig c;
  c.max_calls = 3;
  auto p = Tool(c);
  CHECK(Evaluate(*p, ToolCall("x"), Calls(0)).allowed());
  CHECK(Evaluate(*p, ToolCall("x"), Calls(2)).allowed());
  Decision d = Evaluate(*p, ToolCall("x"), Calls(3));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "tool.call_limit");
  CHECK(d.violations()[0].reason() == "tool call 4 would exceed max_calls 3");
}

TEST_CASE("tool: max_calls 0 forbids every call, and a saturated counter cannot wrap") {
  ToolPolicyConfig c;
  c.max_calls = 0;
  auto p = Tool(c);
  CHECK(HasRule(Evaluate(*p, ToolCall("x")), "tool.call_limit"));

  ToolPolicyConfig big;
  big.max_calls = std::numeric_limits<std::uint32_t>::max();
  auto q = Tool(big);
  CHECK(Evaluate(*q, ToolCall("x"), Calls(std::numeric_limits<std::uint32_t>::max() - 1)).allowed());
  CHECK(HasRule(Evaluate(*q, ToolCall("x"), Calls(std::numeric_limits<std::uint32_t>::max())),
                "tool.call_limit"));
}

TEST_CASE("tool: only tool_call actions are judged") {
  ToolPolicyConfig c;
  c.deny = {"*"};
  c.max_calls = 0;
  auto p = Tool(c);
  CHECK(Evaluate(*p, Sql("SELECT 1")).allowed());
  CHECK(Evaluate(*p, Spend(1)).allowed());
  CHECK(Evaluate(*p, OfKind(ActionKind::kMessage, "hi")).allowed());
  Action named = OfKind(ActionKind::kMessage, "hi");
  named.tool = "shell";
  CHECK(Evaluate(*p, named).allowed());
  Decision d = Evaluate(*p, ToolCall("anything"));
  CHECK(d.violations().size() == 2);  // denied by name and over the cap
}

TEST_CASE("tool: the severity is the configured one") {
  ToolPolicyConfig c;
  c.deny = {"x"};
  c.severity = Severity::kLow;
  auto p = Tool(c);
  Decision d = Evaluate(*p, ToolCall("x"));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].severity() == Severity::kLow);
}

TEST_CASE("tool: configs without a rule or with an empty glob are refused") {
  std::unique_ptr<Policy> p;
  CHECK(MakeToolPolicy("t", {}, &p).code() == Status::Code::kInvalidArgument);
  ToolPolicyConfig empty_glob;
  empty_glob.allow = {"a", ""};
  Status s = MakeToolPolicy("t", empty_glob, &p);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("empty glob") != std::string::npos);
  CHECK(p == nullptr);
}

TEST_CASE("tool: through the kernel, only executed calls count toward max_calls") {
  ToolPolicyConfig c;
  c.allow = {"search"};
  c.max_calls = 2;
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(Tool(c));
  std::shared_ptr<const KernelSpace> k;
  REQUIRE(KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &k).ok());
  EpisodeState st;
  Decision d;
  k->Check(ToolCall("search"), st, d);
  CHECK(d.allowed());
  k->Check(ToolCall("shell"), st, d);  // denied: not counted
  CHECK_FALSE(d.allowed());
  k->Check(ToolCall("search"), st, d);
  CHECK(d.allowed());
  k->Check(ToolCall("search"), st, d);
  CHECK_FALSE(d.allowed());
  CHECK(HasRule(d, "tool.call_limit"));
  CHECK(st.tool_calls == 2);
}
