// CostControlPolicy: budgets in USD and tokens, per episode and per action.
//
// Episode totals are the caller's running sums plus this action, so they
// carry floating-point rounding (a hundred actions of 0.01 sum to
// 1.0000000000000007). They are compared with a relative tolerance of 1e-9
// of the limit, far below a cent for any realistic budget, so an episode
// that lands exactly on its budget is not denied by rounding noise. A single
// action's cost is one number, not a sum, and is compared exactly.
#include "policies/cost_control_policy.h"

#include <cmath>
#include <limits>

namespace agentos {
namespace {

constexpr double kEpisodeTolerance = 1e-9;

// Written as a negated <= so a NaN total (a corrupted caller-owned state)
// counts as exceeding: fail closed.
bool EpisodeTotalExceeds(double total, double limit) {
  return !(total <= limit + limit * kEpisodeTolerance);
}

class CostControlPolicy final : public Policy {
 public:
  CostControlPolicy(std::string name, const CostControlPolicyConfig& config)
      : Policy(std::move(name)), config_(config) {}

  std::string_view type() const override { return "cost"; }

  void Evaluate(const Action& action, const EpisodeState& state, Decision& out) const override {
    const Severity severity = config_.severity;
    if (config_.max_cost_usd) {
      const double limit = *config_.max_cost_usd;
      const double total = state.cost_usd + action.cost_usd;
      if (EpisodeTotalExceeds(total, limit)) {
        out.Add(name(), "cost.episode_budget", severity)
            .Append("episode cost ")
            .Append(total)
            .Append(" would exceed max_cost_usd ")
            .Append(limit)
            .Append(" (spent ")
            .Append(state.cost_usd)
            .Append(", this action ")
            .Append(action.cost_usd)
            .Append(")");
      }
    }
    if (config_.max_cost_per_action_usd) {
      const double limit = *config_.max_cost_per_action_usd;
      if (!(action.cost_usd <= limit)) {
        out.Add(name(), "cost.per_action", severity)
            .Append("action cost ")
            .Append(action.cost_usd)
            .Append(" exceeds max_cost_per_action_usd ")
            .Append(limit);
      }
    }
    if (config_.max_tokens) {
      const std::int64_t limit = *config_.max_tokens;
      std::int64_t total = 0;
      const bool overflow = __builtin_add_overflow(state.tokens, action.tokens, &total);
      if (overflow || total > limit) {
        Violation& v = out.Add(name(), "cost.token_budget", severity).Append("episode tokens ");
        if (overflow) {
          v.Append("overflow and would exceed");
        } else {
          v.Append(total).Append(" would exceed");
        }
        v.Append(" max_tokens ")
            .Append(limit)
            .Append(" (used ")
            .Append(state.tokens)
            .Append(", this action ")
            .Append(action.tokens)
            .Append(")");
      }
    }
  }

 private:
  const CostControlPolicyConfig config_;
};

Status CheckUsdLimit(std::string_view key, const std::optional<double>& limit) {
  if (limit && !(std::isfinite(*limit) && *limit >= 0)) {
    return Status::InvalidArgument(std::string(key) + " must be finite and >= 0, got " +
                                   std::to_string(*limit));
  }
  return Status::Ok();
}

}  // namespace

Status MakeCostControlPolicy(std::string name, const CostControlPolicyConfig& config,
                             std::unique_ptr<Policy>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeCostControlPolicy: out is null");
  if (!config.max_cost_usd && !config.max_cost_per_action_usd && !config.max_tokens) {
    return Status::InvalidArgument(
        "cost policy '" + name +
        "' sets no limit; set at least one of max_cost_usd, max_cost_per_action_usd, max_tokens");
  }
  if (Status s = CheckUsdLimit("max_cost_usd", config.max_cost_usd); !s.ok()) return s;
  if (Status s = CheckUsdLimit("max_cost_per_action_usd", config.max_cost_per_action_usd); !s.ok()) {
    return s;
  }
  if (config.max_tokens && *config.max_tokens < 0) {
    return Status::InvalidArgument("max_tokens must be >= 0, got " + std::to_string(*config.max_tokens));
  }
  if (static_cast<int>(config.severity) >= kSeverityCount) {
    return Status::InvalidArgument("cost policy '" + name + "' has an invalid severity");
  }
  *out = std::make_unique<CostControlPolicy>(std::move(name), config);
  return Status::Ok();
}

}  // namespace agentos
