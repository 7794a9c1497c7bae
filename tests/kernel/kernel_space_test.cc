// Specification of KernelSpace: deny overrides allow, order independence,
// fail-closed behaviour, audit mode and per-episode state.
#include <catch2/catch.hpp>

#include <limits>
#include <stdexcept>

#include "kernel/kernel_space.h"

using namespace agentos;

namespace {

// Flags payloads equal to `bad` with a fixed rule and severity.
class PayloadPolicy : public Policy {
 public:
  PayloadPolicy(std::string name, std::string bad, Severity sev)
      : Policy(std::move(name)), bad_(std::move(bad)), sev_(sev) {}
  std::string_view type() const override { return "test"; }
  void Evaluate(const Action& a, const EpisodeState&, Decision& out) const override {
    if (a.payload == bad_) out.Add(name(), "test.bad_payload", sev_).Append("payload is ").AppendQuoted(a.payload);
  }

 private:
  std::string bad_;
  Severity sev_;
};

class ThrowingPolicy : public Policy {
 public:
  using Policy::Policy;
  std::string_view type() const override { return "test"; }
  void Evaluate(const Action&, const EpisodeState&, Decision&) const override {
    throw std::runtime_error("boom");
  }
};

std::shared_ptr<const KernelSpace> Make(std::vector<std::unique_ptr<Policy>> ps,
                                        EnforcementMode mode = EnforcementMode::kEnforce) {
  std::shared_ptr<const KernelSpace> k;
  Status s = KernelSpace::Create(std::move(ps), mode, &k);
  REQUIRE(s.ok());
  return k;
}

Action Sql(std::string_view text) {
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = text;
  return a;
}

}  // namespace

TEST_CASE("a kernel with no policies is refused unless built as allow-all") {
  std::shared_ptr<const KernelSpace> k;
  Status s = KernelSpace::Create({}, EnforcementMode::kEnforce, &k);
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(k == nullptr);
  auto all = KernelSpace::AllowAll();
  CHECK(all->allow_all());
  CHECK(all->Check(Sql("DROP TABLE t")).allowed());
}

TEST_CASE("duplicate and reserved policy names are refused") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<PayloadPolicy>("a", "x", Severity::kLow));
  ps.push_back(std::make_unique<PayloadPolicy>("a", "y", Severity::kLow));
  std::shared_ptr<const KernelSpace> k;
  CHECK_FALSE(KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &k).ok());
  std::vector<std::unique_ptr<Policy>> ps2;
  ps2.push_back(std::make_unique<PayloadPolicy>("kernel", "x", Severity::kLow));
  CHECK_FALSE(KernelSpace::Create(std::move(ps2), EnforcementMode::kEnforce, &k).ok());
}

TEST_CASE("deny overrides allow: one violating policy denies the action") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<PayloadPolicy>("lenient", "never", Severity::kLow));
  ps.push_back(std::make_unique<PayloadPolicy>("strict", "bad", Severity::kHigh));
  auto k = Make(std::move(ps));
  Decision d = k->Check(Sql("bad"));
  CHECK_FALSE(d.allowed());
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].policy() == "strict");
  CHECK(d.violations()[0].rule() == "test.bad_payload");
  CHECK(d.violations()[0].severity() == Severity::kHigh);
  CHECK(d.violations()[0].blocked());
  CHECK(d.violations()[0].reason() == "payload is 'bad'");
  CHECK(k->Check(Sql("good")).allowed());
}

TEST_CASE("the order of policies does not change the decision or its violations") {
  auto build = [](bool reversed) {
    std::vector<std::unique_ptr<Policy>> ps;
    ps.push_back(std::make_unique<PayloadPolicy>("b_policy", "x", Severity::kMedium));
    ps.push_back(std::make_unique<PayloadPolicy>("a_policy", "x", Severity::kLow));
    ps.push_back(std::make_unique<PayloadPolicy>("c_policy", "x", Severity::kCritical));
    if (reversed) std::reverse(ps.begin(), ps.end());
    return Make(std::move(ps));
  };
  // Violation names point into the kernel, so both kernels stay alive.
  auto k1 = build(false);
  auto k2 = build(true);
  Decision d1 = k1->Check(Sql("x"));
  Decision d2 = k2->Check(Sql("x"));
  REQUIRE(d1.violations().size() == 3);
  REQUIRE(d2.violations().size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(d1.violations()[i].policy() == d2.violations()[i].policy());
    CHECK(d1.violations()[i].severity() == d2.violations()[i].severity());
  }
  CHECK(d1.violations()[0].policy() == "a_policy");
  CHECK(d1.max_severity() == Severity::kCritical);
}

TEST_CASE("fail closed: a policy that throws denies with a critical kernel violation") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<ThrowingPolicy>("flaky"));
  auto k = Make(std::move(ps));
  Decision d = k->Check(Sql("SELECT 1"));
  CHECK_FALSE(d.allowed());
  REQUIRE(d.violations().size() == 1);
  CHECK(d.violations()[0].policy() == "kernel");
  CHECK(d.violations()[0].rule() == "kernel.evaluation_error");
  CHECK(d.violations()[0].severity() == Severity::kCritical);
  CHECK(d.violations()[0].reason().find("flaky") != std::string_view::npos);
}

TEST_CASE("fail closed: invalid actions are denied before any policy runs") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<PayloadPolicy>("p", "never", Severity::kLow));
  auto k = Make(std::move(ps));
  Action a = Sql("SELECT 1");
  a.cost_usd = -1;
  CHECK_FALSE(k->Check(a).allowed());
  a.cost_usd = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(k->Check(a).allowed());
  a.cost_usd = std::numeric_limits<double>::infinity();
  CHECK_FALSE(k->Check(a).allowed());
  a.cost_usd = 0;
  a.tokens = -5;
  CHECK_FALSE(k->Check(a).allowed());
  a.tokens = 0;
  a.kind = static_cast<ActionKind>(42);
  Decision d = k->Check(a);
  CHECK_FALSE(d.allowed());
  CHECK(d.violations()[0].rule() == "kernel.invalid_action");
}

TEST_CASE("audit mode reports policy violations without blocking; kernel violations still block") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<PayloadPolicy>("p", "bad", Severity::kCritical));
  auto k = Make(std::move(ps), EnforcementMode::kAudit);
  Decision d = k->Check(Sql("bad"));
  CHECK(d.allowed());
  REQUIRE(d.violations().size() == 1);
  CHECK_FALSE(d.violations()[0].blocked());
  Action invalid = Sql("ok");
  invalid.cost_usd = -1;
  Decision d2 = k->Check(invalid);
  CHECK_FALSE(d2.allowed());
  CHECK(d2.violations()[0].blocked());
}

TEST_CASE("episode state grows only with actions the kernel lets execute") {
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::make_unique<PayloadPolicy>("p", "bad", Severity::kHigh));
  auto k = Make(std::move(ps));
  EpisodeState st;
  Decision d;
  Action a = Sql("ok");
  a.kind = ActionKind::kToolCall;
  a.tool = "search";
  a.cost_usd = 1.5;
  a.tokens = 10;
  k->Check(a, st, d);
  CHECK(d.allowed());
  a.payload = "bad";
  k->Check(a, st, d);
  CHECK_FALSE(d.allowed());
  CHECK(st.cost_usd == 1.5);
  CHECK(st.tokens == 10);
  CHECK(st.tool_calls == 1);
  CHECK(st.actions == 1);
  st.Reset();
  CHECK(st.actions == 0);
}

TEST_CASE("violations beyond capacity are counted, not kept") {
  std::vector<std::unique_ptr<Policy>> ps;
  for (int i = 0; i < 12; ++i) {
    ps.push_back(std::make_unique<PayloadPolicy>("p" + std::to_string(10 + i), "x", Severity::kLow));
  }
  auto k = Make(std::move(ps));
  Decision d = k->Check(Sql("x"));
  CHECK(d.violations().size() == Decision::kMaxViolations);
  CHECK(d.total_violations() == 12);
}

TEST_CASE("reasons are cut with a visible marker, never overflow") {
  Decision d;
  d.Clear();
  Violation& v = d.Add("p", "r", Severity::kLow);
  std::string longtext(1000, 'a');
  v.Append(longtext);
  CHECK(v.reason().size() == Violation::kMaxReasonBytes);
  CHECK(v.reason().substr(v.reason().size() - 3) == "...");
  Decision d2;
  d2.Clear();
  d2.Add("p", "r", Severity::kLow).AppendQuoted(std::string_view("a\0b'\n", 5));
  CHECK(d2.violations()[0].reason() == "'a\\x00b\\x27\\x0a'");
}

TEST_CASE("glob matching") {
  CHECK(GlobMatch("db.*", "db.query"));
  CHECK(GlobMatch("*", ""));
  CHECK(GlobMatch("a?c", "abc"));
  CHECK_FALSE(GlobMatch("a?c", "ac"));
  CHECK_FALSE(GlobMatch("db.*", "shell.exec"));
  CHECK(GlobMatch("*.exec*", "shell.exec_raw"));
  CHECK_FALSE(GlobMatch("DB.*", "db.query"));
}
