#include "kernel/signal.h"

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

std::optional<Signal> SignalFromBit(std::uint32_t bit) {
  if (bit == 0 || (bit & (bit - 1)) != 0 || (bit & ~kAllSignalsMask) != 0) return std::nullopt;
  return static_cast<Signal>(bit);
}

std::vector<std::string> SignalNames(std::uint32_t mask) {
  std::vector<std::string> names;
  for (int i = 0; i < 32; ++i) {
    if ((mask & (1u << i)) == 0) continue;
    if (i < kSignalCount) {
      names.emplace_back(ToString(SignalAt(i)));
    } else {
      names.push_back("bit" + std::to_string(i));
    }
  }
  return names;
}

}  // namespace agentos
