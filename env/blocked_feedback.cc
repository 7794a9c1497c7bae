#include "env/blocked_feedback.h"

#include <charconv>

#include "kernel/severity.h"

namespace agentos {

void FormatBlockedReason(const Decision& decision, std::string* out) {
  out->clear();
  for (const Violation& v : decision.violations()) {
    if (!out->empty()) out->push_back('\n');
    out->append("policy ");
    out->append(v.policy());
    out->append(", rule ");
    out->append(v.rule());
    out->append(", ");
    out->append(ToString(v.severity()));
    out->append(": ");
    out->append(v.reason());
  }
  const std::uint32_t kept = static_cast<std::uint32_t>(decision.violations().size());
  if (decision.total_violations() > kept) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, decision.total_violations() - kept);
    if (!out->empty()) out->push_back('\n');
    out->append("and ");
    out->append(buf, static_cast<std::size_t>(end - buf));
    out->append(" more violation(s)");
  }
  if (out->empty()) out->append("the kernel denied the action");
}

}  // namespace agentos
