// SqlAuthorizer: the SQLite authorizer installed on every task connection.
// Defence in depth behind the kernel: it classifies each statement as it is
// prepared and refuses anything that could reach beyond the task's private
// in-memory database.
//
//  * DENIED (the statement fails with "not authorized: ..."): ATTACH and
//    DETACH (files, and VACUUM, which attaches), load_extension() and
//    fts3_tokenizer() (native code), and setting the process-wide or
//    filesystem PRAGMAs hard_heap_limit, soft_heap_limit,
//    temp_store_directory, data_store_directory.
//  * DESTRUCTIVE (allowed, counted): DELETE, every DROP, ALTER TABLE, and a
//    PRAGMA that sets something. With the kernel in front these never
//    arrive; in the ungoverned (audit-only) condition they run for real on
//    the private database and the count is the evidence.
//  * CONNECTION STATE (allowed, noted): a PRAGMA that sets something or any
//    object in the TEMP schema outlives a restored image, so the session
//    reopens its connection at the next reset.
#ifndef AGENTOS_ENV_SQL_AUTHORIZER_H_
#define AGENTOS_ENV_SQL_AUTHORIZER_H_

#include <string_view>

struct sqlite3;

namespace agentos {

class SqlAuthorizer {
 public:
  // What the statement prepared last will do.
  struct Flags {
    bool destructive = false;       // see the header comment
    bool schema_change = false;     // CREATE, DROP or ALTER of any object
    bool connection_state = false;  // changes state a restored image does not reset
    bool denied = false;            // something in it was refused
  };

  void Install(sqlite3* db);

  // Call before preparing a statement; flags() then describes it.
  void BeginPrepare() { flags_ = Flags{}; denial_ = {}; counting_ = true; }
  // Call before stepping: SQLite may re-prepare a statement while stepping
  // (after a schema change); that is still checked but no longer counted.
  void BeginStep() { counting_ = false; }
  const Flags& flags() const { return flags_; }
  // Why the last refusal happened ("ATTACH is denied: ..."); static text.
  std::string_view denial() const { return denial_; }

  // While true every request is allowed and nothing is counted: for the
  // session's own statements (restoring the image, configuring, digests).
  void set_internal(bool on) { internal_ = on; }

 private:
  static int Callback(void* self, int action, const char* a1, const char* a2, const char* db_name,
                      const char* trigger);
  int Decide(int action, const char* a1, const char* a2, const char* db_name);

  Flags flags_;
  std::string_view denial_;
  bool counting_ = true;
  bool internal_ = false;
};

}  // namespace agentos

#endif  // AGENTOS_ENV_SQL_AUTHORIZER_H_
