// Specification of what the C API reports: decisions, violations, episode
// state, and batches that agree with single checks.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "agentos.h"
#include "tests/capi/capi_values.h"
#include "test_kernels.h"

using namespace agentos;
using namespace agentos::testing;

namespace {

std::vector<std::string> Rules(agentos_decision* d) {
  std::vector<std::string> out;
  for (int i = 0; i < ViolationCount(d); ++i) {
    agentos_violation v = Sized<agentos_violation>();
    REQUIRE(agentos_decision_violation(d, i, &v) == AGENTOS_OK);
    out.push_back(std::string(v.policy) + "/" + v.rule);
  }
  return out;
}

}  // namespace

TEST_CASE("a fresh decision reads as denied until something is checked into it") {
  DecisionHandle d;
  REQUIRE(d.h != nullptr);
  CHECK(Allowed(d.h) == 0);
  CHECK(MaxSeverity(d.h) == AGENTOS_SEVERITY_CRITICAL);
  REQUIRE(ViolationCount(d.h) == 1);
  agentos_violation v = Sized<agentos_violation>();
  REQUIRE(agentos_decision_violation(d.h, 0, &v) == AGENTOS_OK);
  CHECK(std::string(v.policy) == "kernel");
  CHECK(std::string(v.rule) == "kernel.unchecked");
  CHECK(v.blocked == 1);
}

TEST_CASE("an allowed action: no violations, severity NONE") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "SELECT 1");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 1);
  CHECK(ViolationCount(d.h) == 0);
  CHECK(TotalViolations(d.h) == 0);
  CHECK(MaxSeverity(d.h) == AGENTOS_SEVERITY_NONE);
  CHECK(std::string(agentos_errmsg()).empty());
}

TEST_CASE("a denied action: every violation with policy, rule, severity, blocked and reason") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_MESSAGE, "drop the secret", 11.0);
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 0);
  REQUIRE(ViolationCount(d.h) == 3);
  CHECK(TotalViolations(d.h) == 3);
  CHECK(MaxSeverity(d.h) == AGENTOS_SEVERITY_CRITICAL);
  // Fixed order: policies sorted by name.
  CHECK(Rules(d.h) == std::vector<std::string>{"budget/test.cost_cap", "words_critical/test.word",
                                               "words_medium/test.word"});
  agentos_violation v = Sized<agentos_violation>();
  REQUIRE(agentos_decision_violation(d.h, 1, &v) == AGENTOS_OK);
  CHECK(std::string(v.policy) == "words_critical");
  CHECK(v.severity == AGENTOS_SEVERITY_CRITICAL);
  CHECK(v.blocked == 1);
  CHECK(std::string(v.reason) == "payload contains 'drop'");
  CHECK(std::strlen(v.reason) == std::string("payload contains 'drop'").size());
  REQUIRE(agentos_decision_violation(d.h, 2, &v) == AGENTOS_OK);
  CHECK(v.severity == AGENTOS_SEVERITY_MEDIUM);
}

TEST_CASE("violation strings of different indexes are distinct and outlive each other") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_MESSAGE, "drop secret");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  agentos_violation v0 = Sized<agentos_violation>();
  agentos_violation v1 = Sized<agentos_violation>();
  REQUIRE(agentos_decision_violation(d.h, 0, &v0) == AGENTOS_OK);
  REQUIRE(agentos_decision_violation(d.h, 1, &v1) == AGENTOS_OK);
  CHECK(std::string(v0.policy) == "words_critical");
  CHECK(std::string(v1.policy) == "words_medium");
  CHECK(std::string(v0.reason) == "payload contains 'drop'");
  CHECK(std::string(v1.reason) == "payload contains 'secret'");
}

TEST_CASE("a decision stays readable after its kernel handle is freed") {
  DecisionHandle d;
  {
    KernelHandle k(StandardKernel());
    agentos_action a = CAction(AGENTOS_ACTION_SQL, "drop table");
    REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  }
  agentos_violation v = Sized<agentos_violation>();
  REQUIRE(agentos_decision_violation(d.h, 0, &v) == AGENTOS_OK);
  CHECK(std::string(v.policy) == "words_critical");
}

TEST_CASE("one decision buffer can be reused across kernels") {
  KernelHandle k1(StandardKernel());
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<WordPolicy>("other", "select", Severity::kLow));
  KernelHandle k2(BuildKernel(std::move(ps)));
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "select drop");
  REQUIRE(agentos_kernel_check(k1.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Rules(d.h) == std::vector<std::string>{"words_critical/test.word"});
  REQUIRE(agentos_kernel_check(k2.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Rules(d.h) == std::vector<std::string>{"other/test.word"});
  CHECK(MaxSeverity(d.h) == AGENTOS_SEVERITY_LOW);
}

TEST_CASE("more violations than a decision keeps are counted in total") {
  std::vector<std::unique_ptr<Policy>> ps;
  for (int i = 0; i < 11; ++i) ps.push_back(std::make_unique<WordPolicy>("p" + std::to_string(10 + i), "x", Severity::kLow));
  KernelHandle k(BuildKernel(std::move(ps)));
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "x");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(ViolationCount(d.h) == 8);
  CHECK(TotalViolations(d.h) == 11);
}

TEST_CASE("invalid action values are decisions, not call errors: the kernel denies them") {
  KernelHandle k(StandardKernel());
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SPEND, "", -1.0);
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 0);
  CHECK(Rules(d.h) == std::vector<std::string>{"kernel/kernel.invalid_action"});
  a.cost_usd = 0.0;
  a.tokens = -3;
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 0);
}

TEST_CASE("audit mode reports violations without blocking") {
  KernelHandle k(StandardKernel(EnforcementMode::kAudit));
  CHECK(IsAudit(k.h) == 1);
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "drop");
  REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 1);
  agentos_violation v = Sized<agentos_violation>();
  REQUIRE(agentos_decision_violation(d.h, 0, &v) == AGENTOS_OK);
  CHECK(v.blocked == 0);
  KernelHandle enforce(StandardKernel());
  CHECK(IsAudit(enforce.h) == 0);
}

TEST_CASE("kernel queries: policy count, names and types in fixed order") {
  KernelHandle k(StandardKernel());
  REQUIRE(PolicyCount(k.h) == 3);
  const char* name = nullptr;
  const char* type = nullptr;
  REQUIRE(agentos_kernel_policy(k.h, 0, &name, &type) == AGENTOS_OK);
  CHECK(std::string(name) == "budget");
  CHECK(std::string(type) == "cap");
  REQUIRE(agentos_kernel_policy(k.h, 2, &name, nullptr) == AGENTOS_OK);
  CHECK(std::string(name) == "words_medium");
  agentos_kernel* all = nullptr;
  REQUIRE(agentos_kernel_allow_all(&all) == AGENTOS_OK);
  CHECK(PolicyCount(all) == 0);
  DecisionHandle d;
  agentos_action a = CAction(AGENTOS_ACTION_SQL, "drop everything");
  REQUIRE(agentos_kernel_check(all, nullptr, &a, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 1);
  agentos_kernel_free(all);
}

TEST_CASE("episode state: allowed actions commit their cost and calls, denied ones do not") {
  KernelHandle k(StandardKernel());
  StateHandle s;
  DecisionHandle d;
  agentos_action call = CAction(AGENTOS_ACTION_TOOL_CALL, "{}", 4.0);
  call.tokens = 100;
  for (int i = 0; i < 2; ++i) {
    REQUIRE(agentos_kernel_check(k.h, s.h, &call, d.h) == AGENTOS_OK);
    CHECK(Allowed(d.h) == 1);
  }
  // 8 spent: a third 4-dollar call would reach 12 > 10.
  REQUIRE(agentos_kernel_check(k.h, s.h, &call, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 0);
  CHECK(Rules(d.h) == std::vector<std::string>{"budget/test.cost_cap"});
  double cost = -1;
  int64_t tokens = -1;
  uint32_t calls = 99, actions = 99;
  REQUIRE(agentos_state_get(s.h, &cost, &tokens, &calls, &actions) == AGENTOS_OK);
  CHECK(cost == 8.0);
  CHECK(tokens == 200);
  CHECK(calls == 2);
  CHECK(actions == 2);
  // Without a state each check is a fresh episode and commits nothing.
  REQUIRE(agentos_kernel_check(k.h, nullptr, &call, d.h) == AGENTOS_OK);
  CHECK(Allowed(d.h) == 1);
  REQUIRE(agentos_state_get(s.h, &cost, nullptr, nullptr, nullptr) == AGENTOS_OK);
  CHECK(cost == 8.0);
  REQUIRE(agentos_state_reset(s.h) == AGENTOS_OK);
  REQUIRE(agentos_state_get(s.h, &cost, &tokens, &calls, &actions) == AGENTOS_OK);
  CHECK(cost == 0.0);
  CHECK(tokens == 0);
  CHECK(calls == 0);
  CHECK(actions == 0);
}

TEST_CASE("a batch gives exactly what one check per payload gives") {
  KernelHandle k(StandardKernel());
  std::vector<std::string> payloads = {"SELECT 1", "", "drop table t", "secret", "drop secret", "x", "", "ok"};
  std::string bytes;
  std::vector<uint64_t> offsets{0};
  for (const auto& p : payloads) {
    bytes += p;
    offsets.push_back(bytes.size());
  }
  const size_t n = payloads.size();
  std::vector<uint8_t> allowed(n, 7);
  std::vector<int8_t> sev(n, 7);
  std::vector<uint32_t> viol(n, 7);
  REQUIRE(agentos_kernel_check_batch(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(), n,
                                     allowed.data(), sev.data(), viol.data()) == AGENTOS_OK);
  DecisionHandle d;
  for (size_t i = 0; i < n; ++i) {
    agentos_action a = CAction(AGENTOS_ACTION_SQL, payloads[i]);
    REQUIRE(agentos_kernel_check(k.h, nullptr, &a, d.h) == AGENTOS_OK);
    INFO("payload " << i << ": '" << payloads[i] << "'");
    CHECK(allowed[i] == Allowed(d.h));
    CHECK(sev[i] == MaxSeverity(d.h));
    CHECK(static_cast<int>(viol[i]) == TotalViolations(d.h));
  }
  CHECK(allowed == std::vector<uint8_t>{1, 1, 0, 0, 0, 1, 1, 1});
  CHECK(sev[4] == AGENTOS_SEVERITY_CRITICAL);
  CHECK(viol[4] == 2);

  // Optional outputs may be left out.
  std::vector<uint8_t> allowed2(n, 7);
  REQUIRE(agentos_kernel_check_batch(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets.data(), n,
                                     allowed2.data(), nullptr, nullptr) == AGENTOS_OK);
  CHECK(allowed2 == allowed);
}

TEST_CASE("a batch payload may start anywhere: offsets need not begin at zero") {
  KernelHandle k(StandardKernel());
  std::string bytes = "xxxxdropok";
  uint64_t offsets[] = {4, 8, 10};
  uint8_t allowed[2] = {9, 9};
  REQUIRE(agentos_kernel_check_batch(k.h, AGENTOS_ACTION_SQL, bytes.data(), bytes.size(), offsets, 2, allowed,
                                     nullptr, nullptr) == AGENTOS_OK);
  CHECK(allowed[0] == 0);
  CHECK(allowed[1] == 1);
}

TEST_CASE("an empty batch is fine and writes nothing") {
  KernelHandle k(StandardKernel());
  uint64_t offsets[] = {0};
  CHECK(agentos_kernel_check_batch(k.h, AGENTOS_ACTION_SQL, nullptr, 0, offsets, 0, nullptr, nullptr, nullptr) ==
        AGENTOS_OK);
}

TEST_CASE("each batch item is a fresh episode: costs do not carry over") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<CostCapPolicy>("budget", 0.0));
  KernelHandle k(BuildKernel(std::move(ps)));
  std::string bytes = "aaa";
  uint64_t offsets[] = {0, 1, 2, 3};
  uint8_t allowed[3];
  REQUIRE(agentos_kernel_check_batch(k.h, AGENTOS_ACTION_SPEND, bytes.data(), bytes.size(), offsets, 3, allowed,
                                     nullptr, nullptr) == AGENTOS_OK);
  CHECK(allowed[0] == 1);
  CHECK(allowed[2] == 1);
}

TEST_CASE("check_actions: whole actions in order, one episode with a state") {
  KernelHandle k(StandardKernel());
  std::vector<agentos_action> actions = {
      CAction(AGENTOS_ACTION_SPEND, "", 6.0), CAction(AGENTOS_ACTION_SPEND, "", 6.0),
      CAction(AGENTOS_ACTION_TOOL_CALL, "drop", 0.0), CAction(AGENTOS_ACTION_SPEND, "", 4.0)};
  std::string agent = "agent-7";
  actions[0].agent_id = agent.data();
  actions[0].agent_id_len = agent.size();
  uint8_t allowed[4];
  int8_t sev[4];
  uint32_t viol[4];
  StateHandle s;
  REQUIRE(agentos_kernel_check_actions(k.h, s.h, actions.data(), actions.size(), allowed, sev, viol) == AGENTOS_OK);
  // 6 allowed; 6 more would make 12 > 10; the tool call is denied; 4 makes exactly 10.
  CHECK(std::vector<uint8_t>(allowed, allowed + 4) == std::vector<uint8_t>{1, 0, 0, 1});
  CHECK(sev[1] == AGENTOS_SEVERITY_HIGH);
  CHECK(sev[2] == AGENTOS_SEVERITY_CRITICAL);
  CHECK(sev[3] == AGENTOS_SEVERITY_NONE);
  CHECK(viol[0] == 0);
  double cost = 0;
  uint32_t acts = 0;
  REQUIRE(agentos_state_get(s.h, &cost, nullptr, nullptr, &acts) == AGENTOS_OK);
  CHECK(cost == 10.0);
  CHECK(acts == 2);
  // Without a state every action is its own episode.
  REQUIRE(agentos_kernel_check_actions(k.h, nullptr, actions.data(), actions.size(), allowed, nullptr, nullptr) ==
          AGENTOS_OK);
  CHECK(std::vector<uint8_t>(allowed, allowed + 4) == std::vector<uint8_t>{1, 1, 0, 1});
}

TEST_CASE("version and result-code names") {
  CHECK(std::string(agentos_version()) == "0.1.0");
  CHECK(agentos_version_number() == 100);
  CHECK(std::string(agentos_errstr(AGENTOS_OK)) == "AGENTOS_OK");
  CHECK(std::string(agentos_errstr(AGENTOS_PARSE)) == "AGENTOS_PARSE");
  CHECK(std::string(agentos_errstr(AGENTOS_INTERNAL)) == "AGENTOS_INTERNAL");
  CHECK(std::string(agentos_errstr(12345)) == "AGENTOS_UNKNOWN");
}
