// LogHeader: what a log says about itself (its `meta` table). Every field
// is bound into the chain through the genesis value, so none can be edited
// without breaking record 1, and a format-2 header holds exactly these keys.
//
// Format 1 (written before format 2 existed) bound only the fields that
// change how records must be read (format, version, file id, creation time,
// level, sample rate, hash algorithm); its durability, payload_max_bytes and
// redact_payloads were informational and can be edited undetected. Format-1
// logs are still read, verified (reported as format 1) and appended to in
// their own format.
#ifndef AGENTOS_KERNEL_RECORDER_LOG_HEADER_H_
#define AGENTOS_KERNEL_RECORDER_LOG_HEADER_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "kernel/recorder/audit_record.h"
#include "kernel/status.h"

namespace agentos {

inline constexpr std::string_view kLogFormatName = "agentos-audit";
// What new logs are written as, and the oldest format still read.
inline constexpr int kLogFormatVersion = 2;
inline constexpr int kOldestLogFormatVersion = 1;

enum class Durability : std::uint8_t {
  kSync = 0,     // every group commit is fsynced: a committed record survives power loss
  kRelaxed = 1,  // commits reach the OS but are fsynced only at WAL checkpoints: survives a process crash
};
std::string_view ToString(Durability d);

struct LogHeader {
  int version = kLogFormatVersion;
  std::array<std::uint8_t, 16> file_id{};  // random, names this log (and binds its checkpoint file)
  std::int64_t created_ns = 0;
  RecordLevel level = RecordLevel::kAll;
  double sample_rate = 1.0;  // share of violation-free decisions kept at level kViolations
  bool keyed = false;        // HMAC-SHA-256 chain (else SHA-256)
  Digest key_check{};        // ChainHasher::KeyCheck(file_id), keyed logs only
  Digest genesis{};          // previous hash of record 1
  // What the log was created with (an appending session may use other
  // settings; each record carries its own payload form). Bound into the
  // chain from format 2 on.
  Durability durability = Durability::kSync;
  std::uint32_t payload_max_bytes = 0;
  bool redact_payloads = false;

  std::string_view file_id_view() const {
    return {reinterpret_cast<const char*>(file_id.data()), file_id.size()};
  }
  // The canonical bytes the genesis value is computed over (in the header's
  // own format version).
  std::string ChainEncoding() const;
  // As `meta` rows, and back. FromMeta names the first missing or bad key.
  std::map<std::string, std::string> ToMeta() const;
  static Status FromMeta(const std::map<std::string, std::string>& meta, LogHeader* out);
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_LOG_HEADER_H_
