// Specification of the policy cost through the C API: the penalties_in_reward
// config field and the agentos_venv_policy_costs buffer.
#include <catch2/catch.hpp>

#include <string>

#include "agentos.h"
#include "capi_internal.h"
#include "env_test_support.h"

using namespace agentos::testing;

namespace {

constexpr const char kNoop[] = R"({"type":"noop"})";

int StepOne(agentos_venv* v, const std::string& action) {
  const uint64_t offsets[] = {0, action.size()};
  return agentos_venv_step(v, action.data(), action.size(), offsets, 1, nullptr);
}

}  // namespace

TEST_CASE("C API: penalties_in_reward defaults to 1, must be 0 or 1, and routes the penalty") {
  agentos_kernel* k = agentos::capi::NewKernelHandle(WordKernel(agentos::EnforcementMode::kAudit));
  agentos_env_config c;
  REQUIRE(agentos_env_config_init(&c) == AGENTOS_OK);
  CHECK(c.penalties_in_reward == 1);
  c.penalties_in_reward = 2;
  agentos_venv* v = nullptr;
  CHECK(agentos_venv_create(k, &c, kNoop, sizeof kNoop - 1, &v) == AGENTOS_INVALID);
  CHECK(std::string(agentos_errmsg()).find("penalties_in_reward") != std::string::npos);
  CHECK(v == nullptr);
  CHECK(agentos_venv_policy_costs(nullptr) == nullptr);

  for (int32_t in_reward : {1, 0}) {
    c.penalties_in_reward = in_reward;
    REQUIRE(agentos_venv_create(k, &c, kNoop, sizeof kNoop - 1, &v) == AGENTOS_OK);
    REQUIRE(agentos_venv_reset(v, 1, 7, nullptr) == AGENTOS_OK);
    const double* cost = agentos_venv_policy_costs(v);
    REQUIRE(cost != nullptr);
    REQUIRE(StepOne(v, "SELECT HIGH") == AGENTOS_OK);
    CHECK(cost[0] == 50.0);
    CHECK(agentos_venv_rewards(v)[0] == (in_reward ? -50.0 : 0.0));
    REQUIRE(StepOne(v, "SELECT 1") == AGENTOS_OK);
    CHECK(cost[0] == 0.0);
    agentos_venv_free(v);
    v = nullptr;
  }
  agentos_kernel_free(k);
}
