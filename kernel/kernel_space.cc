#include "kernel/kernel_space.h"

#include <algorithm>
#include <cmath>
#include <exception>

#include "kernel/action_screen.h"

namespace agentos {

Status KernelSpace::Create(std::vector<std::unique_ptr<Policy>> policies, EnforcementMode mode,
                           std::shared_ptr<const KernelSpace>* out) {
  if (out == nullptr) return Status::InvalidArgument("KernelSpace::Create: out is null");
  if (policies.empty()) {
    return Status::InvalidArgument(
        "a kernel needs at least one policy; use KernelSpace::AllowAll() to allow everything on purpose");
  }
  for (const auto& p : policies) {
    if (!p) return Status::InvalidArgument("KernelSpace::Create: null policy");
    if (p->name().empty()) return Status::InvalidArgument("a policy has an empty name");
    if (p->name() == kKernelPolicyName) {
      return Status::InvalidArgument("policy name 'kernel' is reserved for the kernel's own violations");
    }
  }
  std::sort(policies.begin(), policies.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  for (std::size_t i = 1; i < policies.size(); ++i) {
    if (policies[i - 1]->name() == policies[i]->name()) {
      return Status::InvalidArgument("two policies are named '" + policies[i]->name() + "'");
    }
  }
  std::shared_ptr<KernelSpace> k(new KernelSpace());
  k->policies_ = std::make_shared<const PolicyList>(std::move(policies));
  k->mode_ = mode;
  *out = std::move(k);
  return Status::Ok();
}

std::shared_ptr<const KernelSpace> KernelSpace::AllowAll() {
  return std::shared_ptr<const KernelSpace>(new KernelSpace());
}

std::shared_ptr<const KernelSpace> KernelSpace::WithMaxActionBytes(std::uint32_t max_action_bytes) const {
  std::shared_ptr<KernelSpace> k(new KernelSpace(*this));
  k->max_action_bytes_ = max_action_bytes == 0 ? 1 : max_action_bytes;
  return k;
}

Decision KernelSpace::Check(const Action& action) const {
  EpisodeState fresh;
  Decision d;
  Check(action, fresh, d);
  return d;
}

namespace {

// A numeric action is its values: none, or one that is not a number, is
// nothing a policy or a task could judge.
bool ValidateNumeric(const Action& a, Decision& out) {
  if (a.values.empty()) {
    out.Add(kKernelPolicyName, "kernel.invalid_action", Severity::kCritical).Append("numeric action without values");
    return false;
  }
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    if (!std::isfinite(a.values[i])) {
      out.Add(kKernelPolicyName, "kernel.invalid_action", Severity::kCritical)
          .Append("numeric action value ")
          .Append(static_cast<std::int64_t>(i))
          .Append(" is not finite");
      return false;
    }
  }
  return true;
}

// Validates what every policy relies on; an action that fails is denied
// before any policy sees it.
bool ValidateAction(const Action& a, Decision& out) {
  if (static_cast<int>(a.kind) >= kActionKindCount) {
    out.Add(kKernelPolicyName, "kernel.invalid_action", Severity::kCritical)
        .Append("unknown action kind ")
        .Append(static_cast<std::int64_t>(a.kind));
    return false;
  }
  if (!std::isfinite(a.cost_usd) || a.cost_usd < 0) {
    out.Add(kKernelPolicyName, "kernel.invalid_action", Severity::kCritical)
        .Append("cost_usd must be finite and >= 0, got ")
        .Append(a.cost_usd);
    return false;
  }
  if (a.tokens < 0) {
    out.Add(kKernelPolicyName, "kernel.invalid_action", Severity::kCritical)
        .Append("tokens must be >= 0, got ")
        .Append(a.tokens);
    return false;
  }
  if (a.kind == ActionKind::kNumeric) return ValidateNumeric(a, out);
  return true;
}

}  // namespace

void KernelSpace::Check(const Action& action, EpisodeState& state, Decision& out) const {
  out.Clear();
  if (ScreenAction(action, max_action_bytes_, out) && ValidateAction(action, out)) {
    for (const auto& policy : *policies_) {
      if (!policy->AppliesToAgent(action.agent_id)) continue;
      try {
        policy->Evaluate(action, state, out);
      } catch (const std::exception& e) {
        out.Add(kKernelPolicyName, "kernel.evaluation_error", Severity::kCritical)
            .Append("policy '")
            .Append(policy->name())
            .Append("' failed: ")
            .Append(e.what());
      } catch (...) {
        out.Add(kKernelPolicyName, "kernel.evaluation_error", Severity::kCritical)
            .Append("policy '")
            .Append(policy->name())
            .Append("' failed with an unknown error");
      }
    }
  }
  const bool enforce = mode_ == EnforcementMode::kEnforce;
  out.Finish(enforce);
  if (out.allowed()) {
    state.cost_usd += action.cost_usd;
    state.tokens += action.tokens;
    state.actions += 1;
    if (action.kind == ActionKind::kToolCall) state.tool_calls += 1;
  }
}

}  // namespace agentos
