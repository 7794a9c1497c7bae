// AuditRecord: one decision as the flight recorder stores it. The single
// record type shared by the recorder (which writes it), the verifier (which
// recomputes its hash), the exporters (JSON, spans) and the statistics, so
// that none of them can disagree about what a record contains.
//
// A record is written once, after the verdict, and never updated. Its
// entry_hash covers every field below (see record_codec.h, hash_chain.h).
#ifndef AGENTOS_KERNEL_RECORDER_AUDIT_RECORD_H_
#define AGENTOS_KERNEL_RECORDER_AUDIT_RECORD_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/action.h"
#include "kernel/severity.h"

namespace agentos {

using Digest = std::array<std::uint8_t, 32>;  // a SHA-256 or HMAC-SHA-256 value

// How the stored payload relates to the action's payload. Values are stored
// in the log and covered by the hash; they never change.
enum class PayloadForm : std::uint8_t {
  kFull = 0,       // the payload, byte for byte
  kTruncated = 1,  // its first payload_max_bytes bytes; payload_len is the original length
  kRedacted = 2,   // the lower-case hex SHA-256 of the whole payload
};
inline constexpr int kPayloadFormCount = 3;
std::string_view ToString(PayloadForm form);

// Which decisions are recorded. Stored in the log header so that statistics
// never present a violations-only log as if it held every decision.
enum class RecordLevel : std::uint8_t {
  kAll = 0,         // every decision
  kViolations = 1,  // decisions with a violation, plus a deterministic sample of the rest
};
std::string_view ToString(RecordLevel level);
std::optional<RecordLevel> ParseRecordLevel(std::string_view text);

// ---- non-owning form: what the hot path encodes and the writer binds -------

struct ViolationView {
  std::string_view policy;
  std::string_view rule;
  Severity severity = Severity::kLow;
  bool blocked = false;
  std::string_view reason;
};

struct RecordView {
  std::uint64_t env_id = 0;
  std::string_view agent_id;
  std::uint64_t episode = 0;
  std::uint32_t step = 0;
  ActionKind kind = ActionKind::kSql;
  std::string_view tool;
  PayloadForm payload_form = PayloadForm::kFull;
  std::uint64_t payload_len = 0;  // length of the action's payload before truncation or redaction
  std::string_view payload;       // as stored (see payload_form)
  double cost_usd = 0.0;
  std::int64_t tokens = 0;
  bool allowed = true;
  std::uint32_t total_violations = 0;  // every violation found, kept or not
  std::span<const ViolationView> violations;  // the kept ones, in the kernel's order
  bool executed = false;
  std::uint32_t signals = 0;
  std::optional<double> reward;   // the step's reward, when the caller knows it
  std::optional<double> penalty;  // the policy penalties inside that reward (<= 0)
  // A numeric action's values and the state it was judged in, as
  // numeric_text.h renders them; both empty for any other action.
  std::string_view action_values;
  std::string_view action_state;
};

// ---- owning form: what readers get back from a log ------------------------

struct AuditViolation {
  std::string policy;
  std::string rule;
  Severity severity = Severity::kLow;
  bool blocked = false;
  std::string reason;
};

struct AuditRecord {
  std::uint64_t seq = 0;      // dense, from 1
  std::int64_t time_ns = 0;   // wall clock (CLOCK_REALTIME) when the record was queued
  std::uint64_t env_id = 0;
  std::string agent_id;
  std::uint64_t episode = 0;
  std::uint32_t step = 0;
  ActionKind kind = ActionKind::kSql;
  std::string tool;
  PayloadForm payload_form = PayloadForm::kFull;
  std::uint64_t payload_len = 0;
  std::string payload;
  double cost_usd = 0.0;
  std::int64_t tokens = 0;
  bool allowed = true;
  std::uint32_t total_violations = 0;
  std::vector<AuditViolation> violations;
  bool executed = false;
  std::uint32_t signals = 0;
  std::optional<double> reward;
  std::optional<double> penalty;
  std::string action_values;  // numeric_text.h; empty unless a numeric action
  std::string action_state;
  Digest prev_hash{};
  Digest entry_hash{};

  // A view of the content fields; `storage` receives the violation views and
  // must outlive the result.
  RecordView View(std::vector<ViolationView>* storage) const;
};

// Lower-case hex of bytes, and its inverse (false on odd length or a non-hex digit).
std::string ToHex(std::span<const std::uint8_t> bytes);
bool FromHex(std::string_view hex, std::vector<std::uint8_t>* out);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_AUDIT_RECORD_H_
