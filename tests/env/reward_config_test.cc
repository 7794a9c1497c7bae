// Specification of RewardConfig: one sign convention (penalties <= 0,
// added), one severity table, validation, clamp.
#include <catch2/catch.hpp>

#include <limits>

#include "env/reward_config.h"

using namespace agentos;

TEST_CASE("the default reward table is -100/-50/-10/-1, no clean bonus, no step penalty") {
  RewardConfig c;
  CHECK(c.Validate().ok());
  CHECK(c.Penalty(Severity::kCritical) == -100.0);
  CHECK(c.Penalty(Severity::kHigh) == -50.0);
  CHECK(c.Penalty(Severity::kMedium) == -10.0);
  CHECK(c.Penalty(Severity::kLow) == -1.0);
  CHECK(c.clean_bonus == 0.0);
  CHECK(c.step_penalty == 0.0);
  CHECK(c.min_reward == -1000.0);
  CHECK(c.max_reward == 1000.0);
}

TEST_CASE("invalid reward configs are refused, naming the field") {
  struct Case {
    const char* field;
    void (*mutate)(RewardConfig&);
  };
  Case cases[] = {
      {"critical", [](RewardConfig& c) { c.critical = std::numeric_limits<double>::quiet_NaN(); }},
      {"high", [](RewardConfig& c) { c.high = 5.0; }},  // a positive penalty: a sign error that would reward violations
      {"low", [](RewardConfig& c) { c.low = 1.0; }},
      {"step_penalty", [](RewardConfig& c) { c.step_penalty = 0.1; }},
      {"clean_bonus", [](RewardConfig& c) { c.clean_bonus = -1.0; }},
      {"max_reward", [](RewardConfig& c) { c.max_reward = std::numeric_limits<double>::infinity(); }},
      {"min_reward", [](RewardConfig& c) { c.min_reward = 10.0; c.max_reward = 0.0; }},
      {"critical <= high", [](RewardConfig& c) { c.critical = -1.0; c.high = -50.0; }},  // critical cheaper than high
  };
  for (const Case& k : cases) {
    RewardConfig c;
    k.mutate(c);
    Status s = c.Validate();
    INFO(k.field << ": " << s.ToString());
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(s.message().find(std::string(k.field).substr(0, 8)) != std::string::npos);
  }
}

TEST_CASE("policy penalty sums every violation's severity penalty") {
  RewardConfig c;
  Decision d;
  d.Clear();
  d.Add("p", "r", Severity::kLow);
  d.Add("p", "r", Severity::kMedium);
  d.Add("p", "r", Severity::kHigh);
  d.Add("p", "r", Severity::kCritical);
  d.Finish(true);
  CHECK(c.PolicyPenalty(d) == -161.0);
}

TEST_CASE("violations beyond the 8 kept are charged their own severity's penalty") {
  RewardConfig c;
  Decision d;
  d.Clear();
  for (int i = 0; i < 8; ++i) d.Add("p", "r", Severity::kMedium);
  for (int i = 0; i < 5; ++i) d.Add("p", "r", Severity::kCritical);  // not kept
  d.Finish(true);
  REQUIRE(d.total_violations() == 13);
  REQUIRE(d.violations().size() == 8);
  CHECK(d.count(Severity::kCritical) == 5);
  CHECK(d.count(Severity::kMedium) == 8);
  CHECK(c.PolicyPenalty(d) == 8 * -10.0 + 5 * -100.0);
  d.Clear();
  CHECK(d.count(Severity::kCritical) == 0);
  CHECK(c.PolicyPenalty(d) == 0.0);
}

TEST_CASE("a clean decision costs nothing; clamp bounds the reward") {
  RewardConfig c;
  c.min_reward = -20;
  c.max_reward = 3;
  Decision d;
  d.Clear();
  d.Finish(true);
  CHECK(c.PolicyPenalty(d) == 0.0);
  CHECK(c.Clamp(-100.0) == -20.0);
  CHECK(c.Clamp(7.0) == 3.0);
  CHECK(c.Clamp(1.5) == 1.5);
}

TEST_CASE("Reward: task reward + step penalty + penalties (+ clean bonus), clamped") {
  RewardConfig rc;
  rc.clean_bonus = 5.0;
  rc.step_penalty = -0.5;
  rc.min_reward = -120.0;
  rc.max_reward = 3.0;
  double penalty = 1.0;
  CHECK(rc.Reward(1.0, 0.0, /*clean_success=*/true, &penalty) == 3.0);  // 1 - 0.5 + 5 = 5.5, clamped to 3
  CHECK(penalty == 0.0);
  CHECK(rc.Reward(1.0, 0.0, false, nullptr) == 0.5);
  CHECK(rc.PolicyPenalty(std::array<std::uint32_t, kSeverityCount>{2, 1, 0, 1}) == -112.0);  // 2 low, medium, critical
  CHECK(rc.Reward(0.0, -112.0, false, &penalty) == -112.5);
  CHECK(penalty == -112.0);
  CHECK(rc.Reward(0.0, -150.0, false, &penalty) == -120.0);
}
