// KernelSpace: an immutable, thread-safe set of policies that answers
// "may this agent do this?".
//
// Semantics (tested in tests/kernel):
//  * deny overrides allow: any violation from any policy denies the action;
//  * the order policies are given in does not change the decision: policies
//    are kept sorted by name, so even the order of violations is fixed;
//  * fail closed: an invalid action (unknown kind, negative or non-finite
//    cost, negative tokens) or any error inside a policy denies, with a
//    critical violation of the reserved policy "kernel";
//  * a kernel with no policies cannot be built, except by AllowAll();
//  * in audit mode policy violations are reported but not blocked; the
//    kernel's own violations (invalid action, policy failure) still block.
#ifndef AGENTOS_KERNEL_KERNEL_SPACE_H_
#define AGENTOS_KERNEL_KERNEL_SPACE_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernel/action.h"
#include "kernel/decision.h"
#include "kernel/episode_state.h"
#include "kernel/policy.h"
#include "kernel/status.h"

namespace agentos {

enum class EnforcementMode : std::uint8_t {
  kEnforce = 0,  // violations block the action
  kAudit = 1,    // violations are reported, nothing is blocked
};

class KernelSpace {
 public:
  // Fails on an empty policy list, a null policy or two policies with one name.
  static Status Create(std::vector<std::unique_ptr<Policy>> policies, EnforcementMode mode,
                       std::shared_ptr<const KernelSpace>* out);
  // A kernel that allows everything: must be asked for by name.
  static std::shared_ptr<const KernelSpace> AllowAll();

  // Decides `action` as the first action of a fresh episode. Commits nothing.
  Decision Check(const Action& action) const;
  // Decides `action` given what this episode has consumed. When the decision
  // lets the action execute (allowed() is true) its cost,
  // tokens and call are added to `state`.
  void Check(const Action& action, EpisodeState& state, Decision& out) const;

  EnforcementMode mode() const { return mode_; }
  bool allow_all() const { return policies_.empty(); }
  std::span<const std::unique_ptr<Policy>> policies() const { return policies_; }

 private:
  KernelSpace() = default;
  std::vector<std::unique_ptr<Policy>> policies_;  // sorted by name
  EnforcementMode mode_ = EnforcementMode::kEnforce;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_KERNEL_SPACE_H_
