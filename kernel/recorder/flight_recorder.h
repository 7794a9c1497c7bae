// FlightRecorder: a tamper-evident, crash-safe audit log of every decision.
//
// Each decision becomes one AuditRecord, written once, after the verdict,
// into an SQLite file (audit_store.h) and linked into a hash chain
// (hash_chain.h). Producers (VectorEnv workers, runners, the C API) only
// encode, hash and hand the record over in a short critical section; one
// writer thread commits whatever has queued up as one transaction (group
// commit).
//
// Durability (what a crash can take away):
//   kSync     synchronous=FULL: the WAL is fsynced at every group commit. A
//             record counts as committed (committed_seq()) once its group's
//             COMMIT returned, and then survives process crash and power
//             loss. Lost on a crash: records still queued (at most two
//             buffers of queue_capacity, or group_commit_us of them) —
//             never reported as committed.
//   kRelaxed  synchronous=NORMAL: a committed record survives a process
//             crash (it is in the WAL, in the OS page cache) but the last
//             commits before a power loss or kernel crash may be lost (the
//             WAL is fsynced only when SQLite checkpoints it, about every
//             4 MB). The database stays consistent; a lost tail shows up in
//             `verify` as records missing behind the checkpoint file.
// A full queue blocks the producer (backpressure); records are never
// dropped. A failed write or fsync is fatal: the recorder stops accepting,
// every later call fails with that error, and nothing is retried.
//
// Threat model (what `agentos audit verify` proves):
//   * Without a key, the chain detects accidental corruption and edits by
//     anyone who does not also recompute the hashes. Someone with write
//     access to the file can rewrite the whole log (and its checkpoint
//     file) consistently: an unkeyed log proves nothing against them.
//   * With an HMAC key (held by the verifier, not by whoever can write the
//     file), no record, header field or checkpoint can be changed, inserted,
//     removed or reordered without verification failing: forging needs the
//     key. Verifying with the key always uses HMAC, whatever the header says.
//   * Truncation (removing the newest records, or the whole tail of the file)
//     leaves a valid chain; it is detected by the checkpoint file as long as
//     that file survives and is newer than the cut. Records written after the
//     last checkpoint (at most checkpoint_every records or
//     checkpoint_interval_ms of recording) of a log that was not closed can
//     be cut undetectably. A clean Close() writes a final checkpoint. Deleting
//     the checkpoint file makes `verify` fail (unless told not to require it).
//   * Nothing here stops deletion of the whole log; ship checkpoints (or the
//     head hash from `verify`) somewhere else to anchor it.
#ifndef AGENTOS_KERNEL_RECORDER_FLIGHT_RECORDER_H_
#define AGENTOS_KERNEL_RECORDER_FLIGHT_RECORDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel/audit_sink.h"
#include "kernel/recorder/audit_record.h"
#include "kernel/recorder/log_header.h"
#include "kernel/status.h"

namespace agentos {

struct RecorderOptions {
  Durability durability = Durability::kSync;
  RecordLevel level = RecordLevel::kAll;
  // At kViolations: the share of violation-free decisions also recorded,
  // chosen by a hash of (env_id, episode, step), so the same decisions are
  // sampled in every run. Ignored (stored as 1) at kAll.
  double sample_rate = 0.0;
  // Empty: SHA-256 chain. Otherwise HMAC-SHA-256 under this key; the same
  // bytes are needed to verify and to append.
  std::vector<std::uint8_t> hmac_key;
  // Payloads longer than this are cut (at a UTF-8 boundary); the original
  // length is recorded. At most kMaxPayloadBytes.
  std::uint32_t payload_max_bytes = 4096;
  // Store the hex SHA-256 of each payload instead of the payload.
  bool redact_payloads = false;
  // Records per queue buffer; the queue holds at most two buffers.
  std::uint32_t queue_capacity = 8192;
  // A checkpoint every this many records, and at least every
  // checkpoint_interval_ms while records arrive.
  std::uint32_t checkpoint_every = 8192;
  std::uint32_t checkpoint_interval_ms = 1000;
  // Group-commit wait: when the writer finds a small group (less than half
  // of queue_capacity queued), it waits up to this many microseconds for
  // more records before committing. The wait ends early when the queue
  // reaches half full, on Flush() and on Close(). 0 commits whatever is
  // queued at once. The trade-off: a record can stay uncommitted (lost on a
  // crash, not yet in committed_seq()) this much longer, in exchange for
  // fewer, larger transactions when records trickle in — in kSync mode that
  // means one fsync for many records instead of one per record or two; in
  // kRelaxed mode it saves the per-commit WAL frame writes. Under full
  // load groups are large anyway and the writer never waits.
  std::uint32_t group_commit_us = 1000;
  // Called on the writer thread after every group commit with the highest
  // committed seq, before Flush() waiters are released. Must be quick and
  // must not call back into the recorder.
  std::function<void(std::uint64_t)> on_commit;

  static constexpr std::uint32_t kMaxPayloadBytes = 1u << 20;
  static constexpr std::uint32_t kMaxQueueCapacity = 1u << 20;
  static constexpr std::uint32_t kMaxGroupCommitUs = 1000000;  // 1 s
};

// What Record() throws when the recorder cannot take a record (AuditSink has
// no other way to fail). Append() returns the same status instead.
class AuditError : public std::runtime_error {
 public:
  explicit AuditError(Status status) : std::runtime_error(status.message()), status_(std::move(status)) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

class FlightRecorder final : public AuditSink {
 public:
  // Creates the log at `path` (missing, empty, or an SQLite file without
  // tables that a crash left half-created; refused if its checkpoint file
  // covers records) or appends to the agentos log already there. Appending requires the same
  // key, level and sample rate, and refuses a log that is shorter than its
  // checkpoint file (appending would hide the truncation). Refused with a
  // StateError while another recorder, in this process or another, has the
  // log open (writer_lock.h); Close() releases it.
  static Status Open(const std::string& path, RecorderOptions options, std::shared_ptr<FlightRecorder>* out);

  ~FlightRecorder() override;  // closes; an error nobody saw is printed to stderr
  FlightRecorder(const FlightRecorder&) = delete;
  FlightRecorder& operator=(const FlightRecorder&) = delete;

  // AuditSink: thread-safe; blocks only while the queue is full. Throws
  // AuditError if the recorder is closed or has failed.
  void Record(const AuditEvent& event) override;

  // The same, returning the failure. *seq (may be null) receives the
  // record's sequence number, or 0 if the level sampled the decision out.
  Status Append(const AuditEvent& event, std::uint64_t* seq = nullptr);
  // For callers without a Decision (the C API): `content` describes the
  // decision with the action's whole payload; payload_form and payload_len
  // are ignored and set by the recorder.
  Status Append(const RecordView& content, std::uint64_t* seq = nullptr);

  // Waits until every record appended before the call is committed.
  Status Flush();
  // Drains the queue, writes the final checkpoint and closes the file.
  // Idempotent; returns the recorder's first error if it ever failed.
  Status Close();

  // Highest seq whose group commit has returned (see durability above).
  std::uint64_t committed_seq() const;
  // Highest seq handed out so far.
  std::uint64_t last_seq() const;
  // Decisions offered (recorded or sampled out).
  std::uint64_t decisions_seen() const;
  // OK, or the error that stopped the recorder.
  Status status() const;

  const std::string& path() const;
  const LogHeader& header() const;
  const RecorderOptions& options() const;

 private:
  struct Impl;  // the queue, the writer thread and its SQLite store (flight_recorder.cc)
  FlightRecorder();
  std::unique_ptr<Impl> impl_;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_FLIGHT_RECORDER_H_
