// Policy: one named set of rules. Implementations are immutable after
// construction and safe to call from many threads at once.
#ifndef AGENTOS_KERNEL_POLICY_H_
#define AGENTOS_KERNEL_POLICY_H_

#include <string>
#include <string_view>
#include <vector>

#include "kernel/action.h"
#include "kernel/decision.h"
#include "kernel/episode_state.h"

namespace agentos {

class Policy {
 public:
  explicit Policy(std::string name) : name_(std::move(name)) {}
  virtual ~Policy() = default;
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  const std::string& name() const { return name_; }
  // "sql", "cost", "tool", "content": the YAML `type`.
  virtual std::string_view type() const = 0;

  // Adds one violation to `out` (via out.Add(name(), rule, severity)) per
  // broken rule. `state` is what the agent has consumed so far this episode,
  // NOT including `action`. Must not allocate on the common path. May throw
  // only on a bug; the kernel turns any exception into a critical denial.
  virtual void Evaluate(const Action& action, const EpisodeState& state, Decision& out) const = 0;

  // Restricts the policy to agents whose id matches one of these globs
  // (`*`, `?`); empty means every agent. Set once, before the kernel is built.
  void set_agent_scope(std::vector<std::string> globs) { agent_scope_ = std::move(globs); }
  const std::vector<std::string>& agent_scope() const { return agent_scope_; }
  // Inline: every check asks, and most policies have no scope.
  bool AppliesToAgent(std::string_view agent_id) const {
    return agent_scope_.empty() || MatchesAgentScope(agent_id);
  }

 private:
  bool MatchesAgentScope(std::string_view agent_id) const;
  std::string name_;
  std::vector<std::string> agent_scope_;
};

// Shell-style glob: `*` any run, `?` any one byte; everything else literal,
// case-sensitive. Linear time, no allocation.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_POLICY_H_
