#include "kernel/recorder/audit_record.h"

namespace agentos {

std::string_view ToString(PayloadForm form) {
  switch (form) {
    case PayloadForm::kFull: return "full";
    case PayloadForm::kTruncated: return "truncated";
    case PayloadForm::kRedacted: return "redacted";
  }
  return "invalid";
}

std::string_view ToString(RecordLevel level) {
  switch (level) {
    case RecordLevel::kAll: return "all";
    case RecordLevel::kViolations: return "violations";
  }
  return "invalid";
}

std::optional<RecordLevel> ParseRecordLevel(std::string_view text) {
  if (text == "all") return RecordLevel::kAll;
  if (text == "violations") return RecordLevel::kViolations;
  return std::nullopt;
}

RecordView AuditRecord::View(std::vector<ViolationView>* storage) const {
  storage->clear();
  storage->reserve(violations.size());
  for (const AuditViolation& v : violations) {
    storage->push_back(ViolationView{v.policy, v.rule, v.severity, v.blocked, v.reason});
  }
  RecordView r;
  r.env_id = env_id;
  r.agent_id = agent_id;
  r.episode = episode;
  r.step = step;
  r.kind = kind;
  r.tool = tool;
  r.payload_form = payload_form;
  r.payload_len = payload_len;
  r.payload = payload;
  r.cost_usd = cost_usd;
  r.tokens = tokens;
  r.allowed = allowed;
  r.total_violations = total_violations;
  r.violations = *storage;
  r.executed = executed;
  r.signals = signals;
  r.reward = reward;
  r.penalty = penalty;
  r.action_values = action_values;
  r.action_state = action_state;
  return r;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = kDigits[bytes[i] >> 4];
    s[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return s;
}

bool FromHex(std::string_view hex, std::vector<std::uint8_t>* out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  std::vector<std::uint8_t> bytes(hex.size() / 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int hi = nibble(hex[2 * i]);
    int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  *out = std::move(bytes);
  return true;
}

}  // namespace agentos
