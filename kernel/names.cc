// Text names of the kernel's enums: the spelling used by YAML, JSON and logs.
#include "kernel/action.h"
#include "kernel/severity.h"

namespace agentos {

std::string_view ToString(Severity s) {
  switch (s) {
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "invalid";
}

std::optional<Severity> ParseSeverity(std::string_view text) {
  if (text == "low") return Severity::kLow;
  if (text == "medium") return Severity::kMedium;
  if (text == "high") return Severity::kHigh;
  if (text == "critical") return Severity::kCritical;
  return std::nullopt;
}

std::string_view ToString(ActionKind kind) {
  switch (kind) {
    case ActionKind::kSql: return "sql";
    case ActionKind::kToolCall: return "tool_call";
    case ActionKind::kSpend: return "spend";
    case ActionKind::kMessage: return "message";
    case ActionKind::kNumeric: return "numeric";
  }
  return "invalid";
}

std::optional<ActionKind> ParseActionKind(std::string_view text) {
  if (text == "sql") return ActionKind::kSql;
  if (text == "tool_call") return ActionKind::kToolCall;
  if (text == "spend") return ActionKind::kSpend;
  if (text == "message") return ActionKind::kMessage;
  if (text == "numeric") return ActionKind::kNumeric;
  return std::nullopt;
}

}  // namespace agentos
