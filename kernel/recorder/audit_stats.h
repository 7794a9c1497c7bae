// Statistics of a log: totals, violation rate, and violations by policy,
// rule and severity. They say which record level the log was written at, so
// a violations-only log is never read as if it held every decision: its
// violation rate is taken over the decisions the recorder saw (from the last
// checkpoint), not over the records it kept.
//
// Statistics do not verify the log; run VerifyLog when that matters.
#ifndef AGENTOS_KERNEL_RECORDER_AUDIT_STATS_H_
#define AGENTOS_KERNEL_RECORDER_AUDIT_STATS_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "kernel/recorder/log_header.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

class AuditStore;

struct PolicyStats {
  std::uint64_t violations = 0;  // kept violation rows naming the policy
  std::uint64_t records = 0;     // records with at least one of them
  std::uint64_t blocked = 0;     // of those rows, the ones that blocked
};

struct AuditStats {
  RecordLevel level = RecordLevel::kAll;
  double sample_rate = 1.0;
  bool keyed = false;
  std::uint64_t records = 0;
  std::uint64_t violating_records = 0;  // records with total_violations > 0
  std::uint64_t blocked_records = 0;    // records whose action was denied
  std::uint64_t violations = 0;         // sum of total_violations (kept or not)
  std::uint64_t kept_violations = 0;    // violation rows (at most 8 per record)
  std::uint64_t first_seq = 0, last_seq = 0;
  std::int64_t first_time_ns = 0, last_time_ns = 0;
  // Decisions the recorder saw, recorded or sampled out, as of the newest
  // checkpoint (which covers checkpoint_records records).
  std::optional<std::uint64_t> decisions_seen;
  std::uint64_t checkpoint_records = 0;
  bool closed = false;  // the newest checkpoint was written by a clean close
  // violating_records / basis, where the basis is `records` at level all and
  // `decisions_seen` at level violations; nullopt when the basis is 0 or unknown.
  std::optional<double> violation_rate;
  std::string rate_basis;  // "records" | "decisions_seen" | "unknown"
  std::map<std::string, PolicyStats> by_policy;
  std::map<std::string, std::uint64_t> by_rule;  // "policy/rule" -> kept violation rows
  std::array<std::uint64_t, kSeverityCount> by_severity{};  // kept violation rows
};

// A non-OK status means the file is not a readable log.
Status ComputeStats(const std::string& path, AuditStats* out);
Status ComputeStats(AuditStore& store, const LogHeader& header, AuditStats* out);

std::string StatsToJson(const AuditStats& stats);
std::string StatsToText(const AuditStats& stats);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_AUDIT_STATS_H_
