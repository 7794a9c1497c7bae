#include "env/sql/sql_session.h"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace agentos {

namespace {

// Checking the clock every this many VDBE instructions keeps the check far
// below 1% of a query's cost while still stopping a runaway within
// microseconds of the limit.
constexpr int kProgressInstructions = 1000;
// Bounds on what one statement can make SQLite allocate.
constexpr int kMaxValueBytes = 4 << 20;
constexpr int kMaxSqlBytes = 1 << 20;
// Fields of the database header (4-byte big-endian): the file change
// counter, bumped by every committed write, and the schema cookie, bumped by
// every schema change.
constexpr std::size_t kChangeCounterOffset = 24;
constexpr std::size_t kSchemaCookieOffset = 40;

std::string SqliteError(sqlite3* db, const char* what) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return msg;
}

// FNV-1a, then a final avalanche so that sorted multisets of row hashes
// spread well.
class Hasher {
 public:
  void Bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h_ = (h_ ^ b[i]) * 1099511628211ull;
  }
  void U64(std::uint64_t v) { Bytes(&v, sizeof v); }
  void Text(const char* s) {
    if (s == nullptr) {
      U64(0x6e756c6c);  // distinguishes NULL from ""
      return;
    }
    std::size_t n = std::strlen(s);
    U64(n);
    Bytes(s, n);
  }
  std::uint64_t Finish() const {
    std::uint64_t z = h_ + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  std::uint64_t h_ = 1469598103934665603ull;
};

void HashColumn(sqlite3_stmt* stmt, int c, Hasher* h) {
  int type = sqlite3_column_type(stmt, c);
  h->U64(static_cast<std::uint64_t>(type));
  switch (type) {
    case SQLITE_INTEGER: h->U64(static_cast<std::uint64_t>(sqlite3_column_int64(stmt, c))); break;
    case SQLITE_FLOAT: {
      double d = sqlite3_column_double(stmt, c);
      std::uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      h->U64(bits);
      break;
    }
    case SQLITE_TEXT:
    case SQLITE_BLOB: {
      const void* p = type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(stmt, c))
                                          : sqlite3_column_blob(stmt, c);
      int n = sqlite3_column_bytes(stmt, c);
      h->U64(static_cast<std::uint64_t>(n));
      if (n > 0) h->Bytes(p, static_cast<std::size_t>(n));
      break;
    }
    default: break;
  }
}

std::string QuoteIdentifier(const char* name) {
  std::string out = "\"";
  for (const char* p = name; *p != '\0'; ++p) {
    if (*p == '"') out += '"';
    out += *p;
  }
  out += '"';
  return out;
}

}  // namespace

// ---- DatabaseImage ---------------------------------------------------------

DatabaseImage::~DatabaseImage() { sqlite3_free(data_); }

Status DatabaseImage::FromSql(std::string_view sql, std::shared_ptr<const DatabaseImage>* out) {
  if (out == nullptr) return Status::InvalidArgument("DatabaseImage::FromSql: out is null");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Status s = Status::IoError(SqliteError(db, "cannot open an in-memory database"));
    sqlite3_close(db);
    return s;
  }
  if (std::memchr(sql.data(), '\0', sql.size()) != nullptr) {
    sqlite3_close(db);
    return Status::ParseError("the database SQL contains a NUL byte");
  }
  // The dataset's SQL is trusted, but it still gets no files and no
  // extensions: a dataset directory must not be a way out of the sandbox.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  SqlAuthorizer authorizer;
  authorizer.Install(db);
  std::string text(sql);  // sqlite3_exec needs a terminated string
  char* err = nullptr;
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Status s = Status::ParseError(std::string("the database SQL failed: ") + (err != nullptr ? err : "unknown error"));
    sqlite3_free(err);
    sqlite3_close(db);
    return s;
  }
  if (sqlite3_get_autocommit(db) == 0) {
    sqlite3_close(db);
    return Status::ParseError("the database SQL leaves a transaction open");
  }
  // VACUUM packs the pages, so every task copies as few bytes as possible.
  authorizer.set_internal(true);  // VACUUM attaches a temporary database
  sqlite3_exec(db, "VACUUM", nullptr, nullptr, nullptr);
  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db, "main", &size, 0);
  sqlite3_close(db);
  if (bytes == nullptr || size <= 0) {
    sqlite3_free(bytes);
    return Status::Internal("sqlite3_serialize failed");
  }
  std::shared_ptr<DatabaseImage> image(new DatabaseImage());
  image->data_ = bytes;
  image->size_ = static_cast<std::size_t>(size);
  *out = std::move(image);
  return Status::Ok();
}

Status DatabaseImage::FromFile(const std::string& path, std::shared_ptr<const DatabaseImage>* out) {
  if (out == nullptr) return Status::InvalidArgument("DatabaseImage::FromFile: out is null");
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Status s = Status::IoError(SqliteError(db, ("cannot open the database " + path).c_str()));
    sqlite3_close(db);
    return s;
  }
  // The file is data, not code: its schema may not call functions with side
  // effects, and it gets no extensions.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  // Reading the schema is what tells a database from any other file.
  if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status s = Status::ParseError(SqliteError(db, ("cannot read the database " + path).c_str()));
    sqlite3_close(db);
    return s;
  }
  sqlite3_int64 size = 0;
  unsigned char* bytes = sqlite3_serialize(db, "main", &size, 0);
  sqlite3_close(db);
  if (bytes == nullptr || size < 100) {
    sqlite3_free(bytes);
    return Status::ParseError("cannot serialize the database " + path + " (empty or unreadable)");
  }
  // A database in WAL mode says so in its header (read and write versions
  // 2); the serialized pages already hold what the WAL had, and an
  // in-memory copy must use a rollback journal, so the copy says version 1.
  if (bytes[18] == 2) bytes[18] = 1;
  if (bytes[19] == 2) bytes[19] = 1;
  std::shared_ptr<DatabaseImage> image(new DatabaseImage());
  image->data_ = bytes;
  image->size_ = static_cast<std::size_t>(size);
  *out = std::move(image);
  return Status::Ok();
}

// ---- SqlSession ------------------------------------------------------------

Status SqlSession::Open(std::shared_ptr<const DatabaseImage> image, std::size_t growth_limit_bytes,
                        std::unique_ptr<SqlSession>* out) {
  if (out == nullptr) return Status::InvalidArgument("SqlSession::Open: out is null");
  if (!image) return Status::InvalidArgument("SqlSession::Open: no database image");
  std::unique_ptr<SqlSession> s(new SqlSession());
  s->image_ = std::move(image);
  s->growth_limit_ = growth_limit_bytes;
  s->capacity_ = s->image_->size() + growth_limit_bytes;
  s->buffer_.reset(new (std::nothrow) unsigned char[s->capacity_]);
  if (!s->buffer_) return Status::Internal("out of memory for a task database");
  s->buffer_bytes_ = s->capacity_;
  std::memcpy(s->buffer_.get(), s->image_->data(), s->image_->size());
  if (Status st = s->OpenConnection(); !st.ok()) return st;
  if (Status st = s->Deserialize(); !st.ok()) return st;
  *out = std::move(s);
  return Status::Ok();
}

SqlSession::~SqlSession() { CloseConnection(); }

Status SqlSession::OpenConnection() {
  int rc = sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Status::IoError(SqliteError(db_, "cannot open a task database"));
    CloseConnection();
    return s;
  }
  // Nothing an agent writes may reach native code, the filesystem or the
  // rest of the process: no extensions, no tokenizer pointers, no schema
  // tricks, no attached files (the authorizer also refuses ATTACH).
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, kMaxValueBytes);
  sqlite3_limit(db_, SQLITE_LIMIT_SQL_LENGTH, kMaxSqlBytes);
  authorizer_.Install(db_);
  sqlite3_progress_handler(db_, kProgressInstructions, &SqlSession::OnProgress, this);
  deadline_.Disarm();
  // Temporary tables and sort spills stay in memory, never in /tmp.
  return ExecInternal("PRAGMA temp_store = MEMORY");
}

void SqlSession::CloseConnection() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Status SqlSession::Deserialize() {
  // sqlite3_deserialize attaches the buffer internally; the authorizer lets
  // the session's own request through.
  authorizer_.set_internal(true);
  int rc = sqlite3_deserialize(db_, "main", buffer_.get(), static_cast<sqlite3_int64>(image_->size()),
                               static_cast<sqlite3_int64>(capacity_), 0);
  authorizer_.set_internal(false);
  if (rc != SQLITE_OK) return Status::Internal(SqliteError(db_, "cannot restore the task database"));
  // Read pages straight from the buffer instead of copying them into the
  // page cache: less memory per env, and no cache to refill after a reset.
  return ExecInternal(("PRAGMA main.mmap_size = " + std::to_string(capacity_)).c_str());
}

Status SqlSession::ExecInternal(const char* sql) {
  authorizer_.set_internal(true);
  CpuDeadline saved = deadline_;
  deadline_.Disarm();
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  deadline_ = saved;
  authorizer_.set_internal(false);
  if (rc != SQLITE_OK) return Status::Internal(SqliteError(db_, sql));
  return Status::Ok();
}

int SqlSession::OnProgress(void* self) {
  auto* s = static_cast<SqlSession*>(self);
  if (!s->deadline_.Expired()) return 0;
  s->timed_out_ = true;
  return 1;
}

Status SqlSession::Restore() {
  if (db_ != nullptr && sqlite3_get_autocommit(db_) == 0) {
    // An episode left a transaction open; end it so the image can be swapped.
    ExecInternal("ROLLBACK");
    data_dirty_ = true;
  }
  // The authorizer's flags say what the episode's statements meant to do;
  // the header says what they left. A statement can change the schema while
  // it steps (PRAGMA optimize runs ANALYZE), where the flags no longer count,
  // so either one is enough.
  const bool schema_changed = schema_dirty_ || HeaderChanged(kSchemaCookieOffset);
  const bool data_changed = data_dirty_ || schema_changed || HeaderChanged(kChangeCounterOffset);
  if (db_ == nullptr || connection_dirty_ || schema_changed) {
    // A new connection, never sqlite3_deserialize into the old one: SQLite
    // keeps per-connection objects (the eponymous virtual tables json_each,
    // pragma_*, ...) that point into the schema a deserialize frees, and the
    // next use of one reads freed memory.
    CloseConnection();
    if (Status s = OpenConnection(); !s.ok()) return Failed(s);
    if (data_changed) std::memcpy(buffer_.get(), image_->data(), image_->size());
    if (Status s = Deserialize(); !s.ok()) return Failed(s);
    ++restore_counts_.reopened;
  } else if (data_changed) {
    // Rows changed, the schema did not: copy the image back under the open
    // connection. The copy restores the header's change counter, so SQLite
    // sees a database changed behind its back (as when another process
    // writes a file) and drops its page cache at the next read; the schema
    // cookie is the template's, so the parsed schema stays valid and the
    // next query pays no schema reload. The cache is also dropped here, so
    // correctness never hangs on that check alone.
    std::memcpy(buffer_.get(), image_->data(), image_->size());
    sqlite3_db_release_memory(db_);
    ++restore_counts_.copied;
  } else {
    ++restore_counts_.skipped;
  }
  data_dirty_ = schema_dirty_ = connection_dirty_ = false;
  since_restore_ = SqlBackendStats{};
  return Status::Ok();
}

Status SqlSession::Restore(const std::shared_ptr<const DatabaseImage>& image) {
  if (!image) return Status::InvalidArgument("SqlSession::Restore: no database image");
  if (image == image_) return Restore();
  // The connection has parsed the old database's schema: never deserialize
  // another database into it (see Restore()).
  CloseConnection();
  const std::size_t capacity = image->size() + growth_limit_;
  if (capacity > buffer_bytes_) {
    std::unique_ptr<unsigned char[]> bigger(new (std::nothrow) unsigned char[capacity]);
    if (!bigger) return Failed(Status::Internal("out of memory for a task database"));
    buffer_ = std::move(bigger);
    buffer_bytes_ = capacity;
  }
  image_ = image;
  capacity_ = capacity;
  std::memcpy(buffer_.get(), image_->data(), image_->size());
  if (Status s = OpenConnection(); !s.ok()) return Failed(s);
  if (Status s = Deserialize(); !s.ok()) return Failed(s);
  ++restore_counts_.switched;
  data_dirty_ = schema_dirty_ = connection_dirty_ = false;
  since_restore_ = SqlBackendStats{};
  return Status::Ok();
}

bool SqlSession::HeaderChanged(std::size_t offset) const {
  return std::memcmp(buffer_.get() + offset, image_->data() + offset, 4) != 0;
}

Status SqlSession::Failed(const Status& s) {
  connection_dirty_ = true;  // the next restore starts from scratch
  data_dirty_ = true;
  return s;
}

SqlRunStatus SqlSession::Run(std::string_view sql, const SqlLimits& limits, ResultSet* last) {
  error_.clear();
  last->Clear();
  if (db_ == nullptr) {
    error_ = "the task database is not open";
    return SqlRunStatus::kSqlError;
  }
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    error_ = "SQL text too long";
    return SqlRunStatus::kSqlError;
  }
  if (std::memchr(sql.data(), '\0', sql.size()) != nullptr) {
    // SQLite would stop reading at the NUL; refuse rather than run a prefix.
    error_ = "the SQL text contains a NUL byte";
    return SqlRunStatus::kSqlError;
  }
  timed_out_ = false;
  deadline_.Start(std::chrono::milliseconds(limits.time_limit_ms));
  const char* p = sql.data();
  const char* const end = p + sql.size();
  bool ran_any = false;
  SqlRunStatus result = SqlRunStatus::kOk;
  while (p < end && result == SqlRunStatus::kOk) {
    authorizer_.BeginPrepare();
    sqlite3_stmt* stmt = nullptr;
    const char* tail = end;
    int rc = sqlite3_prepare_v2(db_, p, static_cast<int>(end - p), &stmt, &tail);
    if (rc != SQLITE_OK) {
      if (authorizer_.flags().denied) {
        ++since_restore_.denied_statements;
        ++lifetime_.denied_statements;
        error_ = "not authorized: ";
        error_ += authorizer_.denial();
        result = SqlRunStatus::kDenied;
      } else {
        error_ = sqlite3_errmsg(db_);
        result = SqlRunStatus::kSqlError;
      }
      break;
    }
    if (stmt == nullptr) {  // whitespace or a comment
      if (tail <= p) break;
      p = tail;
      continue;
    }
    p = tail;
    ran_any = true;

    // The statement reaches SQLite: account for it before it runs, so a
    // failure half-way is still counted.
    const SqlAuthorizer::Flags flags = authorizer_.flags();
    SqlBackendStats d;
    d.statements = 1;
    if (!sqlite3_stmt_readonly(stmt)) {
      d.write_statements = 1;
      data_dirty_ = true;
    }
    if (flags.destructive) {
      d.destructive_statements = 1;
      data_dirty_ = true;
    }
    if (flags.schema_change) {
      d.schema_statements = 1;
      schema_dirty_ = data_dirty_ = true;
    }
    if (flags.connection_state) connection_dirty_ = data_dirty_ = true;
    const sqlite3_int64 changes_before = sqlite3_total_changes64(db_);

    authorizer_.BeginStep();
    const int columns = sqlite3_column_count(stmt);
    last->Reset(columns);
    for (int c = 0; c < columns; ++c) {
      const char* name = sqlite3_column_name(stmt, c);
      last->SetColumnName(c, name != nullptr ? std::string_view(name) : std::string_view());
    }
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (last->rows() >= limits.row_limit) {
        error_ = "row limit exceeded: the statement returns more than " + std::to_string(limits.row_limit) + " rows";
        result = SqlRunStatus::kRowLimit;
        break;
      }
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER: last->AddInteger(sqlite3_column_int64(stmt, c)); break;
          case SQLITE_FLOAT: last->AddReal(sqlite3_column_double(stmt, c)); break;
          case SQLITE_TEXT: {
            const char* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            last->AddText(std::string_view(t, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
            break;
          }
          case SQLITE_BLOB: {
            const char* b = static_cast<const char*>(sqlite3_column_blob(stmt, c));
            int n = sqlite3_column_bytes(stmt, c);
            last->AddBlob(n > 0 ? std::string_view(b, static_cast<std::size_t>(n)) : std::string_view());
            break;
          }
          default: last->AddNull(); break;
        }
      }
      if (last->payload_bytes() > limits.max_result_bytes) {
        error_ = "result too large: the statement returns more than " + std::to_string(limits.max_result_bytes) +
                 " bytes of text";
        result = SqlRunStatus::kResultTooLarge;
        break;
      }
    }
    if (result == SqlRunStatus::kOk && rc != SQLITE_DONE) {
      if (timed_out_) {
        error_ = "time limit exceeded (" + std::to_string(limits.time_limit_ms) + " ms)";
        result = SqlRunStatus::kTimeLimit;
      } else if (rc == SQLITE_AUTH) {
        // Refused while running (VACUUM attaches its target only then).
        ++since_restore_.denied_statements;
        ++lifetime_.denied_statements;
        error_ = "not authorized: ";
        error_ += authorizer_.denial();
        result = SqlRunStatus::kDenied;
      } else {
        error_ = sqlite3_errmsg(db_);
        result = SqlRunStatus::kSqlError;
      }
    }
    sqlite3_finalize(stmt);
    d.rows_changed = static_cast<std::uint64_t>(sqlite3_total_changes64(db_) - changes_before);
    since_restore_ += d;
    lifetime_ += d;
  }
  deadline_.Disarm();
  if (result == SqlRunStatus::kOk && !ran_any) {
    error_ = "no SQL statement";
    result = SqlRunStatus::kNoStatement;
  }
  if (result != SqlRunStatus::kOk) last->Clear();
  return result;
}

Status SqlSession::Digest(std::uint64_t* out) {
  if (out == nullptr) return Status::InvalidArgument("SqlSession::Digest: out is null");
  if (db_ == nullptr) return Status::StateError("the task database is not open");
  authorizer_.set_internal(true);
  CpuDeadline saved = deadline_;
  deadline_.Disarm();
  Status status;
  Hasher all;
  std::vector<std::pair<std::string, std::string>> tables;  // (schema, name)
  std::vector<std::uint64_t> row_hashes;
  auto query = [&](const std::string& sql, auto&& on_row) -> bool {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      status = Status::Internal(SqliteError(db_, "digest"));
      sqlite3_finalize(stmt);
      return false;
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) on_row(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) {
      status = Status::Internal(SqliteError(db_, "digest"));
      return false;
    }
    return true;
  };
  bool ok = query(
      "SELECT 'main', type, name, tbl_name, sql FROM main.sqlite_schema UNION ALL "
      "SELECT 'temp', type, name, tbl_name, sql FROM temp.sqlite_schema ORDER BY 1, 2, 3",
      [&](sqlite3_stmt* s) {
        for (int c = 0; c < 5; ++c) all.Text(reinterpret_cast<const char*>(sqlite3_column_text(s, c)));
        std::string type = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
        if (type == "table") {
          tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                              reinterpret_cast<const char*>(sqlite3_column_text(s, 2)));
        }
      });
  ok = ok && query("PRAGMA main.user_version", [&](sqlite3_stmt* s) { all.U64(sqlite3_column_int64(s, 0)); });
  for (std::size_t t = 0; ok && t < tables.size(); ++t) {
    row_hashes.clear();
    ok = query("SELECT * FROM " + tables[t].first + "." + QuoteIdentifier(tables[t].second.c_str()),
               [&](sqlite3_stmt* s) {
                 Hasher h;
                 for (int c = 0, n = sqlite3_column_count(s); c < n; ++c) HashColumn(s, c, &h);
                 row_hashes.push_back(h.Finish());
               });
    std::sort(row_hashes.begin(), row_hashes.end());
    all.U64(row_hashes.size());
    for (std::uint64_t r : row_hashes) all.U64(r);
  }
  deadline_ = saved;
  authorizer_.set_internal(false);
  if (!ok) return status;
  *out = all.Finish();
  return Status::Ok();
}

}  // namespace agentos
