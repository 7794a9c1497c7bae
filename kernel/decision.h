// Decision: the kernel's answer to one action. Fixed size, no heap: a check
// fills a caller-owned Decision in place, millions of times a second.
#ifndef AGENTOS_KERNEL_DECISION_H_
#define AGENTOS_KERNEL_DECISION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/severity.h"

namespace agentos {

// The reserved policy name for violations the kernel itself raises (invalid
// actions, policy failures). These block even in audit mode: what the kernel
// cannot understand is never let through.
inline constexpr std::string_view kKernelPolicyName = "kernel";

// One broken rule: which policy, which rule, how bad, and why.
class Violation {
 public:
  static constexpr std::size_t kMaxReasonBytes = 191;

  // policy() and rule() view NUL-terminated text (see Decision::Add), and the
  // reason is stored NUL-terminated, so the C API hands all three out as C
  // strings that live exactly as long as this violation, with no copy.
  std::string_view policy() const { return policy_; }  // valid while the KernelSpace lives
  std::string_view rule() const { return rule_; }      // static storage
  Severity severity() const { return severity_; }
  bool blocked() const { return blocked_; }
  std::string_view reason() const { return {reason_.data(), reason_len_}; }
  const char* reason_c_str() const { return reason_.data(); }

  // Reason building, used by policies. Text beyond kMaxReasonBytes is cut and
  // the reason ends in "..." so a reader knows it was cut.
  Violation& Append(std::string_view text);
  Violation& Append(double value);          // shortest round-trip form
  Violation& Append(std::int64_t value);
  Violation& AppendQuoted(std::string_view text, std::size_t max_chars = 48);  // 'text', control bytes escaped

 private:
  friend class Decision;
  std::string_view policy_;
  std::string_view rule_;
  Severity severity_ = Severity::kLow;
  bool blocked_ = false;
  std::uint8_t reason_len_ = 0;
  std::array<char, kMaxReasonBytes + 1> reason_{};  // always NUL-terminated at reason_len_
};

class Decision {
 public:
  // Violations beyond this many are counted (total_violations) but not kept.
  static constexpr std::size_t kMaxViolations = 8;

  bool allowed() const { return allowed_; }
  std::span<const Violation> violations() const { return {violations_.data(), count_}; }
  // Every violation found, including those not kept.
  std::uint32_t total_violations() const { return total_; }
  // Violations of one severity, including those not kept (their severity is
  // counted even when the violation itself is not).
  std::uint32_t count(Severity s) const { return by_severity_[static_cast<int>(s)]; }
  // The most severe violation found, if any.
  std::optional<Severity> max_severity() const {
    if (max_severity_ < 0) return std::nullopt;
    return static_cast<Severity>(max_severity_);
  }

  // ---- used by the kernel and by policies -------------------------------
  void Clear() {
    allowed_ = true;
    hard_ = false;
    count_ = 0;
    total_ = 0;
    max_severity_ = -1;
    by_severity_ = {};
  }
  // Records a violation and returns it so the caller can write its reason.
  // When kMaxViolations are already kept, returns a scratch slot that is
  // counted but not kept (so policies never need to check capacity).
  // policy and rule must view NUL-terminated text that outlives the decision
  // (a policy's name(), a string literal): readers hand them out as C strings.
  Violation& Add(std::string_view policy, std::string_view rule, Severity severity);
  // Applies the enforcement mode after all policies ran: in enforce mode every
  // violation blocks and any violation denies; in audit mode only the
  // kernel's own violations do.
  void Finish(bool enforce);

 private:
  bool allowed_ = true;
  bool hard_ = false;  // a kernel violation was added
  std::uint8_t count_ = 0;
  std::int8_t max_severity_ = -1;
  std::uint32_t total_ = 0;
  std::array<std::uint32_t, kSeverityCount> by_severity_{};
  std::array<Violation, kMaxViolations> violations_;
  Violation scratch_;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_DECISION_H_
