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
};
inline constexpr int kActionKindCount = 4;

std::string_view ToString(ActionKind kind);
// Accepts "sql", "tool_call", "spend", "message".
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
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_ACTION_H_
