#include "policies/numeric_policy.h"

#include <cmath>
#include <limits>
#include <span>

namespace agentos {
namespace {

// A rule as the check reads it: the zone as two plain bounds (an absent
// side is an infinity no finite state passes), so judging a rule that does
// not apply is two compares, with no optional to unpack.
struct CompiledRule {
  std::uint32_t state_index;
  std::uint32_t action_index;
  bool zoned;
  double above;  // +inf when the rule has no `above`
  double below;  // -inf when the rule has no `below`
  double action_min, action_max;
  const NumericRule* rule;  // for the reasons
};

class NumericPolicy final : public Policy {
 public:
  NumericPolicy(std::string name, const NumericPolicyConfig& config) : Policy(std::move(name)), config_(config) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    compiled_.reserve(config_.rules.size());
    for (const NumericRule& r : config_.rules) {
      compiled_.push_back({r.state_index, r.action_index, r.above.has_value() || r.below.has_value(),
                           r.above.value_or(kInf), r.below.value_or(-kInf), r.action_min, r.action_max, &r});
    }
  }

  std::string_view type() const override { return "numeric"; }

  void Evaluate(const Action& action, const EpisodeState&, Decision& out) const override {
    if (action.kind != ActionKind::kNumeric) return;
    // Nearly every action breaks no rule: a scan that calls nothing (so it
    // saves no registers), then, only when some rule may be broken, the
    // rule-by-rule pass that says which and why.
    if (!AllRulesHold(action.values, action.state)) ReportBrokenRules(action, out);
  }

 private:
  bool AllRulesHold(std::span<const double> values, std::span<const double> state) const {
    for (const CompiledRule& c : compiled_) {
      if (c.zoned) {
        if (c.state_index >= state.size()) return false;
        const double s = state[c.state_index];
        if (!std::isfinite(s)) return false;
        if (!(s > c.above || s < c.below)) continue;  // outside the zone
      }
      if (c.action_index >= values.size()) return false;
      const double v = values[c.action_index];
      if (!(v >= c.action_min && v <= c.action_max)) return false;
    }
    return true;
  }

  [[gnu::noinline]] void ReportBrokenRules(const Action& action, Decision& out) const {
    const std::span<const double> values = action.values, state = action.state;
    for (const CompiledRule& c : compiled_) {
      if (c.zoned) {
        // No such state value, or not a finite one: the rule cannot be decided.
        if (c.state_index >= state.size() || !std::isfinite(state[c.state_index])) {
          Broken(*c.rule, action, out);
          continue;
        }
        const double s = state[c.state_index];
        if (!(s > c.above || s < c.below)) continue;  // outside the zone
      }
      if (c.action_index >= values.size()) {
        Broken(*c.rule, action, out);
        continue;
      }
      const double v = values[c.action_index];
      if (v >= c.action_min && v <= c.action_max) continue;
      OutOfBounds(*c.rule, c.zoned, action, out);
    }
  }

  // The rule's value (or zone's state value) is missing: cold, out of line.
  void Broken(const NumericRule& rule, const Action& action, Decision& out) const {
    const bool zoned = rule.above || rule.below;
    if (zoned && (rule.state_index >= action.state.size() || !std::isfinite(action.state[rule.state_index]))) {
      out.Add(name(), "numeric.missing_value", config_.severity)
          .Append("the task reports no finite state value ")
          .Append(static_cast<std::int64_t>(rule.state_index));
      return;
    }
    out.Add(name(), "numeric.missing_value", config_.severity)
        .Append("the action has no value ")
        .Append(static_cast<std::int64_t>(rule.action_index));
  }

  void OutOfBounds(const NumericRule& rule, bool zoned, const Action& action, Decision& out) const {
    const double v = action.values[rule.action_index];
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
  std::vector<CompiledRule> compiled_;  // points into config_.rules
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
