// Test doubles for the environment specs: a policy whose verdict is spelled
// in the action text, and a task that records what reached it.
#ifndef AGENTOS_TESTS_ENV_ENV_TEST_SUPPORT_H_
#define AGENTOS_TESTS_ENV_ENV_TEST_SUPPORT_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "env/governed_environment.h"
#include "env/task.h"
#include "kernel/audit_sink.h"
#include "kernel/kernel_space.h"

namespace agentos::testing {

// Flags every occurrence of the words LOW, MEDIUM, HIGH, CRITICAL in the
// payload with a violation of that severity (rule "word.<severity>").
class WordPolicy : public Policy {
 public:
  explicit WordPolicy(std::string name = "words") : Policy(std::move(name)) {}
  std::string_view type() const override { return "test"; }
  void Evaluate(const Action& a, const EpisodeState&, Decision& out) const override {
    static constexpr struct {
      std::string_view word;
      std::string_view rule;
      Severity sev;
    } kWords[] = {{"CRITICAL", "word.critical", Severity::kCritical},
                  {"MEDIUM", "word.medium", Severity::kMedium},
                  {"HIGH", "word.high", Severity::kHigh},
                  {"LOW", "word.low", Severity::kLow}};
    for (std::size_t i = 0; i < a.payload.size(); ++i) {
      for (const auto& w : kWords) {
        if (a.payload.substr(i, w.word.size()) == w.word) {
          out.Add(name(), w.rule, w.sev).Append("payload says ").Append(w.word);
        }
      }
    }
  }
};

inline std::shared_ptr<const KernelSpace> WordKernel(EnforcementMode mode = EnforcementMode::kEnforce) {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<WordPolicy>());
  std::shared_ptr<const KernelSpace> k;
  Status s = KernelSpace::Create(std::move(ps), mode, &k);
  if (!s.ok()) throw std::runtime_error(s.ToString());
  return k;
}

// A task whose outcome is spelled in the action: "WIN" anywhere = success
// with reward 1; "DONE" = the task ends the episode; "FAIL" = error.
// Observation index = (task seed % 100000) * 1000 + executed actions, so it
// depends on both the seed and the history. Records every executed payload.
class ScriptedTask : public Task {
 public:
  struct Log {
    std::mutex mu;
    std::vector<std::string> executed;
    std::atomic<int> resets{0};
    std::atomic<bool> fail_resets{false};
  };
  explicit ScriptedTask(std::shared_ptr<Log> log) : log_(std::move(log)) {}

  Status Reset(std::uint64_t seed) override {
    if (log_->fail_resets) return Status::IoError("scripted reset failure");
    seed_ = seed;
    executed_ = 0;
    ++log_->resets;
    return Status::Ok();
  }
  TaskOutcome Execute(const StepInput& in) override {
    ++executed_;
    std::string_view p = in.action->payload;
    {
      std::lock_guard<std::mutex> lock(log_->mu);
      log_->executed.emplace_back(p);
    }
    TaskOutcome o;
    if (p.find("WIN") != std::string_view::npos) {
      o.reward = 1.0;
      o.success = true;
    }
    if (p.find("DONE") != std::string_view::npos) o.done = true;
    if (p.find("FAIL") != std::string_view::npos) {
      o.error = true;
      o.message = "scripted failure";
    }
    return o;
  }
  std::int64_t ObservationIndex() const override {
    return static_cast<std::int64_t>(seed_ % 100000) * 1000 + executed_;
  }
  std::string_view ObservationText() const override { return "scripted"; }

 private:
  std::shared_ptr<Log> log_;
  std::uint64_t seed_ = 0;
  std::int64_t executed_ = 0;
};

class ScriptedFactory : public TaskFactory {
 public:
  std::shared_ptr<ScriptedTask::Log> log = std::make_shared<ScriptedTask::Log>();
  std::string_view name() const override { return "scripted"; }
  Status Make(std::unique_ptr<Task>* out) override {
    *out = std::make_unique<ScriptedTask>(log);
    return Status::Ok();
  }
};

// Counts audit events and keeps their essentials; thread-safe.
class CountingSink : public AuditSink {
 public:
  struct Row {
    std::uint64_t env_id, episode;
    std::uint32_t step;
    std::string payload;
    bool allowed, executed;
    double reward, penalty;
    std::uint32_t signals;
  };
  void Record(const AuditEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    rows_.push_back({e.env_id, e.episode, e.step, std::string(e.action->payload), e.decision->allowed(), e.executed,
                     e.reward, e.penalty, e.signals});
  }
  std::vector<Row> rows() {
    std::lock_guard<std::mutex> lock(mu_);
    return rows_;
  }

 private:
  std::mutex mu_;
  std::vector<Row> rows_;
};

inline Action Sql(std::string_view text) {
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = text;
  return a;
}

// One governed env over the word kernel and a scripted task.
struct SingleEnv {
  ScriptedFactory factory;
  std::unique_ptr<GovernedEnvironment> env;
  StepResult r;

  explicit SingleEnv(EnvironmentConfig cfg = {}, std::shared_ptr<const KernelSpace> kernel = WordKernel()) {
    Status s = GovernedEnvironment::Create(std::move(kernel), cfg, factory, &env);
    if (!s.ok()) throw std::runtime_error(s.ToString());
  }
  Status Step(std::string_view payload) {
    Action a = Sql(payload);
    StepInput in;
    in.action = &a;
    return env->Step(in, &r);
  }
};

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_ENV_ENV_TEST_SUPPORT_H_
