// The environment's own check of an action's bytes, run before the kernel:
// malformed text is denied with a reason whatever policies the kernel has
// (even an allow-all kernel), so a trainer can never push bytes that no
// policy understood into a task. Violations are filed under the reserved
// policy "kernel", which blocks even in audit mode.
//
//   rule                   severity  when
//   env.action_too_large   high      payload or tool longer than max_action_bytes (not read further)
//   env.invalid_utf8       high      payload or tool is not well-formed UTF-8 (overlongs,
//                                    surrogates and code points > U+10FFFF are malformed)
//   env.nul_byte           high      payload or tool contains a NUL byte (C APIs and SQLite stop
//                                    reading there, so what the kernel saw would not be what ran)
//   env.empty_action       medium    a sql or message action with an empty payload, or a
//                                    tool_call with an empty tool name
//
// None is critical: a model that emits an empty or garbled answer should
// lose reward, not end the episode (terminate_on_critical).
#ifndef AGENTOS_ENV_ACTION_SCREEN_H_
#define AGENTOS_ENV_ACTION_SCREEN_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/action.h"
#include "kernel/decision.h"

namespace agentos {

// Index of the first byte that is not part of well-formed UTF-8, or
// text.size() if it is all well-formed.
std::size_t FindInvalidUtf8(std::string_view text);

// Adds a violation to `out` for each problem found (at most one per field)
// and returns true if the action's bytes are acceptable. Does not Clear or
// Finish `out`. Allocation-free.
bool ScreenAction(const Action& action, std::uint32_t max_action_bytes, Decision& out);

}  // namespace agentos

#endif  // AGENTOS_ENV_ACTION_SCREEN_H_
