#include "kernel/recorder/audit_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

namespace agentos {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE records(
  seq INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  env_id INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  episode INTEGER NOT NULL,
  step INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  tool TEXT NOT NULL,
  payload TEXT NOT NULL,
  payload_form INTEGER NOT NULL,
  payload_len INTEGER NOT NULL,
  cost_usd REAL,
  tokens INTEGER NOT NULL,
  allowed INTEGER NOT NULL,
  total_violations INTEGER NOT NULL,
  executed INTEGER NOT NULL,
  signals INTEGER NOT NULL,
  reward REAL,
  penalty REAL,
  prev_hash BLOB NOT NULL,
  entry_hash BLOB NOT NULL) STRICT;
CREATE TABLE violations(
  seq INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  policy TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity INTEGER NOT NULL,
  blocked INTEGER NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY(seq, idx)) STRICT, WITHOUT ROWID;
CREATE TABLE numeric_actions(
  seq INTEGER PRIMARY KEY,
  action_values TEXT NOT NULL,
  action_state TEXT NOT NULL) STRICT;
CREATE TABLE checkpoints(
  records INTEGER PRIMARY KEY,
  time_ns INTEGER NOT NULL,
  decisions INTEGER NOT NULL,
  head_hash BLOB NOT NULL,
  closed INTEGER NOT NULL,
  mac BLOB NOT NULL) STRICT;
)sql";

// Logs written before numeric actions were recorded lack this table; the
// writer adds it when it appends to one (no record of theirs needs a row).
constexpr const char* kNumericTable =
    "CREATE TABLE IF NOT EXISTS numeric_actions(seq INTEGER PRIMARY KEY, action_values TEXT NOT NULL, "
    "action_state TEXT NOT NULL) STRICT";

constexpr const char* kRecordColumns =
    "seq, time_ns, env_id, agent_id, episode, step, kind, tool, payload, payload_form, payload_len, cost_usd, "
    "tokens, allowed, total_violations, executed, signals, reward, penalty, prev_hash, entry_hash";

std::string FileError(const std::string& name, const std::string& what) { return name + ": " + what; }

// The "" stand-in keeps an empty view with a null data pointer from binding NULL.
int BindText(sqlite3_stmt* s, int i, std::string_view v) {
  return sqlite3_bind_text(s, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
}

int BindBlob(sqlite3_stmt* s, int i, const Digest& d) {
  return sqlite3_bind_blob(s, i, d.data(), static_cast<int>(d.size()), SQLITE_STATIC);
}

int BindOptionalReal(sqlite3_stmt* s, int i, std::optional<double> v) {
  // NaN cannot be stored (SQLite turns it into NULL); the codec already
  // canonicalised it, so NULL means NaN for cost and "unknown" otherwise.
  if (!v || std::isnan(*v)) return sqlite3_bind_null(s, i);
  return sqlite3_bind_double(s, i, *v);
}

bool FitsSqlite(std::size_t n) { return n <= static_cast<std::size_t>(std::numeric_limits<int>::max()); }

// ---- typed column reads; each returns false on a wrong type or range ----

bool ColInt(sqlite3_stmt* s, int c, std::int64_t* v) {
  if (sqlite3_column_type(s, c) != SQLITE_INTEGER) return false;
  *v = sqlite3_column_int64(s, c);
  return true;
}

template <typename T>
bool ColRange(sqlite3_stmt* s, int c, std::int64_t lo, std::int64_t hi, T* out) {
  std::int64_t v;
  if (!ColInt(s, c, &v) || v < lo || v > hi) return false;
  *out = static_cast<T>(v);
  return true;
}

bool ColU64(sqlite3_stmt* s, int c, std::uint64_t* out) {
  std::int64_t v;
  if (!ColInt(s, c, &v)) return false;
  *out = static_cast<std::uint64_t>(v);  // stored as the same 64 bits
  return true;
}

bool ColBool(sqlite3_stmt* s, int c, bool* out) {
  std::int64_t v;
  if (!ColInt(s, c, &v) || (v != 0 && v != 1)) return false;
  *out = v == 1;
  return true;
}

bool ColText(sqlite3_stmt* s, int c, std::string* out) {
  if (sqlite3_column_type(s, c) != SQLITE_TEXT) return false;
  const void* p = sqlite3_column_blob(s, c);  // the bytes as stored, NULs included
  int n = sqlite3_column_bytes(s, c);
  out->assign(p != nullptr ? static_cast<const char*>(p) : "", static_cast<std::size_t>(n));
  return true;
}

bool ColOptionalReal(sqlite3_stmt* s, int c, std::optional<double>* out) {
  int t = sqlite3_column_type(s, c);
  if (t == SQLITE_NULL) {
    out->reset();
    return true;
  }
  if (t != SQLITE_FLOAT) return false;
  *out = sqlite3_column_double(s, c);
  return true;
}

bool ColDigest(sqlite3_stmt* s, int c, Digest* out) {
  if (sqlite3_column_type(s, c) != SQLITE_BLOB) return false;
  if (sqlite3_column_bytes(s, c) != static_cast<int>(out->size())) return false;
  std::memcpy(out->data(), sqlite3_column_blob(s, c), out->size());
  return true;
}

// The number of schema objects (tables, indexes, ...) in db, or -1 with *msg
// set if SQLite cannot read it (not a database, damaged).
std::int64_t SchemaObjects(sqlite3* db, std::string* msg) {
  sqlite3_stmt* s = nullptr;
  std::int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master", -1, &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    n = sqlite3_column_int64(s, 0);
  } else {
    *msg = sqlite3_errmsg(db);
  }
  sqlite3_finalize(s);
  return n;
}

// Reads the whole meta table; a missing table is reported as such.
Status ReadMeta(sqlite3* db, const std::string& name, std::map<std::string, std::string>* out) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT key, value FROM meta", -1, &s, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_finalize(s);
    int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB) return Status::ParseError(FileError(name, "not an SQLite database (" + msg + ")"));
    if (primary == SQLITE_CORRUPT) {
      return Status::ParseError(FileError(name, "damaged or half-written SQLite file (" + msg + ")"));
    }
    if (msg.find("no such table") != std::string::npos) {
      std::string ignored;
      if (SchemaObjects(db, &ignored) == 0) {
        return Status::ParseError(FileError(
            name, "an SQLite database with no tables: an agentos audit log half-created by a crash before its "
                  "schema was committed? It holds no records; opening it with the recorder makes it a new log"));
      }
      return Status::ParseError(FileError(name, "an SQLite database without agentos audit tables (no meta table)"));
    }
    return Status::IoError(FileError(name, "cannot read (" + msg + ")"));
  }
  std::size_t rows = 0;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (++rows > 1000) break;  // a real header has a dozen keys
    std::string k, v;
    if (!ColText(s, 0, &k) || !ColText(s, 1, &v)) continue;  // FromMeta reports what is missing
    (*out)[k] = v;
  }
  std::string msg = sqlite3_errmsg(db);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    return Status::ParseError(FileError(name, "damaged or half-written SQLite file (" + msg + ")"));
  }
  return Status::Ok();
}

Status CheckTables(sqlite3* db, const std::string& name) {
  static constexpr const char* kProbes[] = {
      "SELECT seq, time_ns, env_id, agent_id, episode, step, kind, tool, payload, payload_form, payload_len, "
      "cost_usd, tokens, allowed, total_violations, executed, signals, reward, penalty, prev_hash, entry_hash "
      "FROM records LIMIT 0",
      "SELECT seq, idx, policy, rule, severity, blocked, reason FROM violations LIMIT 0",
      "SELECT records, time_ns, decisions, head_hash, closed, mac FROM checkpoints LIMIT 0",
  };
  for (const char* sql : kProbes) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    std::string msg = sqlite3_errmsg(db);
    sqlite3_finalize(s);
    if (rc != SQLITE_OK) {
      return Status::ParseError(FileError(name, "incomplete agentos audit log (" + msg + ")"));
    }
  }
  return Status::Ok();
}

}  // namespace

// ---- AuditStore --------------------------------------------------------------

AuditStore::~AuditStore() {
  for (sqlite3_stmt* s :
       {insert_record_, insert_records_, insert_violation_, insert_numeric_, insert_checkpoint_, begin_, commit_}) {
    sqlite3_finalize(s);
  }
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status AuditStore::Error(const std::string& what) {
  return Status::IoError(FileError(name_, what + ": " + sqlite3_errmsg(db_)));
}

Status AuditStore::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return Status::IoError(FileError(name_, msg));
}

Status AuditStore::Prepare(const char* sql, sqlite3_stmt** stmt) {
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) != SQLITE_OK) {
    return Error("cannot prepare statement");
  }
  return Status::Ok();
}

namespace {

Status OpenWriter(const std::string& path, Durability durability, sqlite3** out) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::IoError(FileError(path, "cannot open for writing (" + msg + ")"));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  // WAL: readers (verify, export) run alongside the writer, and a commit is
  // one append to the WAL. FULL fsyncs the WAL at every commit; NORMAL only
  // at WAL checkpoints, which survives a process crash but not power loss.
  // 16 KiB pages: fewer page splits and WAL frames per record than the 4 KiB
  // default (about 20% less writer CPU). Only takes effect for a new file.
  std::string pragmas = "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=";
  pragmas += durability == Durability::kSync ? "FULL;" : "NORMAL;";
  char* err = nullptr;
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return Status::IoError(FileError(path, "cannot configure (" + msg + ")"));
  }
  *out = db;
  return Status::Ok();
}

}  // namespace

Status AuditStore::HoldsNoLog(const std::string& path, bool* no_log) {
  *no_log = false;
  struct stat st, wal;
  const bool has_wal = ::stat((path + "-wal").c_str(), &wal) == 0;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return Status::IoError(FileError(path, std::string("cannot access (") + std::strerror(errno) + ")"));
    }
    if (has_wal) {
      return Status::StateError(FileError(
          path, "missing, but " + path + "-wal exists and may hold its pages: refusing to start a new log over it "
                "(restore the log file, or move the -wal file aside)"));
    }
    *no_log = true;
    return Status::Ok();
  }
  if (!S_ISREG(st.st_mode)) return Status::Ok();  // OpenForAppend names what it is
  if (st.st_size == 0 && !has_wal) {
    *no_log = true;
    return Status::Ok();
  }
  // Ask SQLite, which also reads a WAL beside the file (a zero-length main
  // file can hold a whole log in its WAL). Read-only: nothing is written.
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return Status::Ok();  // OpenForAppend reports why it cannot be read
  }
  sqlite3_busy_timeout(db, 5000);
  std::string msg;
  const std::int64_t objects = SchemaObjects(db, &msg);
  sqlite3_close_v2(db);
  *no_log = objects == 0;
  return Status::Ok();
}

Status AuditStore::Create(const std::string& path, const LogHeader& header, std::unique_ptr<AuditStore>* out) {
  bool no_log = false;
  Status s = HoldsNoLog(path, &no_log);
  if (!s.ok()) return s;
  if (!no_log) return Status::StateError(FileError(path, "already exists"));
  std::unique_ptr<AuditStore> store(new AuditStore);
  store->name_ = path;
  s = OpenWriter(path, header.durability, &store->db_);
  if (s.ok()) s = store->Exec("BEGIN IMMEDIATE");
  if (s.ok()) {
    // Again under the write lock: nobody created tables in the meantime.
    std::string msg;
    const std::int64_t objects = SchemaObjects(store->db_, &msg);
    if (objects != 0) {
      store->Rollback();
      return Status::StateError(FileError(path, objects > 0 ? "already exists" : "cannot be read (" + msg + ")"));
    }
  }
  if (s.ok()) s = store->Exec(kSchema);
  sqlite3_stmt* ins = nullptr;
  if (s.ok()) s = store->Prepare("INSERT INTO meta(key, value) VALUES(?1, ?2)", &ins);
  if (s.ok()) {
    for (const auto& [k, v] : header.ToMeta()) {
      BindText(ins, 1, k);
      BindText(ins, 2, v);
      int rc = sqlite3_step(ins);
      sqlite3_reset(ins);
      if (rc != SQLITE_DONE) {
        s = store->Error("cannot write the log header");
        break;
      }
    }
  }
  sqlite3_finalize(ins);
  if (s.ok()) s = store->Exec("COMMIT");
  if (!s.ok()) {
    // The file held no log and no records (checked above, under the write
    // lock): leave nothing half-made behind.
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
    return s;
  }
  *out = std::move(store);
  return Status::Ok();
}

Status AuditStore::OpenForAppend(const std::string& path, Durability durability, LogHeader* header,
                                 std::unique_ptr<AuditStore>* out) {
  // Classify the file read-only first, so a foreign file is never touched.
  {
    LogHeader probe;
    std::unique_ptr<AuditStore> reader;
    Status s = OpenForRead(path, &probe, &reader);
    if (!s.ok()) return s;
  }
  std::unique_ptr<AuditStore> store(new AuditStore);
  store->name_ = path;
  Status s = OpenWriter(path, durability, &store->db_);
  if (!s.ok()) return s;
  std::map<std::string, std::string> meta;
  if (!(s = ReadMeta(store->db_, path, &meta)).ok()) return s;
  if (!(s = LogHeader::FromMeta(meta, header)).ok()) return Status::ParseError(FileError(path, s.message()));
  if (!(s = CheckTables(store->db_, path)).ok()) return s;
  if (!(s = store->Exec(kNumericTable)).ok()) return s;
  *out = std::move(store);
  return Status::Ok();
}

Status AuditStore::OpenReadOnly(sqlite3* db, std::string name, LogHeader* header, std::unique_ptr<AuditStore>* out) {
  std::unique_ptr<AuditStore> store(new AuditStore);
  store->db_ = db;
  store->name_ = std::move(name);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  std::map<std::string, std::string> meta;
  Status s = ReadMeta(db, store->name_, &meta);
  if (!s.ok()) return s;
  if (meta.empty()) {
    return Status::ParseError(FileError(store->name_, "empty meta table (a half-written agentos audit log?)"));
  }
  if (!(s = LogHeader::FromMeta(meta, header)).ok()) return Status::ParseError(FileError(store->name_, s.message()));
  if (!(s = CheckTables(db, store->name_)).ok()) return s;
  *out = std::move(store);
  return Status::Ok();
}

Status AuditStore::OpenForRead(const std::string& path, LogHeader* header, std::unique_ptr<AuditStore>* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound(FileError(path, "no such file"));
    return Status::IoError(FileError(path, std::string("cannot access (") + std::strerror(errno) + ")"));
  }
  if (S_ISDIR(st.st_mode)) return Status::InvalidArgument(FileError(path, "is a directory, not an audit log"));
  if (st.st_size == 0) return Status::ParseError(FileError(path, "empty file, not an agentos audit log"));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Status::IoError(FileError(path, "cannot open (" + msg + ")"));
  }
  return OpenReadOnly(db, path, header, out);
}

Status AuditStore::OpenImage(std::string_view bytes, LogHeader* header, std::unique_ptr<AuditStore>* out) {
  if (bytes.empty()) return Status::ParseError("image: empty, not an agentos audit log");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return Status::Internal("image: cannot open an in-memory database");
  }
  auto* copy = static_cast<unsigned char*>(sqlite3_malloc64(bytes.size()));
  if (copy == nullptr) {
    sqlite3_close_v2(db);
    return Status::Internal("image: out of memory");
  }
  std::memcpy(copy, bytes.data(), bytes.size());
  // An in-memory database cannot be in WAL mode; read the image as a
  // rollback-journal database instead (header bytes 18 and 19).
  if (bytes.size() >= 20 && copy[18] == 2 && copy[19] == 2) copy[18] = copy[19] = 1;
  int rc = sqlite3_deserialize(db, "main", copy, static_cast<sqlite3_int64>(bytes.size()),
                               static_cast<sqlite3_int64>(bytes.size()),
                               SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(db);
    return Status::ParseError("image: not an SQLite database");
  }
  return OpenReadOnly(db, "image", header, out);
}

void AuditStore::Seal() {
  // Errors (SQLITE_BUSY while a reader is open) leave the WAL in place,
  // and with it a log that verifies the same.
  sqlite3_exec(db_, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
}

Status AuditStore::Begin() {
  if (begin_ == nullptr) {
    Status s = Prepare("BEGIN IMMEDIATE", &begin_);
    if (!s.ok()) return s;
  }
  int rc = sqlite3_step(begin_);
  sqlite3_reset(begin_);
  return rc == SQLITE_DONE ? Status::Ok() : Error("cannot begin a transaction");
}

Status AuditStore::Commit() {
  Status flushed = FlushRows();
  if (!flushed.ok()) return flushed;
  if (commit_ == nullptr) {
    Status s = Prepare("COMMIT", &commit_);
    if (!s.ok()) return s;
  }
  int rc = sqlite3_step(commit_);
  sqlite3_reset(commit_);
  return rc == SQLITE_DONE ? Status::Ok() : Error("commit failed");
}

void AuditStore::Rollback() {
  pending_count_ = 0;
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

namespace {

constexpr int kRecordParams = 21;

// Binds one record row at parameters base+1 .. base+21 (SQLITE_STATIC: the
// bytes must live until the statement is stepped).
void BindRecord(sqlite3_stmt* s, int base, std::uint64_t seq, std::int64_t time_ns, const RecordView& r,
                const Digest& prev, const Digest& entry) {
  sqlite3_bind_int64(s, base + 1, static_cast<sqlite3_int64>(seq));
  sqlite3_bind_int64(s, base + 2, time_ns);
  sqlite3_bind_int64(s, base + 3, static_cast<sqlite3_int64>(r.env_id));
  BindText(s, base + 4, r.agent_id);
  sqlite3_bind_int64(s, base + 5, static_cast<sqlite3_int64>(r.episode));
  sqlite3_bind_int64(s, base + 6, r.step);
  sqlite3_bind_int(s, base + 7, static_cast<int>(r.kind));
  BindText(s, base + 8, r.tool);
  BindText(s, base + 9, r.payload);
  sqlite3_bind_int(s, base + 10, static_cast<int>(r.payload_form));
  sqlite3_bind_int64(s, base + 11, static_cast<sqlite3_int64>(r.payload_len));
  BindOptionalReal(s, base + 12, r.cost_usd);
  sqlite3_bind_int64(s, base + 13, r.tokens);
  sqlite3_bind_int(s, base + 14, r.allowed ? 1 : 0);
  sqlite3_bind_int64(s, base + 15, r.total_violations);
  sqlite3_bind_int(s, base + 16, r.executed ? 1 : 0);
  sqlite3_bind_int64(s, base + 17, r.signals);
  BindOptionalReal(s, base + 18, r.reward);
  BindOptionalReal(s, base + 19, r.penalty);
  BindBlob(s, base + 20, prev);
  BindBlob(s, base + 21, entry);
}

std::string InsertSql(std::size_t rows) {
  std::string sql = std::string("INSERT INTO records(") + kRecordColumns + ") VALUES";
  int p = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r == 0 ? "(" : ",(";
    for (int c = 0; c < kRecordParams; ++c) {
      if (c > 0) sql += ",";
      sql += "?" + std::to_string(p++);
    }
    sql += ")";
  }
  return sql;
}

}  // namespace

Status AuditStore::InsertRecord(std::uint64_t seq, std::int64_t time_ns, const RecordView& r, const Digest& prev,
                                const Digest& entry) {
  if (insert_record_ == nullptr) {
    Status s = Prepare(InsertSql(1).c_str(), &insert_record_);
    if (!s.ok()) return s;
    s = Prepare(InsertSql(kRowsPerInsert).c_str(), &insert_records_);
    if (!s.ok()) return s;
    s = Prepare("INSERT INTO violations(seq, idx, policy, rule, severity, blocked, reason) "
                "VALUES(?1,?2,?3,?4,?5,?6,?7)",
                &insert_violation_);
    if (!s.ok()) return s;
  }
  if (!FitsSqlite(r.agent_id.size()) || !FitsSqlite(r.tool.size()) || !FitsSqlite(r.payload.size())) {
    return Status::InvalidArgument(FileError(name_, "record field too large for SQLite"));
  }
  for (std::size_t i = 0; i < r.violations.size(); ++i) {
    const ViolationView& v = r.violations[i];
    sqlite3_stmt* vs = insert_violation_;
    sqlite3_bind_int64(vs, 1, static_cast<sqlite3_int64>(seq));
    sqlite3_bind_int64(vs, 2, static_cast<sqlite3_int64>(i));
    BindText(vs, 3, v.policy);
    BindText(vs, 4, v.rule);
    sqlite3_bind_int(vs, 5, static_cast<int>(v.severity));
    sqlite3_bind_int(vs, 6, v.blocked ? 1 : 0);
    BindText(vs, 7, v.reason);
    int rc = sqlite3_step(vs);
    sqlite3_reset(vs);
    if (rc != SQLITE_DONE) return Error("cannot insert a violation of record " + std::to_string(seq));
  }
  if (!r.action_values.empty() || !r.action_state.empty()) {
    if (insert_numeric_ == nullptr) {
      Status s = Prepare("INSERT INTO numeric_actions(seq, action_values, action_state) VALUES(?1,?2,?3)",
                         &insert_numeric_);
      if (!s.ok()) return s;
    }
    if (!FitsSqlite(r.action_values.size()) || !FitsSqlite(r.action_state.size())) {
      return Status::InvalidArgument(FileError(name_, "record field too large for SQLite"));
    }
    sqlite3_stmt* ns = insert_numeric_;
    sqlite3_bind_int64(ns, 1, static_cast<sqlite3_int64>(seq));
    BindText(ns, 2, r.action_values);
    BindText(ns, 3, r.action_state);
    int rc = sqlite3_step(ns);
    sqlite3_reset(ns);
    if (rc != SQLITE_DONE) return Error("cannot insert the numeric action of record " + std::to_string(seq));
  }
  PendingRow& row = pending_[pending_count_++];
  row.seq = seq;
  row.time_ns = time_ns;
  row.view = r;
  row.view.violations = {};
  row.prev = prev;
  row.entry = entry;
  if (pending_count_ < kRowsPerInsert) return Status::Ok();
  for (std::size_t i = 0; i < kRowsPerInsert; ++i) {
    const PendingRow& p = pending_[i];
    BindRecord(insert_records_, static_cast<int>(i) * kRecordParams, p.seq, p.time_ns, p.view, p.prev, p.entry);
  }
  pending_count_ = 0;
  int rc = sqlite3_step(insert_records_);
  sqlite3_reset(insert_records_);
  if (rc != SQLITE_DONE) {
    return Error("cannot insert records " + std::to_string(pending_[0].seq) + ".." + std::to_string(seq));
  }
  return Status::Ok();
}

Status AuditStore::FlushRows() {
  for (std::size_t i = 0; i < pending_count_; ++i) {
    const PendingRow& p = pending_[i];
    BindRecord(insert_record_, 0, p.seq, p.time_ns, p.view, p.prev, p.entry);
    int rc = sqlite3_step(insert_record_);
    sqlite3_reset(insert_record_);
    if (rc != SQLITE_DONE) {
      pending_count_ = 0;
      return Error("cannot insert record " + std::to_string(p.seq));
    }
  }
  pending_count_ = 0;
  return Status::Ok();
}

Status AuditStore::InsertCheckpoint(const Checkpoint& cp) {
  if (insert_checkpoint_ == nullptr) {
    Status s = Prepare("INSERT OR REPLACE INTO checkpoints(records, time_ns, decisions, head_hash, closed, mac) "
                       "VALUES(?1,?2,?3,?4,?5,?6)",
                       &insert_checkpoint_);
    if (!s.ok()) return s;
  }
  sqlite3_stmt* s = insert_checkpoint_;
  sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(cp.records));
  sqlite3_bind_int64(s, 2, cp.time_ns);
  sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(cp.decisions));
  BindBlob(s, 4, cp.head);
  sqlite3_bind_int(s, 5, cp.closed ? 1 : 0);
  BindBlob(s, 6, cp.mac);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? Status::Ok() : Error("cannot insert checkpoint");
}

Status AuditStore::LastRecord(std::uint64_t* seq, Digest* entry_hash) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT seq, entry_hash FROM records ORDER BY seq DESC LIMIT 1", -1, &s, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(s);
    return Error("cannot read the last record");
  }
  int rc = sqlite3_step(s);
  Status result;
  if (rc == SQLITE_ROW) {
    std::uint64_t q = 0;
    Digest d;
    if (!ColU64(s, 0, &q) || !ColDigest(s, 1, &d)) {
      result = Status::ParseError(FileError(name_, "the last record is malformed"));
    } else {
      *seq = q;
      *entry_hash = d;
    }
  } else if (rc == SQLITE_DONE) {
    *seq = 0;
  } else {
    result = Error("cannot read the last record");
  }
  sqlite3_finalize(s);
  return result;
}

Status AuditStore::ReadCheckpoints(std::vector<Checkpoint>* out) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT records, time_ns, decisions, head_hash, closed, mac FROM checkpoints "
                              "ORDER BY records",
                         -1, &s, nullptr) != SQLITE_OK) {
    sqlite3_finalize(s);
    return Error("cannot read checkpoints");
  }
  out->clear();
  int rc;
  Status result;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    Checkpoint cp;
    if (!ColU64(s, 0, &cp.records) || !ColInt(s, 1, &cp.time_ns) || !ColU64(s, 2, &cp.decisions) ||
        !ColDigest(s, 3, &cp.head) || !ColBool(s, 4, &cp.closed) || !ColDigest(s, 5, &cp.mac)) {
      result = Status::ParseError("checkpoint table: malformed row (records " +
                                  std::to_string(sqlite3_column_int64(s, 0)) + ")");
      break;
    }
    out->push_back(cp);
  }
  if (result.ok() && rc != SQLITE_DONE) result = Error("cannot read checkpoints");
  sqlite3_finalize(s);
  return result;
}

Status AuditStore::OpenCursor(std::uint64_t after_seq, std::unique_ptr<RecordCursor>* out) {
  std::unique_ptr<RecordCursor> c(new RecordCursor);
  c->db_ = db_;
  c->name_ = name_;
  // seq is stored as a signed 64-bit integer; compare in that domain.
  // A numeric action's values are joined in by seq; a log from before they
  // were recorded has no such table, and its records none.
  sqlite3_stmt* probe = nullptr;
  const bool numeric_table =
      sqlite3_prepare_v2(db_, "SELECT seq FROM numeric_actions LIMIT 0", -1, &probe, nullptr) == SQLITE_OK;
  sqlite3_finalize(probe);
  std::string sql = std::string("SELECT ") + kRecordColumns +
                    (numeric_table ? ", n.action_values, n.action_state FROM records LEFT JOIN numeric_actions n "
                                     "USING(seq) WHERE seq > ?1 ORDER BY seq"
                                   : ", NULL, NULL FROM records WHERE seq > ?1 ORDER BY seq");
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &c->records_, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db_, "SELECT seq, idx, policy, rule, severity, blocked, reason FROM violations "
                              "WHERE seq > ?1 ORDER BY seq, idx",
                         -1, &c->violations_, nullptr) != SQLITE_OK) {
    return Error("cannot read records");
  }
  sqlite3_bind_int64(c->records_, 1, static_cast<sqlite3_int64>(after_seq));
  sqlite3_bind_int64(c->violations_, 1, static_cast<sqlite3_int64>(after_seq));
  c->last_seq_ = after_seq;
  Status s = c->AdvanceViolation();
  if (!s.ok()) return s;
  *out = std::move(c);
  return Status::Ok();
}

// ---- RecordCursor --------------------------------------------------------------

RecordCursor::~RecordCursor() {
  sqlite3_finalize(records_);
  sqlite3_finalize(violations_);
}

Status RecordCursor::AdvanceViolation() {
  int rc = sqlite3_step(violations_);
  if (rc == SQLITE_ROW) {
    violation_ready_ = true;
    return Status::Ok();
  }
  violation_ready_ = false;
  if (rc == SQLITE_DONE) return Status::Ok();
  return Status::ParseError(FileError(name_, "damaged SQLite file while reading violations after record " +
                                                 std::to_string(last_seq_) + " (" + sqlite3_errmsg(db_) + ")"));
}

Status RecordCursor::Next(Step* step, AuditRecord* rec, Row* row) {
  row->problem.clear();
  row->orphan_seq = 0;
  int rc = sqlite3_step(records_);
  if (rc == SQLITE_DONE) {
    *step = Step::kEnd;
    if (violation_ready_) {
      std::int64_t v = sqlite3_column_int64(violations_, 0);
      row->orphan_seq = static_cast<std::uint64_t>(v);
    }
    return Status::Ok();
  }
  if (rc != SQLITE_ROW) {
    return Status::ParseError(FileError(name_, "damaged SQLite file while reading the record after " +
                                                   std::to_string(last_seq_) + " (" + sqlite3_errmsg(db_) + ")"));
  }
  *step = Step::kRecord;
  sqlite3_stmt* s = records_;
  std::string& bad = row->problem;
  auto need = [&](bool ok, const char* column) {
    if (!ok && bad.empty()) bad = std::string("malformed column ") + column;
  };
  std::uint64_t seq = 0;
  need(ColU64(s, 0, &seq), "seq");
  rec->seq = seq;
  last_seq_ = seq;
  need(ColInt(s, 1, &rec->time_ns), "time_ns");
  need(ColU64(s, 2, &rec->env_id), "env_id");
  need(ColText(s, 3, &rec->agent_id), "agent_id");
  need(ColU64(s, 4, &rec->episode), "episode");
  need(ColRange(s, 5, 0, std::numeric_limits<std::uint32_t>::max(), &rec->step), "step");
  need(ColRange(s, 6, 0, kActionKindCount - 1, &rec->kind), "kind");
  need(ColText(s, 7, &rec->tool), "tool");
  need(ColText(s, 8, &rec->payload), "payload");
  need(ColRange(s, 9, 0, kPayloadFormCount - 1, &rec->payload_form), "payload_form");
  need(ColU64(s, 10, &rec->payload_len), "payload_len");
  std::optional<double> cost;
  need(ColOptionalReal(s, 11, &cost), "cost_usd");
  rec->cost_usd = cost.value_or(std::numeric_limits<double>::quiet_NaN());
  need(ColInt(s, 12, &rec->tokens), "tokens");
  need(ColBool(s, 13, &rec->allowed), "allowed");
  need(ColRange(s, 14, 0, std::numeric_limits<std::uint32_t>::max(), &rec->total_violations), "total_violations");
  need(ColBool(s, 15, &rec->executed), "executed");
  need(ColRange(s, 16, 0, std::numeric_limits<std::uint32_t>::max(), &rec->signals), "signals");
  need(ColOptionalReal(s, 17, &rec->reward), "reward");
  need(ColOptionalReal(s, 18, &rec->penalty), "penalty");
  need(ColDigest(s, 19, &rec->prev_hash), "prev_hash");
  need(ColDigest(s, 20, &rec->entry_hash), "entry_hash");
  rec->action_values.clear();
  rec->action_state.clear();
  if (sqlite3_column_type(s, 21) != SQLITE_NULL || sqlite3_column_type(s, 22) != SQLITE_NULL) {
    need(ColText(s, 21, &rec->action_values), "numeric_actions.action_values");
    need(ColText(s, 22, &rec->action_state), "numeric_actions.action_state");
  }

  // Violation rows are merged in by seq: rows before this record belong to
  // no record; rows of this record must be numbered 0, 1, 2, ...
  rec->violations.clear();
  while (violation_ready_) {
    std::int64_t vseq = sqlite3_column_int64(violations_, 0);
    if (sqlite3_column_type(violations_, 0) != SQLITE_INTEGER) {
      if (bad.empty()) bad = "malformed violation row";
    } else if (static_cast<std::uint64_t>(vseq) < seq) {
      if (row->orphan_seq == 0) row->orphan_seq = static_cast<std::uint64_t>(vseq);
    } else if (static_cast<std::uint64_t>(vseq) > seq) {
      break;
    } else {
      AuditViolation v;
      std::int64_t idx = -1;
      bool ok = ColInt(violations_, 1, &idx) && ColText(violations_, 2, &v.policy) &&
                ColText(violations_, 3, &v.rule) &&
                ColRange(violations_, 4, 0, kSeverityCount - 1, &v.severity) &&
                ColBool(violations_, 5, &v.blocked) && ColText(violations_, 6, &v.reason);
      if (!ok) {
        if (bad.empty()) bad = "malformed violation row " + std::to_string(rec->violations.size());
      } else if (idx != static_cast<std::int64_t>(rec->violations.size())) {
        if (bad.empty()) {
          bad = "violation rows are not numbered 0.." + std::to_string(rec->violations.size()) +
                " (expected row " + std::to_string(rec->violations.size()) + ", found " + std::to_string(idx) + ")";
        }
      }
      rec->violations.push_back(std::move(v));
    }
    Status st = AdvanceViolation();
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace agentos
