#include "policies/numeric_policy.h"

#include <cmath>

namespace agentos {
namespace {

class NumericPolicy final : public Policy {
 public:
  NumericPolicy(std::string name, const NumericPolicyConfig& config) : Policy(std::move(name)), config_(config) {}

  std::string_view type() const override { return "numeric"; }

  void Evaluate(const Action& action, const EpisodeState&, Decision& out) const override {
    if (action.kind != ActionKind::kNumeric) return;
    for (const NumericRule& rule : config_.rules) Check(rule, action, out);
  }

 private:
  void Check(const NumericRule& rule, const Action& action, Decision& out) const {
    const bool zoned = rule.above || rule.below;
    if (zoned) {
      if (rule.state_index >= action.state.size() || !std::isfinite(action.state[rule.state_index])) {
        out.Add(name(), "numeric.missing_value", config_.severity)
            .Append("the task reports no finite state value ")
            .Append(static_cast<std::int64_t>(rule.state_index));
        return;
      }
      const double s = action.state[rule.state_index];
      const bool inside_zone = (rule.above && s > *rule.above) || (rule.below && s < *rule.below);
      if (!inside_zone) return;
    }
    if (rule.action_index >= action.values.size()) {
      out.Add(name(), "numeric.missing_value", config_.severity)
          .Append("the action has no value ")
          .Append(static_cast<std::int64_t>(rule.action_index));
      return;
    }
    const double v = action.values[rule.action_index];
    if (v >= rule.action_min && v <= rule.action_max) return;
    Violation& violation = out.Add(name(), zoned ? "numeric.zone" : "numeric.out_of_range", config_.severity);
    violation.Append("action value ")
        .Append(static_cast<std::int64_t>(rule.action_index))
        .Append(" = ")
        .Append(v)
        .Append(" outside [")
        .Append(rule.action_min)
        .Append(", ")
        .Append(rule.action_max)
        .Append("]");
    if (zoned) {
      violation.Append(" while state value ")
          .Append(static_cast<std::int64_t>(rule.state_index))
          .Append(" = ")
          .Append(action.state[rule.state_index]);
    }
  }

  const NumericPolicyConfig config_;
};

}  // namespace

Status MakeNumericPolicy(std::string name, const NumericPolicyConfig& config, std::unique_ptr<Policy>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeNumericPolicy: out is null");
  const std::string what = "numeric policy '" + name + "'";
  if (config.rules.empty()) return Status::InvalidArgument(what + " has no rule");
  for (std::size_t i = 0; i < config.rules.size(); ++i) {
    const NumericRule& r = config.rules[i];
    const std::string rule = what + " rule " + std::to_string(i);
    if (!std::isfinite(r.action_min) || !std::isfinite(r.action_max)) {
      return Status::InvalidArgument(rule + ": action_min and action_max must be finite");
    }
    if (r.action_min > r.action_max) return Status::InvalidArgument(rule + ": action_min > action_max");
    if ((r.above && !std::isfinite(*r.above)) || (r.below && !std::isfinite(*r.below))) {
      return Status::InvalidArgument(rule + ": above and below must be finite");
    }
  }
  if (static_cast<int>(config.severity) >= kSeverityCount) {
    return Status::InvalidArgument(what + " has an invalid severity");
  }
  *out = std::make_unique<NumericPolicy>(std::move(name), config);
  return Status::Ok();
}

}  // namespace agentos
