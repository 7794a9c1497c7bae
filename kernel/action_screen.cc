#include "kernel/action_screen.h"

#include "kernel/utf8.h"

namespace agentos {

namespace {

// Checks one text field; returns false after adding a violation.
bool ScreenText(std::string_view field, std::string_view text, std::uint32_t max_bytes, Decision& out) {
  if (text.size() > max_bytes) {
    out.Add(kKernelPolicyName, "kernel.action_too_large", Severity::kHigh)
        .Append(field)
        .Append(" has ")
        .Append(static_cast<std::int64_t>(text.size()))
        .Append(" bytes, more than max_action_bytes ")
        .Append(static_cast<std::int64_t>(max_bytes));
    return false;
  }
  const std::size_t bad = FindInvalidUtf8OrNul(text);
  if (bad == text.size()) return true;
  if (text[bad] == '\0') {
    out.Add(kKernelPolicyName, "kernel.nul_byte", Severity::kHigh)
        .Append(field)
        .Append(" contains a NUL byte at ")
        .Append(static_cast<std::int64_t>(bad));
    return false;
  }
  out.Add(kKernelPolicyName, "kernel.invalid_utf8", Severity::kHigh)
      .Append(field)
      .Append(" is not valid UTF-8 at byte ")
      .Append(static_cast<std::int64_t>(bad));
  return false;
}

}  // namespace

bool ReportScreenProblems(const Action& action, std::uint32_t max_action_bytes, Decision& out) {
  bool ok = ScreenText("payload", action.payload, max_action_bytes, out);
  ok = ScreenText("tool", action.tool, max_action_bytes, out) && ok;
  if (!ok) return false;
  switch (action.kind) {
    case ActionKind::kSql:
    case ActionKind::kMessage:
      if (action.payload.empty()) {
        out.Add(kKernelPolicyName, "kernel.empty_action", Severity::kMedium)
            .Append("empty ")
            .Append(ToString(action.kind))
            .Append(" payload: nothing to run");
        return false;
      }
      break;
    case ActionKind::kToolCall:
      if (action.tool.empty()) {
        out.Add(kKernelPolicyName, "kernel.empty_action", Severity::kMedium).Append("tool_call without a tool name");
        return false;
      }
      break;
    case ActionKind::kSpend:
    case ActionKind::kNumeric:
      break;
  }
  return true;
}

}  // namespace agentos
