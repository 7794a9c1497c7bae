// Specification of signals: what each one does to an environment, and that
// every one shows up in the step's mask and in the metrics.
#include <catch2/catch.hpp>

#include "env/signals.h"
#include "env_test_support.h"

using namespace agentos;
using namespace agentos::testing;

TEST_CASE("signal names and bits are fixed") {
  CHECK(Bit(Signal::kStop) == 1);
  CHECK(Bit(Signal::kCont) == 2);
  CHECK(Bit(Signal::kKill) == 4);
  CHECK(Bit(Signal::kTerm) == 8);
  CHECK(Bit(Signal::kPolicy) == 16);
  CHECK(Bit(Signal::kBudget) == 32);
  for (int i = 0; i < kSignalCount; ++i) {
    Signal s = SignalAt(i);
    CHECK(ParseSignal(ToString(s)) == s);
    CHECK(SignalFromBit(Bit(s)) == s);
    CHECK(SignalIndex(s) == i);
  }
  CHECK_FALSE(ParseSignal("SIGINT"));
  CHECK_FALSE(SignalFromBit(0));
  CHECK_FALSE(SignalFromBit(3));
  CHECK_FALSE(SignalFromBit(64));
}

TEST_CASE("SIGSTOP pauses: steps become no-ops that report SIGSTOP; SIGCONT resumes") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  REQUIRE(e.env->Send(Signal::kStop).ok());
  CHECK(e.env->paused());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(e.Step("SELECT WIN DONE").ok());
    CHECK_FALSE(e.r.governed);
    CHECK_FALSE(e.r.executed);
    CHECK(e.r.reward == 0.0);
    CHECK_FALSE(e.r.terminated);
    CHECK_FALSE(e.r.truncated);
    CHECK(e.r.signals == Bit(Signal::kStop));
    CHECK(e.r.episode_step == 1);  // does not advance
  }
  CHECK(e.factory.log->executed.size() == 1);
  REQUIRE(e.env->Send(Signal::kCont).ok());
  REQUIRE(e.Step("SELECT 2").ok());
  CHECK(e.r.executed);
  CHECK(e.r.signals == Bit(Signal::kCont));
  CHECK(e.r.episode_step == 2);
  REQUIRE(e.Step("SELECT 3").ok());
  CHECK(e.r.signals == 0);
  EnvMetrics m = e.env->Metrics();
  CHECK(m.signal_count(Signal::kStop) == 1);
  CHECK(m.signal_count(Signal::kCont) == 1);
  CHECK(m.counters.idle_steps == 3);
  CHECK(m.counters.steps == 3);
}

TEST_CASE("SIGKILL ends the episode now: the next step ignores its action and is terminated") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  REQUIRE(e.env->Send(Signal::kKill).ok());
  REQUIRE(e.Step("SELECT WIN").ok());
  CHECK(e.r.terminated);
  CHECK_FALSE(e.r.truncated);
  CHECK_FALSE(e.r.executed);
  CHECK(e.r.reward == 0.0);
  CHECK(e.r.signals == Bit(Signal::kKill));
  CHECK(e.factory.log->executed.size() == 1);
  CHECK(e.env->episode_ended());
  CHECK(e.env->Metrics().counters.episodes == 1);
  CHECK(e.env->Metrics().signal_count(Signal::kKill) == 1);

  SECTION("SIGKILL cannot be held off by SIGSTOP") {
    REQUIRE(e.env->Reset(2).ok());
    REQUIRE(e.env->Send(Signal::kStop).ok());
    REQUIRE(e.env->Send(Signal::kKill).ok());
    REQUIRE(e.Step("SELECT 1").ok());
    CHECK(e.r.terminated);
    CHECK((e.r.signals & Bit(Signal::kKill)) != 0);
  }
  SECTION("SIGKILL to an ended episode has nothing to end") {
    REQUIRE(e.env->Send(Signal::kKill).ok());
    CHECK(e.env->Metrics().signal_count(Signal::kKill) == 1);
  }
}

TEST_CASE("SIGTERM ends the episode after the next step, which runs normally: truncated") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.env->Send(Signal::kTerm).ok());
  REQUIRE(e.Step("SELECT WIN").ok());
  CHECK(e.r.executed);
  CHECK(e.r.reward == 1.0);
  CHECK(e.r.truncated);
  CHECK_FALSE(e.r.terminated);
  CHECK(e.r.signals == Bit(Signal::kTerm));
  CHECK(e.env->episode_ended());
  EnvMetrics m = e.env->Metrics();
  CHECK(m.signal_count(Signal::kTerm) == 1);
  CHECK(m.counters.successful_episodes == 1);
}

TEST_CASE("SIGTERM waits while the environment is paused") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.env->Send(Signal::kStop).ok());
  REQUIRE(e.env->Send(Signal::kTerm).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  CHECK_FALSE(e.r.truncated);
  REQUIRE(e.env->Send(Signal::kCont).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  CHECK(e.r.truncated);
  CHECK(e.r.signals == (Bit(Signal::kCont) | Bit(Signal::kTerm)));
}

TEST_CASE("SIGPOLICY and SIGBUDGET are raised by the environment, never sent by a trainer") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  CHECK(e.env->Send(Signal::kPolicy).code() == Status::Code::kInvalidArgument);
  CHECK(e.env->Send(Signal::kBudget).code() == Status::Code::kInvalidArgument);
  REQUIRE(e.Step("SELECT 1").ok());
  CHECK(e.r.signals == 0);
  EnvMetrics m = e.env->Metrics();
  for (int i = 0; i < kSignalCount; ++i) CHECK(m.counters.signals[i] == 0);
}

TEST_CASE("a reset clears pending KILL and TERM but keeps the env paused") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.env->Send(Signal::kTerm).ok());
  REQUIRE(e.env->Send(Signal::kKill).ok());
  REQUIRE(e.env->Reset(2).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  CHECK_FALSE(e.r.terminated);
  CHECK_FALSE(e.r.truncated);
  REQUIRE(e.env->Send(Signal::kStop).ok());
  REQUIRE(e.env->Reset(3).ok());
  CHECK(e.env->paused());
}

namespace {
Decision Denied(std::string_view rule, Severity severity, bool enforce = true) {
  Decision d;
  d.Clear();
  d.Add("p", rule, severity);
  d.Finish(enforce);
  return d;
}
}  // namespace

TEST_CASE("DecisionSignals: SIGBUDGET only for the episode budget rules, SIGPOLICY for any critical violation") {
  CHECK(DecisionSignals(Denied("cost.episode_budget", Severity::kHigh)) == Bit(Signal::kBudget));
  CHECK(DecisionSignals(Denied("cost.token_budget", Severity::kMedium)) == Bit(Signal::kBudget));
  CHECK(DecisionSignals(Denied("cost.per_action", Severity::kHigh)) == 0);  // one action too dear: not the budget
  CHECK(DecisionSignals(Denied("cost.per_action", Severity::kCritical)) == Bit(Signal::kPolicy));
  CHECK(DecisionSignals(Denied("cost.episode_budget", Severity::kCritical)) ==
        (Bit(Signal::kPolicy) | Bit(Signal::kBudget)));
  // Audit mode: the critical violation is reported, so SIGPOLICY is raised;
  // nothing was denied, so the budget is not exhausted.
  CHECK(DecisionSignals(Denied("cost.episode_budget", Severity::kCritical, /*enforce=*/false)) ==
        Bit(Signal::kPolicy));
  Decision clean;
  clean.Clear();
  clean.Finish(true);
  CHECK(DecisionSignals(clean) == 0);
}
