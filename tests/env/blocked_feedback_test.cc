// Specification of the blocked-action hook (Task::wants_feedback,
// Task::OnBlocked) and of its text (env/blocked_feedback.h): a task that
// wants feedback hears why the kernel blocked its action; one that does not
// is never called.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "env/blocked_feedback.h"
#include "env/governed_environment.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

constexpr const char kPolicy[] = R"(version: 1
policies:
  - name: sql_safety
    type: sql
    allow: [SELECT]
    deny: [DROP]
)";

class ListeningTask : public Task {
 public:
  ListeningTask(bool wants, std::vector<std::string>* heard) : wants_(wants), heard_(heard) {}
  Status Reset(std::uint64_t) override { return Status::Ok(); }
  TaskOutcome Execute(const StepInput&) override {
    heard_->push_back("executed");
    return {};
  }
  std::int64_t ObservationIndex() const override { return 0; }
  std::string_view ObservationText() const override { return {}; }
  bool wants_feedback() const override { return wants_; }
  void OnBlocked(std::string_view reason) override { heard_->emplace_back(reason); }

 private:
  bool wants_;
  std::vector<std::string>* heard_;
};

class ListeningFactory : public TaskFactory {
 public:
  ListeningFactory(bool wants, std::vector<std::string>* heard) : wants_(wants), heard_(heard) {}
  std::string_view name() const override { return "listening"; }
  Status Make(std::unique_ptr<Task>* out) override {
    *out = std::make_unique<ListeningTask>(wants_, heard_);
    return Status::Ok();
  }

 private:
  bool wants_;
  std::vector<std::string>* heard_;
};

std::vector<std::string> Run(bool wants, const std::vector<std::string>& actions) {
  std::vector<std::string> heard;
  std::shared_ptr<const KernelSpace> kernel;
  REQUIRE(LoadKernelFromYaml(kPolicy, "blocked.yaml", &kernel).ok());
  ListeningFactory factory(wants, &heard);
  EnvironmentConfig config;
  config.terminate_on_critical = false;
  std::unique_ptr<GovernedEnvironment> env;
  REQUIRE(GovernedEnvironment::Create(kernel, config, factory, &env).ok());
  REQUIRE(env->Reset(1).ok());
  for (const std::string& sql : actions) {
    Action a;
    a.kind = ActionKind::kSql;
    a.payload = sql;
    StepInput in;
    in.action = &a;
    StepResult r;
    REQUIRE(env->Step(in, &r).ok());
  }
  return heard;
}

}  // namespace

TEST_CASE("a task that wants feedback hears the kernel's reason for each blocked action, and only then") {
  CHECK(Run(true, {"SELECT 1", "DROP TABLE t", "SELECT 2"}) ==
        std::vector<std::string>{"executed", "policy sql_safety, rule sql.denied_kind, critical: statement 1 is DROP, "
                                             "which is denied",
                                 "executed"});
}

TEST_CASE("a task that does not want feedback is never told") {
  CHECK(Run(false, {"SELECT 1", "DROP TABLE t"}) == std::vector<std::string>{"executed"});
}

TEST_CASE("the reason lists every kept violation and counts the ones not kept") {
  Decision d;
  d.Clear();
  for (int i = 0; i < 10; ++i) d.Add("tool_policy", "tool.denied", Severity::kHigh).Append("tool 'rm' is denied");
  d.Finish(true);
  std::string text;
  FormatBlockedReason(d, &text);
  std::string expected;
  for (int i = 0; i < 8; ++i) expected += "policy tool_policy, rule tool.denied, high: tool 'rm' is denied\n";
  expected += "and 2 more violation(s)";
  CHECK(text == expected);

  Decision none;
  none.Clear();
  FormatBlockedReason(none, &text);
  CHECK(text == "the kernel denied the action");
}
