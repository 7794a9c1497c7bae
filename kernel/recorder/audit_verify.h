// Verification of a flight recorder log: recomputes every record's hash from
// what the tables hold now, checks every link, the density of the sequence
// numbers, the header, the checkpoint rows and the checkpoint file, and
// names the first thing that is wrong.
#ifndef AGENTOS_KERNEL_RECORDER_AUDIT_VERIFY_H_
#define AGENTOS_KERNEL_RECORDER_AUDIT_VERIFY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/recorder/audit_record.h"
#include "kernel/recorder/log_header.h"
#include "kernel/status.h"

namespace agentos {

class AuditStore;

struct VerifyOptions {
  // The log's HMAC key. Given a key, verification always uses HMAC, whatever
  // the header claims; a keyed log cannot be verified without it.
  std::vector<std::uint8_t> key;
  // When false, a missing checkpoint file is only noted (truncation of the
  // newest records then cannot be ruled out).
  bool require_checkpoint_file = true;
};

struct VerifyResult {
  bool valid = false;
  std::uint64_t records = 0;        // records that verified, in order from 1
  std::uint64_t first_bad_seq = 0;  // the first bad record; 0 if the fault is not one record's
  std::string message;              // "record 1234: hash mismatch (...)" or a summary when valid
  Digest head{};                    // entry_hash of the last record that verified
  int format_version = 0;           // the log's header format (kOldestLogFormatVersion..kLogFormatVersion)
  std::uint64_t checkpoint_records = 0;  // what the checkpoint file covers
  bool closed = false;                   // the checkpoint file was written by a clean close
  std::vector<std::string> notes;        // facts worth knowing that do not invalidate the log
};

// A non-OK status means the file could not be checked at all (missing,
// empty, not SQLite, not an agentos log, damaged, or keyed and no key given);
// otherwise *result says whether the log is intact.
Status VerifyLog(const std::string& path, const VerifyOptions& options, VerifyResult* result);

// The same for an opened store; `checkpoint_text` is the checkpoint file's
// content (nullopt when there is none).
Status VerifyStore(AuditStore& store, const LogHeader& header, const VerifyOptions& options,
                   const std::optional<std::string>& checkpoint_text, VerifyResult* result);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_AUDIT_VERIFY_H_
