// Action: one thing an agent wants to do, as the kernel sees it.
// Non-owning: every view must outlive the check that reads it, which is what
// lets the check path run without allocating.
#ifndef AGENTOS_KERNEL_ACTION_H_
#define AGENTOS_KERNEL_ACTION_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace agentos {

// The numeric values are part of the C API (AGENTOS_ACTION_*).
enum class ActionKind : std::uint8_t {
  kSql = 0,       // payload is SQL text
  kToolCall = 1,  // tool names the tool; payload is its arguments (any text, often JSON)
  kSpend = 2,     // cost_usd / tokens are the point; payload optional
  kMessage = 3,   // payload is text the agent emits (a reply, a prompt)
  kNumeric = 4,   // values is the action (a numeric task's; env/task_api.h); payload optional
};
inline constexpr int kActionKindCount = 5;

std::string_view ToString(ActionKind kind);
// Accepts "sql", "tool_call", "spend", "message", "numeric".
std::optional<ActionKind> ParseActionKind(std::string_view text);

struct Attribute {
  std::string_view key;
  std::string_view value;
};

struct Action {
  ActionKind kind = ActionKind::kSql;
  std::string_view agent_id;
  std::string_view tool;     // tool name for kToolCall; free otherwise
  std::string_view payload;  // SQL text, tool arguments, message text
  double cost_usd = 0.0;     // what executing this action costs; must be finite and >= 0
  std::int64_t tokens = 0;   // tokens it consumes; must be >= 0
  std::span<const Attribute> attributes;
  // kNumeric: the action's values (a discrete action is one integral value).
  // Every value must be finite, and a numeric action needs at least one.
  std::span<const double> values;
  // kNumeric: the state the task reports the action is taken in (its
  // numeric observation, as doubles; empty when it reports none), for rules
  // that depend on where the agent is (policies/numeric_policy.h).
  std::span<const double> state;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_ACTION_H_
