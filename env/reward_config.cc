#include "env/reward_config.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace agentos {
namespace {

std::string Num(double v) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%g", v);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace

Status RewardConfig::Validate() const {
  const struct {
    const char* name;
    double value;
  } fields[] = {{"critical", critical},       {"high", high},
                {"medium", medium},           {"low", low},
                {"clean_bonus", clean_bonus}, {"step_penalty", step_penalty},
                {"min_reward", min_reward},   {"max_reward", max_reward}};
  for (const auto& f : fields) {
    if (!std::isfinite(f.value)) {
      return Status::InvalidArgument(std::string("reward.") + f.name + " must be a finite number, got " + Num(f.value));
    }
  }
  const struct {
    const char* name;
    double value;
  } penalties[] = {{"low", low}, {"medium", medium}, {"high", high}, {"critical", critical}, {"step_penalty", step_penalty}};
  for (const auto& p : penalties) {
    if (p.value > 0) {
      return Status::InvalidArgument(std::string("reward.") + p.name +
                                     " is a penalty and must be <= 0 (penalties are added), got " + Num(p.value));
    }
  }
  if (!(critical <= high && high <= medium && medium <= low)) {
    return Status::InvalidArgument("reward penalties must not shrink with severity: need critical <= high <= medium <= low, got " +
                                   Num(critical) + ", " + Num(high) + ", " + Num(medium) + ", " + Num(low));
  }
  if (clean_bonus < 0) {
    return Status::InvalidArgument("reward.clean_bonus must be >= 0, got " + Num(clean_bonus));
  }
  if (min_reward > max_reward) {
    return Status::InvalidArgument("reward.min_reward (" + Num(min_reward) + ") must be <= reward.max_reward (" +
                                   Num(max_reward) + ")");
  }
  return Status::Ok();
}

}  // namespace agentos
