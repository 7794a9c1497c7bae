// The text a task is given when the kernel blocked its action
// (Task::OnBlocked): which policy, which rule, how severe, and why, one line
// per kept violation of the decision, in the decision's order:
//
//   policy <policy>, rule <rule>, <severity>: <reason>
//
// followed by "and <k> more violation(s)" when the decision counted more
// than it kept. Deterministic: the decision alone decides the text.
#ifndef AGENTOS_ENV_BLOCKED_FEEDBACK_H_
#define AGENTOS_ENV_BLOCKED_FEEDBACK_H_

#include <string>

#include "kernel/decision.h"

namespace agentos {

// Replaces *out's content; reusing *out allocates nothing once it is large
// enough (a decision keeps at most 8 violations of at most 191 bytes each).
void FormatBlockedReason(const Decision& decision, std::string* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_BLOCKED_FEEDBACK_H_
