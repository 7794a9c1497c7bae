#include "env/sql/authorizer.h"

#include <sqlite3.h>

#include <initializer_list>

namespace agentos {

namespace {

bool NameIs(const char* name, std::initializer_list<const char*> names) {
  if (name == nullptr) return false;
  for (const char* n : names) {
    if (sqlite3_stricmp(name, n) == 0) return true;
  }
  return false;
}

// Pragmas whose argument names what to read (a table, an index), not a
// value to set.
bool IsReadingPragma(const char* name) {
  return NameIs(name, {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
                       "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check"});
}

// Settings that act on the whole process or on the host filesystem.
bool IsForbiddenPragma(const char* name) {
  return NameIs(name, {"hard_heap_limit", "soft_heap_limit", "temp_store_directory", "data_store_directory"});
}

bool IsTemp(const char* db_name) { return db_name != nullptr && sqlite3_stricmp(db_name, "temp") == 0; }

}  // namespace

void SqlAuthorizer::Install(sqlite3* db) { sqlite3_set_authorizer(db, &SqlAuthorizer::Callback, this); }

int SqlAuthorizer::Callback(void* self, int action, const char* a1, const char* a2, const char* db_name,
                            const char* /*trigger*/) {
  return static_cast<SqlAuthorizer*>(self)->Decide(action, a1, a2, db_name);
}

int SqlAuthorizer::Decide(int action, const char* a1, const char* a2, const char* db_name) {
  if (internal_) return SQLITE_OK;
  Flags seen;
  const char* refusal = nullptr;
  switch (action) {
    case SQLITE_ATTACH:
      refusal = "ATTACH is denied: it would open a file outside the task's private database (VACUUM attaches too)";
      break;
    case SQLITE_DETACH:
      refusal = "DETACH is denied";
      break;
    case SQLITE_FUNCTION:  // a2 is the function name
      if (NameIs(a2, {"load_extension"})) refusal = "load_extension() is denied: it would load native code";
      if (NameIs(a2, {"fts3_tokenizer"})) refusal = "fts3_tokenizer() is denied";
      break;
    case SQLITE_PRAGMA:  // a1 is the pragma, a2 its argument or NULL
      if (a2 != nullptr && !IsReadingPragma(a1)) {
        if (IsForbiddenPragma(a1)) {
          refusal = "this PRAGMA is denied: it changes the whole process or the host filesystem";
        } else {
          seen.destructive = true;
          seen.connection_state = true;
        }
      }
      break;
    case SQLITE_DELETE:
      seen.destructive = true;
      seen.connection_state = IsTemp(db_name);
      break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
      seen.connection_state = IsTemp(db_name);
      break;
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
    case SQLITE_ALTER_TABLE:
      seen.destructive = true;
      seen.schema_change = true;
      seen.connection_state = IsTemp(db_name);
      break;
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
      seen.destructive = true;
      seen.schema_change = true;
      seen.connection_state = true;
      break;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
      seen.schema_change = true;
      seen.connection_state = IsTemp(db_name);
      break;
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
      seen.schema_change = true;
      seen.connection_state = true;
      break;
    default:
      break;
  }
  if (refusal != nullptr) {
    denial_ = refusal;
    if (counting_) flags_.denied = true;
    return SQLITE_DENY;
  }
  if (counting_) {
    flags_.destructive |= seen.destructive;
    flags_.schema_change |= seen.schema_change;
    flags_.connection_state |= seen.connection_state;
  }
  return SQLITE_OK;
}

}  // namespace agentos
