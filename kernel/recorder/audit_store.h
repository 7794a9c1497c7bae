// AuditStore: the SQLite file behind a flight recorder log.
//
// Schema (formats 1 and 2 differ only in the meta keys; every table STRICT):
//   meta(key TEXT PRIMARY KEY, value TEXT)          -- the LogHeader
//   records(seq INTEGER PRIMARY KEY, time_ns, env_id, agent_id, episode, step,
//           kind, tool, payload, payload_form, payload_len, cost_usd, tokens,
//           allowed, total_violations, executed, signals, reward, penalty,
//           prev_hash BLOB, entry_hash BLOB)
//   violations(seq, idx, policy, rule, severity, blocked, reason,
//              PRIMARY KEY(seq, idx)) WITHOUT ROWID  -- the kept violations of record seq
//   checkpoints(records INTEGER PRIMARY KEY, time_ns, decisions, head_hash, closed, mac)
// Enumerations are stored as their numeric values (ActionKind, PayloadForm,
// Severity); reward/penalty are NULL when unknown, cost_usd is NULL for NaN.
//
// The file is in WAL mode while a recorder writes it: one writer connection
// inserts; readers open it read-only and never block the writer. A cleanly
// closed log is in rollback mode (see Seal).
#ifndef AGENTOS_KERNEL_RECORDER_AUDIT_STORE_H_
#define AGENTOS_KERNEL_RECORDER_AUDIT_STORE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/recorder/audit_record.h"
#include "kernel/recorder/checkpoint.h"
#include "kernel/recorder/log_header.h"
#include "kernel/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace agentos {

class RecordCursor;

class AuditStore {
 public:
  ~AuditStore();
  AuditStore(const AuditStore&) = delete;
  AuditStore& operator=(const AuditStore&) = delete;

  // A new log at `path`, which must not exist, or hold no log yet (see
  // HoldsNoLog); the check is repeated inside the schema's transaction.
  static Status Create(const std::string& path, const LogHeader& header, std::unique_ptr<AuditStore>* out);
  // Whether `path` holds no log and no records: it is missing (with no WAL
  // beside it), or an SQLite database without a single table, which is what
  // a crash between creating the file and committing its schema leaves (an
  // empty file, or a database header with an empty or uncommitted WAL).
  // Anything else (a log, a foreign or non-SQLite file, a WAL without its
  // main file) is *no_log = false, or an error saying what it is; the file
  // is never changed.
  static Status HoldsNoLog(const std::string& path, bool* no_log);
  // An existing log, for appending.
  static Status OpenForAppend(const std::string& path, Durability durability, LogHeader* header,
                              std::unique_ptr<AuditStore>* out);
  // An existing log, read-only. Errors say what the file is instead: missing,
  // empty, not SQLite, SQLite without agentos tables, damaged or half-written.
  static Status OpenForRead(const std::string& path, LogHeader* header, std::unique_ptr<AuditStore>* out);
  // A read-only copy of a database image held in memory (fuzzing, tests).
  static Status OpenImage(std::string_view bytes, LogHeader* header, std::unique_ptr<AuditStore>* out);

  // ---- writing (one thread) ----
  Status Begin();
  // Inserts any rows still buffered, then commits.
  Status Commit();
  void Rollback();
  // Inserts the record's violation rows at once and buffers the record row:
  // rows go in by kRowsPerInsert per statement, which saves a quarter of
  // SQLite's per-row work. The strings `r` points to must stay valid until
  // the next Commit() or Rollback(); its violations need not.
  Status InsertRecord(std::uint64_t seq, std::int64_t time_ns, const RecordView& r, const Digest& prev_hash,
                      const Digest& entry_hash);
  static constexpr std::size_t kRowsPerInsert = 16;
  Status InsertCheckpoint(const Checkpoint& cp);
  // At close: folds the WAL into the main file and leaves it in rollback
  // mode, so a closed log is one file and read-only tools (verify, export)
  // leave no -wal/-shm behind. Best effort: while a reader holds the file
  // it stays in WAL mode, which is just as valid. Appending turns WAL on again.
  void Seal();

  // ---- reading ----
  // The highest seq and its entry_hash (0 and untouched when empty).
  Status LastRecord(std::uint64_t* seq, Digest* entry_hash);
  // Every checkpoint row, by record count. A malformed row is an error naming it.
  Status ReadCheckpoints(std::vector<Checkpoint>* out);
  // Records with seq > after_seq, in seq order.
  Status OpenCursor(std::uint64_t after_seq, std::unique_ptr<RecordCursor>* out);

  sqlite3* db() { return db_; }
  const std::string& name() const { return name_; }

 private:
  AuditStore() = default;
  static Status OpenReadOnly(sqlite3* db, std::string name, LogHeader* header, std::unique_ptr<AuditStore>* out);
  Status Exec(const char* sql);
  Status Prepare(const char* sql, sqlite3_stmt** stmt);
  Status Error(const std::string& what);
  Status FlushRows();

  struct PendingRow {
    std::uint64_t seq = 0;
    std::int64_t time_ns = 0;
    RecordView view;  // violations unused
    Digest prev{};
    Digest entry{};
  };

  sqlite3* db_ = nullptr;
  std::string name_;  // the path, for messages
  sqlite3_stmt* insert_record_ = nullptr;       // one row
  sqlite3_stmt* insert_records_ = nullptr;      // kRowsPerInsert rows
  std::array<PendingRow, kRowsPerInsert> pending_;
  std::size_t pending_count_ = 0;
  sqlite3_stmt* insert_violation_ = nullptr;
  sqlite3_stmt* insert_numeric_ = nullptr;
  sqlite3_stmt* insert_checkpoint_ = nullptr;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
};

// Reads records in seq order together with their violation rows, and says
// precisely what is wrong with a row instead of trusting it.
class RecordCursor {
 public:
  ~RecordCursor();

  enum class Step { kRecord, kEnd };
  struct Row {
    // Empty when the row and its violation rows are well-formed; else what is
    // wrong, and `record` is partial.
    std::string problem;
    // The lowest seq of violation rows met before this record (or, at kEnd,
    // after the last one) that belong to no record; 0 if none.
    std::uint64_t orphan_seq = 0;
  };
  // Reads the next record into *record (reusing its storage). A SQLite error
  // (a damaged file) is returned as a non-OK status.
  Status Next(Step* step, AuditRecord* record, Row* row);

 private:
  friend class AuditStore;
  RecordCursor() = default;
  Status AdvanceViolation();

  sqlite3* db_ = nullptr;
  std::string name_;
  sqlite3_stmt* records_ = nullptr;
  sqlite3_stmt* violations_ = nullptr;
  bool violation_ready_ = false;  // violations_ holds an unconsumed row
  std::uint64_t last_seq_ = 0;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_AUDIT_STORE_H_
