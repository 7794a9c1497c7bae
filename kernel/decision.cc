#include "kernel/decision.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace agentos {

Violation& Violation::Append(std::string_view text) {
  constexpr std::string_view kEllipsis = "...";
  std::size_t room = kMaxReasonBytes - reason_len_;
  if (text.size() <= room) {
    std::memcpy(reason_.data() + reason_len_, text.data(), text.size());
    reason_len_ = static_cast<std::uint8_t>(reason_len_ + text.size());
    reason_[reason_len_] = '\0';
    return *this;
  }
  // Cut, and mark the cut so a reader knows the reason is incomplete.
  std::size_t keep = kMaxReasonBytes - kEllipsis.size();
  if (reason_len_ < keep) {
    std::memcpy(reason_.data() + reason_len_, text.data(), keep - reason_len_);
  }
  std::memcpy(reason_.data() + keep, kEllipsis.data(), kEllipsis.size());
  reason_len_ = static_cast<std::uint8_t>(kMaxReasonBytes);
  reason_[reason_len_] = '\0';
  return *this;
}

Violation& Violation::Append(double value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return Append(std::string_view(buf, static_cast<std::size_t>(res.ptr - buf)));
}

Violation& Violation::Append(std::int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return Append(std::string_view(buf, static_cast<std::size_t>(res.ptr - buf)));
}

Violation& Violation::AppendQuoted(std::string_view text, std::size_t max_chars) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[4 * 64 + 8];
  std::size_t n = 0;
  buf[n++] = '\'';
  std::size_t limit = std::min<std::size_t>(max_chars, 64);
  std::size_t i = 0;
  for (; i < text.size() && i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\') {
      buf[n++] = '\\';
      buf[n++] = 'x';
      buf[n++] = kHex[c >> 4];
      buf[n++] = kHex[c & 15];
    } else {
      buf[n++] = static_cast<char>(c);
    }
  }
  buf[n++] = '\'';
  Append(std::string_view(buf, n));
  if (i < text.size()) Append("...");
  return *this;
}

Violation& Decision::Add(std::string_view policy, std::string_view rule, Severity severity) {
  ++total_;
  ++by_severity_[static_cast<int>(severity)];
  allowed_ = false;
  if (policy == kKernelPolicyName) hard_ = true;
  max_severity_ = std::max<std::int8_t>(max_severity_, static_cast<std::int8_t>(severity));
  Violation& v = count_ < kMaxViolations ? violations_[count_++] : scratch_;
  v.policy_ = policy;
  v.rule_ = rule;
  v.severity_ = severity;
  v.blocked_ = false;
  v.reason_len_ = 0;
  v.reason_[0] = '\0';
  return v;
}

void Decision::Finish(bool enforce) {
  allowed_ = total_ == 0 || (!enforce && !hard_);
  for (std::size_t i = 0; i < count_; ++i) {
    violations_[i].blocked_ = enforce || violations_[i].policy_ == kKernelPolicyName;
  }
}

}  // namespace agentos
