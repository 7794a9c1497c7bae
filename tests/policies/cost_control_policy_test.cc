// Specification of CostControlPolicy: episode budget in USD (this action
// included), per-action cap, token budget; exactly at a limit is allowed.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "policies/cost_control_policy.h"
#include "policy_test_support.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::unique_ptr<Policy> Cost(const CostControlPolicyConfig& config) {
  std::unique_ptr<Policy> p;
  Status s = MakeCostControlPolicy("budget", config, &p);
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(p != nullptr);
  return p;
}

EpisodeState Spent(double usd, std::int64_t tokens = 0) {
  EpisodeState s;
  s.cost_usd = usd;
  s.tokens = tokens;
  return s;
}

}  // namespace

TEST_CASE("cost: an episode may spend exactly its budget, not a cent more") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 100;
  auto p = Cost(c);
  CHECK(p->type() == "cost");

  CHECK(Evaluate(*p, Spend(1), Spent(99)).allowed());
  CHECK(Evaluate(*p, Spend(100), Spent(0)).allowed());
  CHECK(Evaluate(*p, Spend(0), Spent(100)).allowed());

  Decision over = Evaluate(*p, Spend(1.5), Spent(99));
  REQUIRE_FALSE(over.allowed());
  REQUIRE(over.violations().size() == 1);
  const Violation& v = over.violations()[0];
  CHECK(v.policy() == "budget");
  CHECK(v.rule() == "cost.episode_budget");
  CHECK(v.severity() == Severity::kHigh);
  CHECK(v.blocked());
  CHECK(v.reason() == "episode cost 100.5 would exceed max_cost_usd 100 (spent 99, this action 1.5)");

  CHECK_FALSE(Evaluate(*p, Spend(0.01), Spent(100)).allowed());
  CHECK_FALSE(Evaluate(*p, Spend(100.01), Spent(0)).allowed());
}

TEST_CASE("cost: the episode budget counts every action kind") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 1;
  auto p = Cost(c);
  for (ActionKind kind : {ActionKind::kSql, ActionKind::kToolCall, ActionKind::kSpend, ActionKind::kMessage}) {
    Action a = OfKind(kind, "x");
    a.tool = "t";
    a.cost_usd = 2;
    CHECK(HasRule(Evaluate(*p, a), "cost.episode_budget"));
  }
}

TEST_CASE("cost: rounding in a running sum does not deny an episode that lands on its budget") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 1;
  auto p = Cost(c);
  // A hundred steps of 0.01: the double sum drifts above 1.0 but is exact in cents.
  EpisodeState st;
  for (int i = 0; i < 99; ++i) st.cost_usd += 0.01;
  CHECK(st.cost_usd + 0.01 > 1.0);  // the drift this test is about
  CHECK(Evaluate(*p, Spend(0.01), st).allowed());
  CHECK_FALSE(Evaluate(*p, Spend(0.02), st).allowed());
}

TEST_CASE("cost: a zero budget allows only free actions") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 0;
  auto p = Cost(c);
  CHECK(Evaluate(*p, Spend(0)).allowed());
  CHECK_FALSE(Evaluate(*p, Spend(std::numeric_limits<double>::denorm_min())).allowed());
}

TEST_CASE("cost: a corrupted (NaN) episode total is over budget") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 10;
  auto p = Cost(c);
  CHECK(HasRule(Evaluate(*p, Spend(1), Spent(std::nan(""))), "cost.episode_budget"));
}

TEST_CASE("cost: the per-action cap is compared exactly") {
  CostControlPolicyConfig c;
  c.max_cost_per_action_usd = 2.5;
  auto p = Cost(c);
  CHECK(Evaluate(*p, Spend(2.5), Spent(1000)).allowed());  // no episode limit set
  Decision d = Evaluate(*p, Spend(std::nextafter(2.5, 3.0)));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "cost.per_action");
  CHECK(d.violations()[0].reason().starts_with("action cost 2.5000000000000004 exceeds max_cost_per_action_usd 2.5"));
}

TEST_CASE("cost: tokens per episode, this action included") {
  CostControlPolicyConfig c;
  c.max_tokens = 1000;
  auto p = Cost(c);
  CHECK(Evaluate(*p, Spend(0, 1), Spent(0, 999)).allowed());
  Decision d = Evaluate(*p, Spend(0, 2), Spent(0, 999));
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "cost.token_budget");
  CHECK(d.violations()[0].reason() == "episode tokens 1001 would exceed max_tokens 1000 (used 999, this action 2)");
}

TEST_CASE("cost: a token sum that overflows int64 is over budget") {
  CostControlPolicyConfig c;
  c.max_tokens = std::numeric_limits<std::int64_t>::max();
  auto p = Cost(c);
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  CHECK(Evaluate(*p, Spend(0, 0), Spent(0, big)).allowed());
  Decision d = Evaluate(*p, Spend(0, 1), Spent(0, big));
  REQUIRE(HasRule(d, "cost.token_budget"));
  CHECK(d.violations()[0].reason().starts_with("episode tokens overflow"));
}

TEST_CASE("cost: every broken limit is reported, with the configured severity") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 10;
  c.max_cost_per_action_usd = 1;
  c.max_tokens = 5;
  c.severity = Severity::kCritical;
  auto p = Cost(c);
  Decision d = Evaluate(*p, Spend(20, 6));
  INFO(Reasons(d));
  CHECK(d.violations().size() == 3);
  CHECK(HasRule(d, "cost.episode_budget"));
  CHECK(HasRule(d, "cost.per_action"));
  CHECK(HasRule(d, "cost.token_budget"));
  for (const Violation& v : d.violations()) CHECK(v.severity() == Severity::kCritical);
}

TEST_CASE("cost: configs without a limit or with a bad limit are refused") {
  std::unique_ptr<Policy> p;
  CHECK(MakeCostControlPolicy("b", {}, &p).code() == Status::Code::kInvalidArgument);

  CostControlPolicyConfig neg;
  neg.max_cost_usd = -1;
  CHECK_FALSE(MakeCostControlPolicy("b", neg, &p).ok());
  CostControlPolicyConfig inf;
  inf.max_cost_per_action_usd = std::numeric_limits<double>::infinity();
  CHECK_FALSE(MakeCostControlPolicy("b", inf, &p).ok());
  CostControlPolicyConfig nan;
  nan.max_cost_usd = std::nan("");
  CHECK_FALSE(MakeCostControlPolicy("b", nan, &p).ok());
  CostControlPolicyConfig tokens;
  tokens.max_tokens = -5;
  Status s = MakeCostControlPolicy("b", tokens, &p);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("max_tokens") != std::string::npos);
  CHECK(p == nullptr);
  CHECK_FALSE(MakeCostControlPolicy("b", neg, nullptr).ok());
}

TEST_CASE("cost: through the kernel, the budget follows what the episode actually spent") {
  CostControlPolicyConfig c;
  c.max_cost_usd = 3;
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(Cost(c));
  std::shared_ptr<const KernelSpace> k;
  REQUIRE(KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &k).ok());
  EpisodeState st;
  Decision d;
  k->Check(Spend(1), st, d);
  CHECK(d.allowed());
  k->Check(Spend(1.5), st, d);
  CHECK(d.allowed());
  k->Check(Spend(1), st, d);  // 3.5 > 3: denied, nothing committed
  CHECK_FALSE(d.allowed());
  CHECK(st.cost_usd == 2.5);
  k->Check(Spend(0.5), st, d);  // exactly 3
  CHECK(d.allowed());
  CHECK(st.cost_usd == 3.0);
}
