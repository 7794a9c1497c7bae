// ToolPolicy: allow/deny globs on the tool name, and a per-episode call cap.
//
// A tool name that is empty or holds a control byte (NUL, newline, ...) can
// not be what a glob author meant, and could make a log line lie about what
// was called; it is denied as tool.invalid_name and not matched against the
// globs at all.
#include "policies/tool_policy.h"

namespace agentos {
namespace {

bool HasControlByte(std::string_view text) {
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return true;
  }
  return false;
}

class ToolPolicy final : public Policy {
 public:
  ToolPolicy(std::string name, const ToolPolicyConfig& config)
      : Policy(std::move(name)), config_(config) {}

  std::string_view type() const override { return "tool"; }

  void Evaluate(const Action& action, const EpisodeState& state, Decision& out) const override {
    if (action.kind != ActionKind::kToolCall) return;
    const std::string_view tool = action.tool;
    if (tool.empty()) {
      out.Add(name(), "tool.invalid_name", config_.severity).Append("tool name is empty");
    } else if (HasControlByte(tool)) {
      out.Add(name(), "tool.invalid_name", config_.severity)
          .Append("tool name ")
          .AppendQuoted(tool)
          .Append(" contains a control character");
    } else {
      CheckName(tool, out);
    }
    if (config_.max_calls) {
      // 64-bit so that a state at UINT32_MAX cannot wrap to 0.
      const std::uint64_t calls = static_cast<std::uint64_t>(state.tool_calls) + 1;
      if (calls > *config_.max_calls) {
        out.Add(name(), "tool.call_limit", config_.severity)
            .Append("tool call ")
            .Append(static_cast<std::int64_t>(calls))
            .Append(" would exceed max_calls ")
            .Append(static_cast<std::int64_t>(*config_.max_calls));
      }
    }
  }

 private:
  void CheckName(std::string_view tool, Decision& out) const {
    for (const std::string& glob : config_.deny) {
      if (GlobMatch(glob, tool)) {
        out.Add(name(), "tool.denied", config_.severity)
            .Append("tool ")
            .AppendQuoted(tool)
            .Append(" matches deny glob ")
            .AppendQuoted(glob);
        return;  // deny overrides allow: nothing more to say about the name
      }
    }
    if (config_.allow.empty()) return;
    for (const std::string& glob : config_.allow) {
      if (GlobMatch(glob, tool)) return;
    }
    out.Add(name(), "tool.not_allowed", config_.severity)
        .Append("tool ")
        .AppendQuoted(tool)
        .Append(" matches no allow glob");
  }

  const ToolPolicyConfig config_;
};

Status CheckGlobs(std::string_view policy, std::string_view key, const std::vector<std::string>& globs) {
  for (const std::string& g : globs) {
    if (g.empty()) {
      return Status::InvalidArgument("tool policy '" + std::string(policy) + "': " + std::string(key) +
                                     " holds an empty glob");
    }
  }
  return Status::Ok();
}

}  // namespace

Status MakeToolPolicy(std::string name, const ToolPolicyConfig& config, std::unique_ptr<Policy>* out) {
  if (out == nullptr) return Status::InvalidArgument("MakeToolPolicy: out is null");
  if (config.allow.empty() && config.deny.empty() && !config.max_calls) {
    return Status::InvalidArgument("tool policy '" + name +
                                   "' has no rule; set at least one of allow, deny, max_calls");
  }
  if (Status s = CheckGlobs(name, "allow", config.allow); !s.ok()) return s;
  if (Status s = CheckGlobs(name, "deny", config.deny); !s.ok()) return s;
  if (static_cast<int>(config.severity) >= kSeverityCount) {
    return Status::InvalidArgument("tool policy '" + name + "' has an invalid severity");
  }
  *out = std::make_unique<ToolPolicy>(std::move(name), config);
  return Status::Ok();
}

}  // namespace agentos
