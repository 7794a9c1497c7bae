// Severity of a policy violation. One enum, one order, used everywhere
// (reward tables, termination, audit records, the C API).
#ifndef AGENTOS_KERNEL_SEVERITY_H_
#define AGENTOS_KERNEL_SEVERITY_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace agentos {

// Ordered: a larger value is more severe. The numeric values are part of
// the C API (AGENTOS_SEVERITY_*) and must never change.
enum class Severity : std::uint8_t { kLow = 0, kMedium = 1, kHigh = 2, kCritical = 3 };
inline constexpr int kSeverityCount = 4;

std::string_view ToString(Severity s);
// Accepts "low", "medium", "high", "critical" (lower case only).
std::optional<Severity> ParseSeverity(std::string_view text);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_SEVERITY_H_
