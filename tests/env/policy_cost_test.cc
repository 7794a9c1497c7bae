// Specification of the policy cost: the step's violation penalties as a
// positive cost beside the reward, and penalties_in_reward choosing whether
// the reward carries them too.
#include <catch2/catch.hpp>

#include "env/governed_environment.h"
#include "env_test_support.h"

using namespace agentos;
using namespace agentos::testing;

// Audit mode: violations are reported without blocking, so the task reward,
// the penalties and the cost all show in one step.
TEST_CASE("by default the penalties are in the reward and the same amount is the step's cost") {
  SingleEnv e({}, WordKernel(EnforcementMode::kAudit));
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT WIN LOW MEDIUM").ok());
  CHECK(e.r.penalty == -11.0);
  CHECK(e.r.policy_cost == 11.0);
  CHECK(e.r.reward == -10.0);  // 1 (WIN) - 11
}

TEST_CASE("penalties_in_reward = false keeps the task reward clean and reports the cost only") {
  EnvironmentConfig cfg;
  cfg.reward.penalties_in_reward = false;
  cfg.reward.step_penalty = -0.5;
  SingleEnv e(cfg, WordKernel(EnforcementMode::kAudit));
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT WIN LOW MEDIUM").ok());
  CHECK(e.r.policy_cost == 11.0);
  CHECK(e.r.reward == 0.5);  // 1 (WIN) - 0.5: a step penalty is no policy cost
  REQUIRE(e.Step("SELECT 1").ok());
  CHECK(e.r.policy_cost == 0.0);
  CHECK(e.r.reward == -0.5);
  REQUIRE(e.Step("SELECT HIGH").ok());
  CHECK(e.r.policy_cost == 50.0);
  CHECK(e.r.reward == -0.5);
}

TEST_CASE("a blocked action costs its penalty too, in either mode") {
  EnvironmentConfig cfg;
  cfg.reward.penalties_in_reward = false;
  SingleEnv e(cfg);  // enforce: every violation blocks
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT WIN HIGH").ok());
  CHECK_FALSE(e.r.executed);
  CHECK(e.r.policy_cost == 50.0);
  CHECK(e.r.reward == 0.0);  // the WIN never happened and the penalty is not in the reward
}
