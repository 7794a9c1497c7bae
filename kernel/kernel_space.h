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
//  * the kernel screens every action's bytes before any policy sees it
//    (kernel/action_screen.h: empty, oversized, NUL, invalid UTF-8), so every
//    caller of Check (C API, CLI, Python, environments) gets one decision;
//  * in audit mode policy violations are reported but not blocked; the
//    kernel's own violations (malformed or invalid action, policy failure)
//    still block.
#ifndef AGENTOS_KERNEL_KERNEL_SPACE_H_
#define AGENTOS_KERNEL_KERNEL_SPACE_H_

#include <cstdint>
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

  // Actions whose payload or tool is longer than this are denied unread
  // (kernel.action_too_large); every kernel starts with this limit.
  static constexpr std::uint32_t kDefaultMaxActionBytes = 64 * 1024;
  // The same policies and mode with another limit (>= 1; 0 is taken as 1).
  // Shares the policies, so it is cheap; this kernel is unchanged.
  std::shared_ptr<const KernelSpace> WithMaxActionBytes(std::uint32_t max_action_bytes) const;

  // Decides `action` as the first action of a fresh episode. Commits nothing.
  Decision Check(const Action& action) const;
  // Decides `action` given what this episode has consumed. When the decision
  // lets the action execute (allowed() is true) its cost,
  // tokens and call are added to `state`.
  void Check(const Action& action, EpisodeState& state, Decision& out) const;

  EnforcementMode mode() const { return mode_; }
  std::uint32_t max_action_bytes() const { return max_action_bytes_; }
  bool allow_all() const { return policies_->empty(); }
  std::span<const std::unique_ptr<Policy>> policies() const { return *policies_; }

 private:
  using PolicyList = std::vector<std::unique_ptr<Policy>>;
  KernelSpace() = default;
  // Sorted by name; shared by the kernels WithMaxActionBytes makes.
  std::shared_ptr<const PolicyList> policies_ = std::make_shared<const PolicyList>();
  EnforcementMode mode_ = EnforcementMode::kEnforce;
  std::uint32_t max_action_bytes_ = kDefaultMaxActionBytes;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_KERNEL_SPACE_H_
