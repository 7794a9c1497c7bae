#include "env/signals.h"

namespace agentos {

std::string_view ToString(Signal s) {
  switch (s) {
    case Signal::kStop: return "SIGSTOP";
    case Signal::kCont: return "SIGCONT";
    case Signal::kKill: return "SIGKILL";
    case Signal::kTerm: return "SIGTERM";
    case Signal::kPolicy: return "SIGPOLICY";
    case Signal::kBudget: return "SIGBUDGET";
  }
  return "invalid";
}

std::optional<Signal> ParseSignal(std::string_view name) {
  for (int i = 0; i < kSignalCount; ++i) {
    if (ToString(SignalAt(i)) == name) return SignalAt(i);
  }
  return std::nullopt;
}

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

std::optional<Signal> SignalFromBit(std::uint32_t bit) {
  if (bit == 0 || (bit & (bit - 1)) != 0 || (bit & ~kAllSignalsMask) != 0) return std::nullopt;
  return static_cast<Signal>(bit);
}

}  // namespace agentos
