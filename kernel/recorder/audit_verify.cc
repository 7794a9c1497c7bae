#include "kernel/recorder/audit_verify.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "kernel/recorder/audit_store.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/record_codec.h"

namespace agentos {
namespace {

std::string Seq(std::uint64_t s) { return std::to_string(s); }

// A read transaction, so records, violations and checkpoint rows are read
// from one snapshot even while a recorder keeps appending.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite3* db) : db_(db) { ok_ = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK; }
  ~ReadSnapshot() {
    if (ok_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  sqlite3* db_;
  bool ok_ = false;
};

class Verifier {
 public:
  Verifier(AuditStore& store, const LogHeader& header, const VerifyOptions& options, VerifyResult* result)
      : store_(store), header_(header), options_(options), result_(result), hasher_(options.key) {}

  Status Run(const std::optional<std::string>& checkpoint_text);

 private:
  bool Fail(std::uint64_t seq, std::string message) {
    result_->valid = false;
    result_->first_bad_seq = seq;
    result_->message = std::move(message);
    return false;
  }
  bool CheckHeader();
  bool CheckCheckpointRows(const std::vector<Checkpoint>& rows);
  bool CheckCheckpointFile(const std::optional<std::string>& text);
  const Digest* HashAt(std::uint64_t count) const {
    if (count == 0) return &genesis_;
    auto it = wanted_.find(count);
    return it == wanted_.end() || !it->second ? nullptr : &*it->second;
  }

  AuditStore& store_;
  const LogHeader& header_;
  const VerifyOptions& options_;
  VerifyResult* result_;
  ChainHasher hasher_;
  Digest genesis_{};
  std::uint64_t last_ = 0;  // records in the log (all verified when the scan passed)
  // entry_hash of the records that checkpoints name, filled during the scan.
  std::map<std::uint64_t, std::optional<Digest>> wanted_;
  // The checkpoint file, parsed before the scan.
  Status file_status_;
  std::string file_id_;
  Checkpoint file_cp_;
};

bool Verifier::CheckHeader() {
  genesis_ = hasher_.Genesis(header_.ChainEncoding());
  if (!header_.keyed && hasher_.keyed()) {
    return Fail(0, "log header: the log says it is not keyed, but a key was given: it was not written under this "
                   "key, or its header and chain were rewritten without it");
  }
  if (header_.keyed && !DigestEqual(header_.key_check, hasher_.KeyCheck(header_.file_id_view()))) {
    return Fail(0, "log header: the key does not match this log (key check failed)");
  }
  if (!DigestEqual(genesis_, header_.genesis)) {
    return Fail(0, "log header: genesis hash mismatch (a header field such as the record level was edited)");
  }
  return true;
}

bool Verifier::CheckCheckpointRows(const std::vector<Checkpoint>& rows) {
  for (const Checkpoint& cp : rows) {
    if (!DigestEqual(cp.mac, cp.ComputeMac(hasher_, header_.file_id_view()))) {
      return Fail(0, "checkpoint table: the checkpoint at record " + Seq(cp.records) +
                         " has a bad MAC (edited, or another key)");
    }
    if (cp.records > last_) {
      return Fail(last_ + 1, "record " + Seq(last_ + 1) + ": missing (the checkpoint table covers " +
                                 Seq(cp.records) + " records but the log ends at record " + Seq(last_) +
                                 ": tail truncated)");
    }
    const Digest* h = HashAt(cp.records);
    if (h == nullptr || !DigestEqual(*h, cp.head)) {
      return Fail(cp.records, "record " + Seq(cp.records) +
                                  ": does not match the head hash of the checkpoint table (log rewritten)");
    }
  }
  return true;
}

bool Verifier::CheckCheckpointFile(const std::optional<std::string>& text) {
  const std::string name = "checkpoint file " + CheckpointPathFor(store_.name());
  if (!text) {
    if (options_.require_checkpoint_file) {
      return Fail(0, name + " is missing: truncation of the newest records cannot be ruled out");
    }
    result_->notes.push_back(name + " is missing: truncation of the newest records was not checked");
    return true;
  }
  if (!file_status_.ok()) return Fail(0, file_status_.message());
  if (file_id_ != header_.file_id_view()) return Fail(0, name + " belongs to another log (file id differs)");
  if (!DigestEqual(file_cp_.mac, file_cp_.ComputeMac(hasher_, file_id_))) {
    return Fail(0, name + ": MAC mismatch (edited, or another key)");
  }
  const Checkpoint& cp = file_cp_;
  result_->checkpoint_records = cp.records;
  result_->closed = cp.closed;
  if (cp.records > last_) {
    return Fail(last_ + 1, "record " + Seq(last_ + 1) + ": missing (the checkpoint file covers " + Seq(cp.records) +
                               " records but the log ends at record " + Seq(last_) +
                               ": tail truncated or rows deleted)");
  }
  const Digest* h = HashAt(cp.records);
  if (h == nullptr || !DigestEqual(*h, cp.head)) {
    return Fail(cp.records, "record " + Seq(cp.records) +
                                ": does not match the head hash of the checkpoint file (log rewritten)");
  }
  if (cp.closed && last_ > cp.records) {
    return Fail(cp.records + 1, "record " + Seq(cp.records + 1) + ": written after the log was closed at record " +
                                    Seq(cp.records) + " (records appended behind the recorder's back)");
  }
  if (!cp.closed) {
    result_->notes.push_back("the log was not closed cleanly (crash, or still being written): " +
                             Seq(last_ - cp.records) +
                             " record(s) after the last checkpoint cannot be checked for truncation");
  }
  return true;
}

Status Verifier::Run(const std::optional<std::string>& checkpoint_text) {
  *result_ = VerifyResult{};
  result_->valid = true;
  result_->format_version = header_.version;
  if (header_.keyed && !hasher_.keyed()) {
    return Status::InvalidArgument(store_.name() +
                                   ": the log is keyed (HMAC-SHA-256); verifying it needs its key (--key-file)");
  }
  if (checkpoint_text) {
    file_status_ = ParseCheckpointText(*checkpoint_text, "checkpoint file " + CheckpointPathFor(store_.name()),
                                       &file_id_, &file_cp_);
    if (file_status_.ok()) wanted_[file_cp_.records];
  }
  if (!CheckHeader()) return Status::Ok();

  ReadSnapshot snapshot(store_.db());
  std::vector<Checkpoint> rows;
  Status s = store_.ReadCheckpoints(&rows);
  if (!s.ok()) {
    if (s.code() == Status::Code::kParseError) {
      Fail(0, s.message());
      return Status::Ok();
    }
    return s;
  }
  for (const Checkpoint& cp : rows) wanted_[cp.records];

  std::unique_ptr<RecordCursor> cursor;
  if (!(s = store_.OpenCursor(0, &cursor)).ok()) return s;
  AuditRecord rec;
  RecordCursor::Row row;
  std::vector<ViolationView> views;
  std::string encoding;
  Digest prev = genesis_;
  std::uint64_t expected = 1;
  for (;;) {
    RecordCursor::Step step;
    if (!(s = cursor->Next(&step, &rec, &row)).ok()) {
      // Damage SQLite itself detects mid-scan: the file cannot be read as a
      // log at all from here on (a half-written or damaged file).
      return Status::ParseError(s.message() + "; records 1.." + Seq(expected - 1) + " verified before that");
    }
    if (step == RecordCursor::Step::kEnd) {
      if (row.orphan_seq != 0) {
        // Violation rows of record x mean records 1..x all existed (seq is
        // dense), so everything after the last record read is missing.
        const std::uint64_t missing = row.orphan_seq > last_ ? last_ + 1 : row.orphan_seq;
        Fail(missing, "record " + Seq(missing) + ": missing (violation rows of record " + Seq(row.orphan_seq) +
                          " remain after the last record " + Seq(last_) + ": records deleted)");
        return Status::Ok();
      }
      break;
    }
    const std::uint64_t seq = rec.seq;
    if (seq != expected) {
      std::uint64_t bad = expected;
      if (row.orphan_seq != 0 && row.orphan_seq < bad) bad = row.orphan_seq;
      if (expected == 1) {
        Fail(bad, "record " + Seq(bad) + ": missing (the log starts at record " + Seq(seq) + ")");
      } else {
        Fail(bad, "record " + Seq(bad) + ": missing (the log jumps from record " + Seq(expected - 1) + " to " +
                      Seq(seq) + ")");
      }
      return Status::Ok();
    }
    if (row.orphan_seq != 0) {
      Fail(row.orphan_seq, "violation rows for record " + Seq(row.orphan_seq) + ", which does not exist");
      return Status::Ok();
    }
    if (!row.problem.empty()) {
      Fail(seq, "record " + Seq(seq) + ": " + row.problem);
      return Status::Ok();
    }
    if (!DigestEqual(rec.prev_hash, prev)) {
      Fail(seq, "record " + Seq(seq) + ": previous_hash does not match the entry_hash of " +
                    (seq == 1 ? std::string("the log header (genesis)") : "record " + Seq(seq - 1)) +
                    " (chain broken)");
      return Status::Ok();
    }
    encoding.clear();
    EncodeContent(rec.View(&views), &encoding);
    Digest entry = hasher_.Entry(seq, rec.time_ns, prev, Sha256(encoding));
    if (!DigestEqual(entry, rec.entry_hash)) {
      Fail(seq, "record " + Seq(seq) + ": hash mismatch (verdict or content changed)");
      return Status::Ok();
    }
    auto want = wanted_.find(seq);
    if (want != wanted_.end()) want->second = entry;
    prev = entry;
    last_ = seq;
    result_->records = seq;
    result_->head = entry;
    ++expected;
  }
  if (!CheckCheckpointRows(rows)) return Status::Ok();
  if (!CheckCheckpointFile(checkpoint_text)) return Status::Ok();
  if (last_ == 0) result_->head = genesis_;
  result_->message = "valid: " + Seq(last_) + " record(s), " + (hasher_.keyed() ? "HMAC-SHA-256" : "SHA-256") +
                     " chain, head " + ToHex(result_->head);
  if (checkpoint_text) {
    result_->message += ", checkpoint file covers " + Seq(file_cp_.records) + (file_cp_.closed ? " (closed)" : "");
  }
  if (header_.version < kLogFormatVersion) {
    result_->message += "; older log format " + std::to_string(header_.version) +
                        ": its durability, payload_max_bytes and redact_payloads are not bound into the chain";
  }
  if (!hasher_.keyed()) {
    result_->notes.push_back("unkeyed log: this proves integrity against accidents and careless edits, not against "
                             "someone who can rewrite the file and recompute the hashes");
  }
  return Status::Ok();
}

}  // namespace

Status VerifyStore(AuditStore& store, const LogHeader& header, const VerifyOptions& options,
                   const std::optional<std::string>& checkpoint_text, VerifyResult* result) {
  Verifier v(store, header, options, result);
  return v.Run(checkpoint_text);
}

Status VerifyLog(const std::string& path, const VerifyOptions& options, VerifyResult* result) {
  // The checkpoint file is read before the log: it is only ever replaced
  // after the records it covers were committed, so reading it first cannot
  // make a live log look truncated.
  std::optional<std::string> checkpoint_text;
  const std::string cp_path = CheckpointPathFor(path);
  struct stat st;
  if (::stat(cp_path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode) || st.st_size > 1 << 16) {
      checkpoint_text = std::string("(not a checkpoint file)");
    } else {
      std::ifstream in(cp_path, std::ios::binary);
      if (!in) return Status::IoError("cannot read checkpoint file " + cp_path);
      checkpoint_text = std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  } else if (errno != ENOENT) {
    return Status::IoError("cannot access checkpoint file " + cp_path + ": " + std::strerror(errno));
  }
  std::unique_ptr<AuditStore> store;
  LogHeader header;
  Status s = AuditStore::OpenForRead(path, &header, &store);
  if (!s.ok()) return s;
  return VerifyStore(*store, header, options, checkpoint_text, result);
}

}  // namespace agentos
