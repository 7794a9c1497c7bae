// SqlSession: one SQLite connection over a private, restorable copy of a
// template database image. Used by one thread at a time.
//
// Restoring never re-runs SQL: the session copies the template image into a
// buffer it owns (allocated once, reused for every restore) and hands it to
// sqlite3_deserialize. The buffer has a fixed capacity (image size plus a
// growth limit) and is not resizeable, so a task's database can never grow
// past it: writes beyond fail with "database or disk is full".
//
// A restore does only what the last episode made necessary:
//  * nothing ran that could write      -> nothing to do (the common case);
//  * rows changed, the schema did not  -> copy the image back in place; the
//                                         connection keeps its parsed schema;
//  * the schema changed, or connection state did (a PRAGMA set, a TEMP
//    object)                           -> copy, and sqlite3_deserialize it
//                                         into a new connection.
// What the episode did is known from the authorizer's flags and checked
// against the database header (change counter, schema cookie), so a change
// the flags missed still takes the right path. A schema change never
// deserializes into the connection that saw the old schema: SQLite keeps
// objects per connection (eponymous virtual tables such as json_each) that
// point into it. So after every restore the session is indistinguishable
// from a fresh one.
#ifndef AGENTOS_ENV_SQL_SQL_SESSION_H_
#define AGENTOS_ENV_SQL_SQL_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "env/sql/authorizer.h"
#include "env/sql/cpu_deadline.h"
#include "env/sql/result_set.h"
#include "env/sql/sql_backend_stats.h"
#include "kernel/status.h"

struct sqlite3;

namespace agentos {

// A serialized SQLite database, immutable once built and shared read-only.
class DatabaseImage {
 public:
  // Runs `sql` (schema and rows) on a fresh in-memory database and keeps its
  // serialized form.
  static Status FromSql(std::string_view sql, std::shared_ptr<const DatabaseImage>* out);
  // Reads the SQLite database file at `path` (opened read-only, never
  // written) and keeps its serialized form. Fails, naming the path, when the
  // file is missing or is not a SQLite database.
  static Status FromFile(const std::string& path, std::shared_ptr<const DatabaseImage>* out);
  ~DatabaseImage();
  DatabaseImage(const DatabaseImage&) = delete;
  DatabaseImage& operator=(const DatabaseImage&) = delete;

  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  DatabaseImage() = default;
  unsigned char* data_ = nullptr;  // from sqlite3_serialize (sqlite3_malloc'd)
  std::size_t size_ = 0;
};

struct SqlLimits {
  std::uint32_t time_limit_ms = 200;          // CPU time of one Run, all statements together (cpu_deadline.h)
  std::uint32_t row_limit = 10000;            // rows read back per statement
  std::size_t max_result_bytes = 16u << 20;   // text and blob bytes read back per statement
};

enum class SqlRunStatus : std::uint8_t {
  kOk = 0,
  kNoStatement,     // only whitespace and comments
  kSqlError,        // SQLite refused or failed (syntax, constraint, full, ...)
  kDenied,          // the authorizer refused it
  kTimeLimit,
  kRowLimit,
  kResultTooLarge,
};

class SqlSession {
 public:
  // `growth_limit_bytes`: how much the database may grow past the image.
  static Status Open(std::shared_ptr<const DatabaseImage> image, std::size_t growth_limit_bytes,
                     std::unique_ptr<SqlSession>* out);
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;

  // Brings the database back to the template (see the header comment).
  Status Restore();
  // The same, with `image` as the template from now on. The same image as
  // before is a plain Restore(); another one costs a new connection (and a
  // larger buffer when it needs one), as when the schema changed.
  Status Restore(const std::shared_ptr<const DatabaseImage>& image);

  // Runs every statement of `sql` in order and leaves the last statement's
  // rows in `last`. Stops at the first failure; what ran before stays done.
  SqlRunStatus Run(std::string_view sql, const SqlLimits& limits, ResultSet* last);
  // Why the last Run failed; valid until the next call.
  std::string_view error() const { return error_; }

  // What reached SQLite since the last Restore, and since Open.
  const SqlBackendStats& since_restore() const { return since_restore_; }
  const SqlBackendStats& lifetime() const { return lifetime_; }

  // How restores went so far (for benchmarks and tests).
  struct RestoreCounts {
    std::uint64_t skipped = 0;   // nothing to do
    std::uint64_t copied = 0;    // image copied back in place
    std::uint64_t reopened = 0;  // image copied and deserialized into a new connection
    std::uint64_t switched = 0;  // another image deserialized into a new connection
  };
  const RestoreCounts& restore_counts() const { return restore_counts_; }

  // Digest of the database content: every schema entry (main and temp) and
  // every row of every table, rows as a multiset. Equal digests mean equal
  // content; it does not depend on page layout or row order.
  Status Digest(std::uint64_t* out);

  std::size_t capacity_bytes() const { return capacity_; }

 private:
  SqlSession() = default;
  Status OpenConnection();
  void CloseConnection();
  Status Deserialize();
  bool HeaderChanged(std::size_t offset) const;  // a header field of the live database differs from the image's
  Status ExecInternal(const char* sql);
  Status Failed(const Status& s);  // a restore failed: the next one starts from scratch
  static int OnProgress(void* self);

  std::shared_ptr<const DatabaseImage> image_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<unsigned char[]> buffer_;  // holds the live database; reused by every restore
  std::size_t buffer_bytes_ = 0;             // allocated; >= capacity_
  std::size_t capacity_ = 0;                 // the image's size plus the growth limit
  std::size_t growth_limit_ = 0;
  SqlAuthorizer authorizer_;
  bool data_dirty_ = false;        // the buffer may differ from the image
  bool schema_dirty_ = false;      // ... and so may the schema
  bool connection_dirty_ = false;  // connection state may differ from a fresh one
  CpuDeadline deadline_;  // of the running action; disarmed otherwise
  bool timed_out_ = false;
  SqlBackendStats since_restore_;
  SqlBackendStats lifetime_;
  RestoreCounts restore_counts_;
  std::string error_;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_SQL_SESSION_H_
