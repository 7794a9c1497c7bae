#include "env/environment_config.h"

#include <cmath>

namespace agentos {

std::string_view ToString(AutoresetMode mode) {
  switch (mode) {
    case AutoresetMode::kNextStep: return "next_step";
    case AutoresetMode::kSameStep: return "same_step";
    case AutoresetMode::kDisabled: return "disabled";
  }
  return "invalid";
}

std::optional<AutoresetMode> ParseAutoresetMode(std::string_view text) {
  if (text == "next_step") return AutoresetMode::kNextStep;
  if (text == "same_step") return AutoresetMode::kSameStep;
  if (text == "disabled") return AutoresetMode::kDisabled;
  return std::nullopt;
}

Status EnvironmentConfig::Validate() const {
  if (max_steps == 0) return Status::InvalidArgument("max_steps must be >= 1");
  if (max_cost_usd && !(std::isfinite(*max_cost_usd) && *max_cost_usd > 0)) {
    return Status::InvalidArgument("max_cost_usd must be finite and > 0 when set");
  }
  if (max_action_bytes == 0) return Status::InvalidArgument("max_action_bytes must be >= 1");
  if (static_cast<int>(autoreset) > static_cast<int>(AutoresetMode::kDisabled)) {
    return Status::InvalidArgument("unknown autoreset mode " + std::to_string(static_cast<int>(autoreset)));
  }
  return reward.Validate();
}

}  // namespace agentos
