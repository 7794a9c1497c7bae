#include "env/signals.h"

namespace agentos {

std::uint32_t DecisionSignals(const Decision& d) {
  constexpr std::string_view kEpisodeBudgetRule = "cost.episode_budget";
  constexpr std::string_view kTokenBudgetRule = "cost.token_budget";
  std::uint32_t signals = 0;
  if (d.max_severity() == Severity::kCritical) signals |= Bit(Signal::kPolicy);
  if (!d.allowed()) {
    for (const Violation& v : d.violations()) {
      if (v.rule() == kEpisodeBudgetRule || v.rule() == kTokenBudgetRule) {
        signals |= Bit(Signal::kBudget);
        break;
      }
    }
  }
  return signals;
}

}  // namespace agentos
