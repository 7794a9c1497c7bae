// Specification of GovernedEnvironment: Gymnasium's reset/step contract
// with governance in the middle.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "env/governed_environment.h"
#include "env/noop_task.h"
#include "env_test_support.h"
#include "policies/cost_control_policy.h"

using namespace agentos;
using namespace agentos::testing;

TEST_CASE("stepping before the first reset is a state error") {
  SingleEnv e;
  Status s = e.Step("SELECT 1");
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("reset") != std::string::npos);
  CHECK(e.factory.log->executed.empty());
}

TEST_CASE("an environment needs a kernel and a valid config") {
  auto noop = MakeNoopTaskFactory();
  std::unique_ptr<GovernedEnvironment> env;
  CHECK(GovernedEnvironment::Create(nullptr, {}, *noop, &env).code() == Status::Code::kInvalidArgument);
  EnvironmentConfig bad;
  bad.max_steps = 0;
  CHECK(GovernedEnvironment::Create(KernelSpace::AllowAll(), bad, *noop, &env).code() ==
        Status::Code::kInvalidArgument);
  bad = {};
  bad.reward.low = 2.0;
  CHECK(GovernedEnvironment::Create(KernelSpace::AllowAll(), bad, *noop, &env).code() ==
        Status::Code::kInvalidArgument);
  bad = {};
  bad.max_cost_usd = -1.0;
  CHECK(GovernedEnvironment::Create(KernelSpace::AllowAll(), bad, *noop, &env).code() ==
        Status::Code::kInvalidArgument);
  CHECK(env == nullptr);
}

TEST_CASE("reset returns the observation; the same seed gives the same episode, no seed continues the RNG") {
  SingleEnv e;
  ResetInfo a, b, c, d;
  REQUIRE(e.env->Reset(42, &a).ok());
  REQUIRE(e.env->Reset(42, &b).ok());
  CHECK(a.task_seed == b.task_seed);
  CHECK(a.observation == b.observation);
  CHECK(b.episode == a.episode + 1);
  REQUIRE(e.env->Reset(std::nullopt, &c).ok());
  CHECK(c.task_seed != b.task_seed);
  REQUIRE(e.env->Reset(43, &d).ok());
  CHECK(d.task_seed != a.task_seed);
  CHECK(e.env->ObservationIndex() == d.observation);
}

TEST_CASE("max_steps truncates; terminated and truncated can both be true") {
  EnvironmentConfig cfg;
  cfg.max_steps = 3;
  cfg.autoreset = AutoresetMode::kDisabled;
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  CHECK_FALSE(e.r.terminated);
  CHECK_FALSE(e.r.truncated);
  CHECK(e.r.episode_step == 1);
  REQUIRE(e.Step("SELECT 2").ok());
  CHECK_FALSE(e.r.truncated);
  REQUIRE(e.Step("SELECT DONE").ok());  // the task ends it at the time limit
  CHECK(e.r.terminated);
  CHECK(e.r.truncated);
  CHECK(e.r.episode_step == 3);
  CHECK(e.env->episode_ended());

  SECTION("a pure time limit is truncated only") {
    REQUIRE(e.env->Reset(2).ok());
    for (int i = 0; i < 3; ++i) REQUIRE(e.Step("SELECT 1").ok());
    CHECK(e.r.truncated);
    CHECK_FALSE(e.r.terminated);
  }
}

TEST_CASE("the task ending the episode is terminated, not truncated") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT DONE").ok());
  CHECK(e.r.terminated);
  CHECK_FALSE(e.r.truncated);
}

TEST_CASE("stepping a finished episode is a state error with autoreset disabled, and changes nothing") {
  EnvironmentConfig cfg;
  cfg.autoreset = AutoresetMode::kDisabled;
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT DONE").ok());
  const auto executed = e.factory.log->executed.size();
  const auto counters = e.env->counters();
  Status s = e.Step("SELECT 1");
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("autoreset is disabled") != std::string::npos);
  CHECK(e.factory.log->executed.size() == executed);
  CHECK(e.env->counters().steps == counters.steps);
  REQUIRE(e.env->Reset().ok());
  CHECK(e.Step("SELECT 1").ok());
}

TEST_CASE("blocked actions never reach the task, but still cost reward (shielding)") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("DROP TABLE t -- HIGH WIN").ok());
  CHECK_FALSE(e.r.executed);
  CHECK(e.r.governed);
  CHECK_FALSE(e.r.decision.allowed());
  CHECK(e.r.reward == -50.0);  // the WIN never happened
  CHECK_FALSE(e.r.success);
  CHECK(e.factory.log->executed.empty());
  REQUIRE(e.Step("SELECT WIN").ok());
  CHECK(e.r.executed);
  CHECK(e.r.reward == 1.0);
  CHECK(e.factory.log->executed == std::vector<std::string>{"SELECT WIN"});
}

TEST_CASE("reward arithmetic for every severity: task reward + step penalty + penalties") {
  EnvironmentConfig cfg;
  cfg.terminate_on_critical = false;
  cfg.reward.step_penalty = -0.25;
  // Audit mode: violations are reported but not blocked, so the task reward
  // and the penalty add up in one step.
  SingleEnv e(cfg, WordKernel(EnforcementMode::kAudit));
  REQUIRE(e.env->Reset(1).ok());
  struct Case {
    const char* payload;
    double reward;
  };
  const Case cases[] = {
      {"SELECT 1", -0.25},
      {"SELECT LOW", -1.25},
      {"SELECT MEDIUM", -10.25},
      {"SELECT HIGH", -50.25},
      {"SELECT CRITICAL", -100.25},
      {"SELECT LOW LOW HIGH", -52.25},
      {"SELECT WIN MEDIUM", 1.0 - 10.25},
  };
  for (const Case& c : cases) {
    REQUIRE(e.Step(c.payload).ok());
    INFO(c.payload);
    CHECK(e.r.reward == c.reward);
    CHECK(e.r.penalty == c.reward - (std::string(c.payload).find("WIN") != std::string::npos ? 1.0 : 0.0) + 0.25);
    CHECK(e.r.executed);  // audit mode
  }
}

TEST_CASE("rewards are clamped to [min_reward, max_reward]") {
  EnvironmentConfig cfg;
  cfg.terminate_on_critical = false;
  cfg.reward.min_reward = -120.0;
  cfg.reward.max_reward = 0.5;
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT CRITICAL CRITICAL").ok());
  CHECK(e.r.reward == -120.0);
  CHECK(e.r.penalty == -200.0);
  REQUIRE(e.Step("SELECT WIN").ok());
  CHECK(e.r.reward == 0.5);
}

TEST_CASE("the clean bonus is paid once, only with success, only to a violation-free episode") {
  EnvironmentConfig cfg;
  cfg.reward.clean_bonus = 0.5;
  SingleEnv e(cfg);
  SECTION("clean success earns it once") {
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT 1").ok());
    CHECK(e.r.reward == 0.0);  // clean but no success: no bonus (agent-os-kernel 2.0.1 pays 5.0 here)
    REQUIRE(e.Step("SELECT WIN").ok());
    CHECK(e.r.reward == 1.5);
    REQUIRE(e.Step("SELECT WIN").ok());
    CHECK(e.r.reward == 1.0);
  }
  SECTION("an earlier violation forfeits it") {
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT LOW").ok());
    REQUIRE(e.Step("SELECT WIN").ok());
    CHECK(e.r.reward == 1.0);
  }
  SECTION("a failed clean episode never outscores a successful one") {
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT 1").ok());
    REQUIRE(e.Step("SELECT DONE").ok());
    const double failed_clean = e.r.episode_return;
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT LOW WIN DONE").ok());  // blocked: a violation, no success
    REQUIRE(e.Step("SELECT WIN DONE").ok());
    const double success_with_violation = e.r.episode_return;
    CHECK(failed_clean == 0.0);
    CHECK(success_with_violation == 0.0);  // -1 + 1
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT WIN DONE").ok());
    CHECK(e.r.episode_return == 1.5);
  }
}

TEST_CASE("a critical violation raises SIGPOLICY and ends the episode only with terminate_on_critical") {
  SECTION("terminate_on_critical = true") {
    SingleEnv e;
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT CRITICAL").ok());
    CHECK(e.r.terminated);
    CHECK_FALSE(e.r.truncated);
    CHECK((e.r.signals & Bit(Signal::kPolicy)) != 0);
    CHECK(e.r.max_severity == static_cast<int>(Severity::kCritical));
  }
  SECTION("terminate_on_critical = false: block and continue") {
    EnvironmentConfig cfg;
    cfg.terminate_on_critical = false;
    SingleEnv e(cfg);
    REQUIRE(e.env->Reset(1).ok());
    REQUIRE(e.Step("SELECT CRITICAL").ok());
    CHECK_FALSE(e.r.terminated);
    CHECK((e.r.signals & Bit(Signal::kPolicy)) != 0);
    CHECK(e.env->Metrics().signal_count(Signal::kPolicy) == 1);
    REQUIRE(e.Step("SELECT 1").ok());
    CHECK(e.r.executed);
  }
  SECTION("high violations never end the episode") {
    SingleEnv e;
    REQUIRE(e.env->Reset(1).ok());
    for (int i = 0; i < 10; ++i) {
      REQUIRE(e.Step("SELECT HIGH").ok());
      CHECK_FALSE(e.r.terminated);
      CHECK(e.r.signals == 0);
    }
  }
}

TEST_CASE("the step's decision is in the result: allowed, violations, reasons") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT LOW MEDIUM").ok());
  CHECK(e.r.violations == 2);
  REQUIRE(e.r.decision.violations().size() == 2);
  CHECK(e.r.decision.violations()[0].policy() == "words");
  CHECK(e.r.decision.violations()[0].rule() == "word.low");
  CHECK(e.r.decision.violations()[0].reason() == "payload says LOW");
  CHECK(e.r.max_severity == static_cast<int>(Severity::kMedium));
}

TEST_CASE("bad actions (empty, huge, invalid UTF-8, NUL) are denied with a reason and the env keeps working") {
  EnvironmentConfig cfg;
  cfg.max_action_bytes = 1024;
  SingleEnv e(cfg, KernelSpace::AllowAll());  // even with no policy at all
  REQUIRE(e.env->Reset(1).ok());
  const std::string huge(1 << 20, 'A');
  const std::string bad[] = {"", huge, "SELECT '\xc3\x28'", std::string("SELECT 1\0 DROP TABLE t", 22)};
  const std::string_view rules[] = {"kernel.empty_action", "kernel.action_too_large", "kernel.invalid_utf8", "kernel.nul_byte"};
  for (int i = 0; i < 4; ++i) {
    REQUIRE(e.Step(bad[i]).ok());
    INFO(rules[i]);
    CHECK_FALSE(e.r.executed);
    REQUIRE(e.r.decision.violations().size() == 1);
    CHECK(e.r.decision.violations()[0].rule() == rules[i]);
    CHECK_FALSE(e.r.decision.violations()[0].reason().empty());
    CHECK(e.r.reward < 0);
    CHECK_FALSE(e.r.terminated);
  }
  CHECK(e.factory.log->executed.empty());
  REQUIRE(e.Step("SELECT WIN").ok());
  CHECK(e.r.executed);
  CHECK(e.r.reward == 1.0);
}

TEST_CASE("an invalid action kind or cost is denied by the kernel, not executed") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  Action a = Sql("SELECT 1");
  a.cost_usd = -5.0;
  StepInput in;
  in.action = &a;
  REQUIRE(e.env->Step(in, &e.r).ok());
  CHECK_FALSE(e.r.executed);
  CHECK(e.r.decision.violations()[0].rule() == "kernel.invalid_action");
  CHECK(e.r.terminated);  // critical, terminate_on_critical
}

TEST_CASE("a null action or non-finite external reward is an argument error that changes nothing") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  StepInput in;
  CHECK(e.env->Step(in, &e.r).code() == Status::Code::kInvalidArgument);
  Action a = Sql("SELECT 1");
  in.action = &a;
  in.external_reward = std::nan("");
  CHECK(e.env->Step(in, &e.r).code() == Status::Code::kInvalidArgument);
  CHECK(e.env->episode_step() == 0);
}

TEST_CASE("episode return equals the sum of the returned rewards") {
  EnvironmentConfig cfg;
  cfg.reward.step_penalty = -0.1;
  cfg.reward.clean_bonus = 0.3;
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(9).ok());
  double sum = 0.0;
  const char* actions[] = {"SELECT 1", "SELECT WIN", "SELECT LOW", "SELECT WIN", "SELECT HIGH", "SELECT 2"};
  for (const char* a : actions) {
    REQUIRE(e.Step(a).ok());
    sum += e.r.reward;
    CHECK(e.r.episode_return == sum);
  }
}

TEST_CASE("task errors are reported, not hidden") {
  SingleEnv e;
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT FAIL").ok());
  CHECK(e.r.executed);
  CHECK(e.r.task_error);
  CHECK(e.r.task_message() == "scripted failure");
  CHECK(e.env->counters().task_errors == 1);
}

TEST_CASE("cost budget: reaching max_cost_usd raises SIGBUDGET and truncates") {
  EnvironmentConfig cfg;
  cfg.max_cost_usd = 1.0;
  SingleEnv e(cfg, KernelSpace::AllowAll());
  REQUIRE(e.env->Reset(1).ok());
  Action a = Sql("SELECT 1");
  a.cost_usd = 0.1;
  StepInput in;
  in.action = &a;
  for (int i = 0; i < 9; ++i) {
    REQUIRE(e.env->Step(in, &e.r).ok());
    CHECK_FALSE(e.r.truncated);
  }
  REQUIRE(e.env->Step(in, &e.r).ok());  // 10 x 0.1 = 0.9999999999999999: reached up to rounding
  CHECK(e.r.truncated);
  CHECK_FALSE(e.r.terminated);
  CHECK(e.r.signals == Bit(Signal::kBudget));
  CHECK(std::abs(e.r.cost_usd - 1.0) < 1e-9);
  CHECK(e.env->Metrics().signal_count(Signal::kBudget) == 1);
}

TEST_CASE("cost budget: a cost policy blocking an over-budget action raises SIGBUDGET and truncates") {
  CostControlPolicyConfig cc;
  cc.max_cost_usd = 0.25;
  std::unique_ptr<Policy> p;
  REQUIRE(MakeCostControlPolicy("budget", cc, &p).ok());
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::move(p));
  std::shared_ptr<const KernelSpace> k;
  REQUIRE(KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &k).ok());
  SingleEnv e({}, k);
  REQUIRE(e.env->Reset(1).ok());
  Action a = Sql("SELECT 1");
  a.cost_usd = 0.2;
  StepInput in;
  in.action = &a;
  REQUIRE(e.env->Step(in, &e.r).ok());
  CHECK(e.r.executed);
  CHECK_FALSE(e.r.truncated);
  REQUIRE(e.env->Step(in, &e.r).ok());
  CHECK_FALSE(e.r.executed);
  CHECK(e.r.truncated);
  CHECK((e.r.signals & Bit(Signal::kBudget)) != 0);
  CHECK(e.r.reward == -50.0);  // cost policy default severity: high
}

TEST_CASE("every governed step is audited once, with its decision and reward") {
  auto sink = std::make_shared<CountingSink>();
  EnvironmentConfig cfg;
  cfg.audit_sink = sink;
  cfg.agent_id = "sql-agent";
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  REQUIRE(e.Step("SELECT HIGH").ok());
  REQUIRE(e.Step("SELECT CRITICAL").ok());
  auto rows = sink->rows();
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].step == 1);
  CHECK(rows[0].allowed);
  CHECK(rows[0].executed);
  CHECK(rows[1].payload == "SELECT HIGH");
  CHECK_FALSE(rows[1].allowed);
  CHECK(rows[1].reward == -50.0);
  CHECK(rows[1].penalty == -50.0);
  CHECK(rows[2].signals == Bit(Signal::kPolicy));
  CHECK(rows[2].episode == 0);
}

TEST_CASE("metrics: episodes and success are counted once per episode; rates stay in [0, 1]") {
  EnvironmentConfig cfg;
  cfg.max_steps = 4;
  SingleEnv e(cfg);
  for (int ep = 0; ep < 5; ++ep) {
    REQUIRE(e.env->Reset(ep).ok());
    // Four successful steps per episode: counting per step (as agent-os-kernel 2.0.1 does) would report 4.0 here.
    for (int i = 0; i < 4; ++i) REQUIRE(e.Step(ep == 4 ? "SELECT LOW" : "SELECT WIN").ok());
  }
  EnvMetrics m = e.env->Metrics();
  CHECK(m.counters.episodes == 5);
  CHECK(m.counters.successful_episodes == 4);
  CHECK(m.success_rate() == Approx(0.8));
  CHECK(m.counters.episodes_with_violations == 1);
  CHECK(m.violation_rate() == Approx(0.2));
  CHECK(m.clean_rate() == Approx(0.8));
  CHECK(m.counters.steps == 20);
  CHECK(m.counters.violations == 4);
  CHECK(m.violations_per_step() == Approx(0.2));
  CHECK(m.average_penalty() == Approx(-4.0 / 20));
  CHECK(m.severity_count(Severity::kLow) == 4);
  CHECK(m.policy_count("words") == 4);
  CHECK(m.policy_count("kernel") == 0);
  CHECK(m.counters.executed == 16);
  CHECK(m.counters.blocked == 4);
}

namespace {
class FailingSink : public AuditSink {
 public:
  explicit FailingSink(int ok_records) : left_(ok_records) {}
  void Record(const AuditEvent&) override {
    if (left_-- <= 0) throw std::runtime_error("disk full");
  }

 private:
  int left_;
};

// A sink that knows it can no longer record (a closed recorder).
class ClosedSink : public AuditSink {
 public:
  void Record(const AuditEvent&) override { ++records; }
  Status Ready() const override { return Status::StateError("recorder: the log is closed"); }
  int records = 0;
};

class ThrowingTask : public Task {
 public:
  Status Reset(std::uint64_t) override { return Status::Ok(); }
  TaskOutcome Execute(const StepInput&) override { throw std::runtime_error("task bug"); }
  std::int64_t ObservationIndex() const override { return 0; }
  std::string_view ObservationText() const override { return {}; }
};

class ThrowingFactory : public TaskFactory {
 public:
  std::string_view name() const override { return "throwing"; }
  Status Make(std::unique_ptr<Task>* out) override {
    *out = std::make_unique<ThrowingTask>();
    return Status::Ok();
  }
};
}  // namespace

TEST_CASE("a failing audit sink fails that step and stops the env: nothing more runs unaudited") {
  EnvironmentConfig cfg;
  cfg.audit_sink = std::make_shared<FailingSink>(2);
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(1).ok());
  REQUIRE(e.Step("SELECT 1").ok());
  REQUIRE(e.Step("SELECT 2").ok());
  Status s = e.Step("SELECT 3");
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(s.message().find("not audited") != std::string::npos);
  CHECK(s.message().find("disk full") != std::string::npos);
  const auto executed = e.factory.log->executed.size();
  s = e.Step("SELECT 4");
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message().find("audit sink failed") != std::string::npos);
  CHECK(e.factory.log->executed.size() == executed);
}

TEST_CASE("a sink that cannot record refuses the step before the action runs, and nothing changes") {
  EnvironmentConfig cfg;
  auto sink = std::make_shared<ClosedSink>();
  cfg.audit_sink = sink;
  SingleEnv e(cfg);
  REQUIRE(e.env->Reset(1).ok());
  e.r.reward = 123.0;
  Status s = e.Step("INSERT INTO t VALUES (1)");
  CHECK(s.code() == Status::Code::kState);
  CHECK(s.message() == "env 0: the audit sink cannot record; the action was not run: recorder: the log is closed");
  CHECK(e.factory.log->executed.empty());
  CHECK(sink->records == 0);
  CHECK(e.env->episode_step() == 0);
  CHECK(e.env->episode_state().actions == 0);
  CHECK(e.env->counters().steps == 0);
  CHECK(e.env->steppable());  // refused, not broken: a sink that recovers lets it go on
  Decision d;
  CHECK_FALSE(e.env->WouldExecute(Sql("SELECT 1"), d));
}

TEST_CASE("WouldExecute is the engine's answer for the next step, and changes nothing") {
  EnvironmentConfig cfg;
  cfg.max_action_bytes = 16;
  SingleEnv e(cfg);
  Decision d;
  CHECK_FALSE(e.env->WouldExecute(Sql("SELECT 1"), d));  // before reset: no step would run
  REQUIRE(e.env->Reset(1).ok());
  CHECK(e.env->WouldExecute(Sql("SELECT 1"), d));
  CHECK_FALSE(e.env->WouldExecute(Sql("SELECT 1 FROM a_long_table"), d));  // over this env's 16 bytes
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].rule() == "kernel.action_too_large");
  CHECK(e.env->episode_state().actions == 0);
  CHECK(e.factory.log->executed.empty());
  REQUIRE(e.env->Send(Signal::kStop).ok());
  CHECK_FALSE(e.env->WouldExecute(Sql("SELECT 1"), d));  // paused: the step would be a no-op
}

TEST_CASE("a task that throws while executing is a task error, and the env goes on") {
  ThrowingFactory f;
  std::unique_ptr<GovernedEnvironment> env;
  REQUIRE(GovernedEnvironment::Create(KernelSpace::AllowAll(), {}, f, &env).ok());
  REQUIRE(env->Reset(1).ok());
  Action a = Sql("SELECT 1");
  StepInput in;
  in.action = &a;
  StepResult r;
  REQUIRE(env->Step(in, &r).ok());
  CHECK(r.task_error);
  CHECK(r.executed);
  CHECK(r.reward == 0.0);
  CHECK_FALSE(r.task_message().empty());
  REQUIRE(env->Step(in, &r).ok());
  CHECK(env->counters().task_errors == 2);
}
