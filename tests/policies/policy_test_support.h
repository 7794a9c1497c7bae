// Small builders shared by the policy specs.
#ifndef AGENTOS_TESTS_POLICIES_POLICY_TEST_SUPPORT_H_
#define AGENTOS_TESTS_POLICIES_POLICY_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <string_view>

#include "kernel/action.h"
#include "kernel/decision.h"
#include "kernel/episode_state.h"
#include "kernel/kernel_space.h"
#include "kernel/policy.h"

namespace agentos::testing {

inline Action ToolCall(std::string_view tool, std::string_view args = "{}") {
  Action a;
  a.kind = ActionKind::kToolCall;
  a.tool = tool;
  a.payload = args;
  return a;
}

inline Action Spend(double usd, std::int64_t tokens = 0) {
  Action a;
  a.kind = ActionKind::kSpend;
  a.cost_usd = usd;
  a.tokens = tokens;
  return a;
}

inline Action OfKind(ActionKind kind, std::string_view payload) {
  Action a;
  a.kind = kind;
  a.payload = payload;
  return a;
}

inline Action Sql(std::string_view text) { return OfKind(ActionKind::kSql, text); }

// Runs one policy on its own, as the kernel would.
inline Decision Evaluate(const Policy& policy, const Action& action, const EpisodeState& state = {}) {
  Decision d;
  d.Clear();
  policy.Evaluate(action, state, d);
  d.Finish(/*enforce=*/true);
  return d;
}

inline bool HasRule(const Decision& d, std::string_view rule) {
  for (const Violation& v : d.violations()) {
    if (v.rule() == rule) return true;
  }
  return false;
}

inline std::string Reasons(const Decision& d) {
  std::string out;
  for (const Violation& v : d.violations()) {
    out += std::string(v.rule()) + ": " + std::string(v.reason()) + "\n";
  }
  return out;
}

}  // namespace agentos::testing

#endif  // AGENTOS_TESTS_POLICIES_POLICY_TEST_SUPPORT_H_
