// Helpers shared by the SQL policy specifications: the two policies the
// specifications use, and a one-call check that returns the decision.
#ifndef AGENTOS_TESTS_SQL_SQL_TEST_SUPPORT_H_
#define AGENTOS_TESTS_SQL_SQL_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <string_view>

#include "kernel/kernel_space.h"
#include "policies/sql_policy.h"

namespace agentos::sqltest {

// allow [SELECT, INSERT, UPDATE], deny [DROP, DELETE, TRUNCATE],
// require_where_on_update: true (examples/policies/sql_safety.yaml).
inline SqlPolicyConfig ThreeRuleConfig() {
  SqlPolicyConfig c;
  c.allow = {"SELECT", "INSERT", "UPDATE"};
  c.deny = {"DROP", "DELETE", "TRUNCATE"};
  c.require_where_on_update = true;
  return c;
}

// The Python SQLPolicy() with no arguments.
inline SqlPolicyConfig DefaultConfig() { return SqlPolicyConfig{}; }

inline std::shared_ptr<const KernelSpace> KernelFor(const SqlPolicyConfig& config) {
  std::unique_ptr<Policy> p;
  Status s = MakeSqlPolicy("sql_safety", config, &p);
  if (!s.ok()) return nullptr;
  std::vector<std::unique_ptr<Policy>> ps;
  ps.push_back(std::move(p));
  std::shared_ptr<const KernelSpace> k;
  if (!KernelSpace::Create(std::move(ps), EnforcementMode::kEnforce, &k).ok()) return nullptr;
  return k;
}

inline const KernelSpace& ThreeRule() {
  static const auto k = KernelFor(ThreeRuleConfig());
  return *k;
}

inline const KernelSpace& Default() {
  static const auto k = KernelFor(DefaultConfig());
  return *k;
}

inline Action SqlAction(std::string_view text) {
  Action a;
  a.kind = ActionKind::kSql;
  a.payload = text;
  return a;
}

inline Decision Check(const KernelSpace& k, std::string_view text) { return k.Check(SqlAction(text)); }

// True if some violation of `d` has rule `rule`.
inline bool HasRule(const Decision& d, std::string_view rule) {
  for (const auto& v : d.violations()) {
    if (v.rule() == rule) return true;
  }
  return false;
}

inline std::string Describe(const Decision& d) {
  std::string out = d.allowed() ? "allowed" : "denied";
  for (const auto& v : d.violations()) {
    out += "\n  ";
    out += v.rule();
    out += " [";
    out += ToString(v.severity());
    out += "] ";
    out += v.reason();
  }
  return out;
}

}  // namespace agentos::sqltest

#endif  // AGENTOS_TESTS_SQL_SQL_TEST_SUPPORT_H_
