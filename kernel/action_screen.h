// The kernel's check of an action's bytes, run before any policy sees it:
// malformed text is denied with a reason whatever policies the kernel has
// (even an allow-all kernel), so no caller can push bytes that no policy
// understood past the kernel. Violations are filed under the reserved policy
// "kernel", which blocks even in audit mode.
//
//   rule                      severity  when
//   kernel.action_too_large   high      payload or tool longer than the kernel's max_action_bytes
//                                       (not read further)
//   kernel.invalid_utf8       high      payload or tool is not well-formed UTF-8 (kernel/utf8.h)
//   kernel.nul_byte           high      payload or tool contains a NUL byte (C APIs and SQLite stop
//                                       reading there, so what the kernel saw would not be what ran)
//   kernel.empty_action       medium    a sql or message action with an empty payload, or a
//                                       tool_call with an empty tool name
//
// None is critical: a model that emits an empty or garbled answer should
// lose reward, not end the episode (terminate_on_critical).
#ifndef AGENTOS_KERNEL_ACTION_SCREEN_H_
#define AGENTOS_KERNEL_ACTION_SCREEN_H_

#include <cstdint>
#include <string_view>

#include "kernel/action.h"
#include "kernel/decision.h"
#include "kernel/utf8.h"

namespace agentos {

// Adds a violation to `out` for each problem found (at most one per field)
// and returns false; the action's bytes are acceptable when nothing is found.
// Does not Clear or Finish `out`. Allocation-free.
bool ReportScreenProblems(const Action& action, std::uint32_t max_action_bytes, Decision& out);

// True if the action's bytes are acceptable; else ReportScreenProblems.
// Inline because every check starts here: the common case (nothing wrong)
// costs two scans (none for empty fields: a numeric action's) and a few
// compares.
inline bool ScreenAction(const Action& action, std::uint32_t max_action_bytes, Decision& out) {
  const std::string_view payload = action.payload, tool = action.tool;
  const bool payload_ok =
      payload.empty() || (payload.size() <= max_action_bytes && FindInvalidUtf8OrNul(payload) == payload.size());
  const bool tool_ok = tool.empty() || (tool.size() <= max_action_bytes && FindInvalidUtf8OrNul(tool) == tool.size());
  const bool needs_payload = action.kind == ActionKind::kSql || action.kind == ActionKind::kMessage;
  const bool needs_tool = action.kind == ActionKind::kToolCall;
  if (payload_ok && tool_ok && !(needs_payload && payload.empty()) && !(needs_tool && tool.empty())) return true;
  return ReportScreenProblems(action, max_action_bytes, out);
}

}  // namespace agentos

#endif  // AGENTOS_KERNEL_ACTION_SCREEN_H_
