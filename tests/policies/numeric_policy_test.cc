// Specification of NumericPolicy and of the kernel's checks of numeric
// actions: unconditional bounds, bounds in a zone of the task's state, a
// rule that cannot be decided is broken, non-numeric actions are not judged,
// and a numeric action without values or with a non-finite one is denied
// by the kernel itself.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "kernel/kernel_space.h"
#include "policies/numeric_policy.h"
#include "policies/policy_loader.h"

using namespace agentos;

namespace {

std::shared_ptr<const KernelSpace> Load(const char* yaml) {
  std::shared_ptr<const KernelSpace> k;
  Status s = LoadKernelFromYaml(yaml, "test.yaml", &k);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return k;
}

constexpr const char* kZone = R"(
version: 1
policies:
  - name: zone
    type: numeric
    severity: high
    rules:
      - {action_min: -1, action_max: 1}
      - {state_index: 0, above: 1.5, action_min: -1, action_max: 0}
)";

Decision Check(const KernelSpace& k, std::initializer_list<double> values, std::initializer_list<double> state) {
  static thread_local std::vector<double> v, s;
  v.assign(values);
  s.assign(state);
  Action a;
  a.kind = ActionKind::kNumeric;
  a.values = v;
  a.state = s;
  return k.Check(a);
}

}  // namespace

TEST_CASE("numeric: an unconditional bound denies values outside it") {
  auto k = Load(kZone);
  CHECK(Check(*k, {0.5}, {0.0}).allowed());
  const Decision d = Check(*k, {1.5}, {0.0});
  REQUIRE_FALSE(d.allowed());
  CHECK(d.violations()[0].rule() == "numeric.out_of_range");
  CHECK(d.violations()[0].policy() == "zone");
  CHECK(d.violations()[0].severity() == Severity::kHigh);
}

TEST_CASE("numeric: a zoned bound applies only inside the zone") {
  auto k = Load(kZone);
  CHECK(Check(*k, {1.0}, {1.0}).allowed());
  const Decision d = Check(*k, {1.0}, {2.0});
  REQUIRE_FALSE(d.allowed());
  CHECK(d.violations()[0].rule() == "numeric.zone");
  CHECK(std::string(d.violations()[0].reason()) ==
        "action value 0 = 1 outside [-1, 0] while state value 0 = 2");
  CHECK(Check(*k, {-1.0}, {2.0}).allowed());
}

TEST_CASE("numeric: a rule that cannot be decided is broken (fail closed)") {
  auto k = Load(kZone);
  const Decision no_state = Check(*k, {0.0}, {});
  REQUIRE_FALSE(no_state.allowed());
  CHECK(no_state.violations()[0].rule() == "numeric.missing_value");
  const Decision nan_state = Check(*k, {0.0}, {std::numeric_limits<double>::quiet_NaN()});
  REQUIRE_FALSE(nan_state.allowed());
  CHECK(nan_state.violations()[0].rule() == "numeric.missing_value");
}

TEST_CASE("numeric: the kernel denies numeric actions without values or with non-finite ones") {
  auto k = KernelSpace::AllowAll();
  const Decision empty = Check(*k, {}, {});
  REQUIRE_FALSE(empty.allowed());
  CHECK(empty.violations()[0].rule() == "kernel.invalid_action");
  const Decision inf = Check(*k, {0.0, std::numeric_limits<double>::infinity()}, {});
  REQUIRE_FALSE(inf.allowed());
  CHECK(std::string(inf.violations()[0].reason()) == "numeric action value 1 is not finite");
  CHECK(Check(*k, {3.0}, {}).allowed());
}

TEST_CASE("numeric: other kinds are not judged") {
  auto k = Load(kZone);
  Action a;
  a.kind = ActionKind::kMessage;
  a.payload = "hello";
  CHECK(k->Check(a).allowed());
}

TEST_CASE("numeric: bad policy files are refused, naming the problem") {
  auto refused = [](const char* yaml, const char* needle) {
    std::shared_ptr<const KernelSpace> k;
    Status s = LoadKernelFromYaml(yaml, "bad.yaml", &k);
    INFO(s.ToString());
    CHECK_FALSE(s.ok());
    CHECK(s.message().find(needle) != std::string::npos);
  };
  refused("version: 1\npolicies:\n  - {name: n, type: numeric, rules: []}\n", "'rules' must be a non-empty list");
  refused("version: 1\npolicies:\n  - {name: n, type: numeric, rules: [{action_min: 2, action_max: 1}]}\n",
          "action_min > action_max");
  refused("version: 1\npolicies:\n  - {name: n, type: numeric, rules: [{action_min: 0, action_max: .inf}]}\n",
          "'action_max' must be a finite number");
  refused("version: 1\npolicies:\n  - {name: n, type: numeric, rules: [{action_min: 0, action_max: 1, state_index: 0}]}\n",
          "'state_index' needs 'above' or 'below'");
  refused("version: 1\npolicies:\n  - {name: n, type: numeric, rules: [{action_min: 0, action_max: 1, zone: 2}]}\n",
          "zone");
}
