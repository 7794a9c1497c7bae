// Exporting a log: as JSON (an array of records, written with cereal) or as
// Agent-Lightning LightningStore spans (an array of `Span` objects).
//
// Spans: one per record, named "agent_os.policy_check", every key of the
// v0.x Span model present. rollout_id is "agentos-<file id prefix>-env<E>-ep<P>"
// (one rollout per env episode), attempt_id "attempt-1", sequence_id the
// record's seq (monotonic within every rollout and stable across partial
// exports). trace_id is derived from (file id, env, episode), span_id from
// the record's entry_hash. Attributes live only in the agent_os.* namespace
// (never agentlightning.reward.*: an audit span is not a reward). Each kept
// violation is an "agent_os.violation" event. status_code is "OK" when the
// action was allowed and "ERROR" (with the first violation as description)
// when it was denied.
//
// Export does not verify: run VerifyLog first when the log's integrity matters.
#ifndef AGENTOS_KERNEL_RECORDER_AUDIT_EXPORT_H_
#define AGENTOS_KERNEL_RECORDER_AUDIT_EXPORT_H_

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "kernel/recorder/audit_record.h"
#include "kernel/recorder/log_header.h"
#include "kernel/status.h"

namespace agentos {

class AuditStore;

enum class ExportFormat : std::uint8_t { kJson = 0, kSpans = 1 };
std::optional<ExportFormat> ParseExportFormat(std::string_view text);  // "json" | "spans"

struct ExportOptions {
  ExportFormat format = ExportFormat::kJson;
  std::uint64_t after_seq = 0;    // export records with seq > after_seq (a cursor for incremental readers)
  std::uint64_t max_records = 0;  // 0: no limit
  // JSON Lines (https://jsonlines.org): one object per line and no
  // enclosing array, so a reader can stream the export record by record.
  bool json_lines = false;
};

struct ExportSummary {
  std::uint64_t records = 0;   // records written
  std::uint64_t last_seq = 0;  // seq of the last one written (after_seq if none)
};

// Writes one JSON array to `out` (or JSON Lines, see ExportOptions). A non-OK status means the file is not a
// readable log or holds a malformed row (nothing useful can be exported).
Status ExportLog(const std::string& path, const ExportOptions& options, std::ostream& out, ExportSummary* summary);
Status ExportStore(AuditStore& store, const LogHeader& header, const ExportOptions& options, std::ostream& out,
                   ExportSummary* summary);

// One record as a JSON object (the elements of the json format).
std::string RecordToJson(const AuditRecord& record);
// One record as a LightningStore Span JSON object.
std::string RecordToSpanJson(const AuditRecord& record, const LogHeader& header);

// The ids a record's span gets.
std::string RolloutIdFor(const LogHeader& header, std::uint64_t env_id, std::uint64_t episode);
std::string TraceIdFor(const LogHeader& header, std::uint64_t env_id, std::uint64_t episode);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_AUDIT_EXPORT_H_
