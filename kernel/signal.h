// Signal: the bits of a step's signal mask, and their names. Environments
// raise and receive signals (env/signals.h says what each one does); the
// kernel's recorder stores the mask of every recorded step and its exports
// write the names, so the bit values and names live here, below both. The
// bit values are part of the C API (AGENTOS_SIG_*) and never change.
#ifndef AGENTOS_KERNEL_SIGNAL_H_
#define AGENTOS_KERNEL_SIGNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentos {

enum class Signal : std::uint32_t {
  kStop = 1u << 0,
  kCont = 1u << 1,
  kKill = 1u << 2,
  kTerm = 1u << 3,
  kPolicy = 1u << 4,
  kBudget = 1u << 5,
};
inline constexpr int kSignalCount = 6;
inline constexpr std::uint32_t kAllSignalsMask = (1u << kSignalCount) - 1;

constexpr std::uint32_t Bit(Signal s) { return static_cast<std::uint32_t>(s); }
// 0 for SIGSTOP .. 5 for SIGBUDGET: the index into per-signal counters.
constexpr int SignalIndex(Signal s) { return __builtin_ctz(static_cast<std::uint32_t>(s)); }
constexpr Signal SignalAt(int index) { return static_cast<Signal>(1u << index); }

// "SIGSTOP", "SIGCONT", "SIGKILL", "SIGTERM", "SIGPOLICY", "SIGBUDGET".
std::string_view ToString(Signal s);
// Accepts the names above; nullopt for anything else.
std::optional<Signal> ParseSignal(std::string_view name);
// Accepts exactly one of the bit values above.
std::optional<Signal> SignalFromBit(std::uint32_t bit);

// The names of the bits set in `mask`, lowest bit first. A bit no signal
// owns (a mask recorded by a caller, not by an environment) is named
// "bit<N>" (N from 0), so a mask is never shown as less than it is.
std::vector<std::string> SignalNames(std::uint32_t mask);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_SIGNAL_H_
