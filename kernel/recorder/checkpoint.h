// Checkpoints: (record count, head hash) pairs written apart from the log,
// so that cutting records off the end of a log is detected.
//
// The recorder writes one every `checkpoint_every` records (and at least once
// a second while records arrive) and one at close, in two places:
//   * the `checkpoints` table, inside the same transaction as the records it
//     covers: a history of anchors a reader can publish elsewhere; on its own
//     it cannot reveal truncation, since whoever deletes rows can delete it too;
//   * the checkpoint file LOG.checkpoint, replaced atomically (write a
//     temporary file, rename it over the old one) AFTER the records it covers
//     are committed. A log with fewer records than its checkpoint file, or
//     whose record at that count has another hash, was truncated or rewritten.
// Each carries a MAC over its fields under the log's key (plain SHA-256 for
// unkeyed logs, which only catches accidents).
#ifndef AGENTOS_KERNEL_RECORDER_CHECKPOINT_H_
#define AGENTOS_KERNEL_RECORDER_CHECKPOINT_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "kernel/recorder/audit_record.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/status.h"

namespace agentos {

struct Checkpoint {
  std::uint64_t records = 0;    // records 1..records are covered
  Digest head{};                // entry_hash of record `records` (the genesis value when 0)
  std::uint64_t decisions = 0;  // decisions the recorder had seen, recorded or sampled out
  bool closed = false;          // written by a clean close
  std::int64_t time_ns = 0;
  Digest mac{};

  // M("agentos-audit/checkpoint/v1" 0 | file_id | records | head | decisions | closed | time_ns).
  Digest ComputeMac(ChainHasher& hasher, std::string_view file_id) const;
};

std::string CheckpointPathFor(std::string_view log_path);

// Replaces the checkpoint file atomically. With `sync`, the file and its
// directory are fsynced so the new checkpoint survives power loss.
Status WriteCheckpointFile(const std::string& path, std::string_view file_id, const Checkpoint& cp, bool sync);

// NotFound if the file does not exist, ParseError if it is not a checkpoint
// file written by this format.
Status ReadCheckpointFile(const std::string& path, std::string* file_id, Checkpoint* cp);
// The same for the file's text; `name` says what the text is in messages.
Status ParseCheckpointText(std::string_view text, const std::string& name, std::string* file_id, Checkpoint* cp);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_CHECKPOINT_H_
