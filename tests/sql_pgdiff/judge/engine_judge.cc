#include "tests/sql_pgdiff/judge/engine_judge.h"

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "policies/policy_loader.h"
#include "tests/sql_pgdiff/pg_tree_kinds.h"

namespace agentos::sqljudge {

namespace {

using sql::Bit;
using sql::Kind;

const char* ActionName(int code) {
  switch (code) {
    case SQLITE_CREATE_INDEX: return "CREATE_INDEX";
    case SQLITE_CREATE_TABLE: return "CREATE_TABLE";
    case SQLITE_CREATE_TEMP_INDEX: return "CREATE_TEMP_INDEX";
    case SQLITE_CREATE_TEMP_TABLE: return "CREATE_TEMP_TABLE";
    case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE_TEMP_TRIGGER";
    case SQLITE_CREATE_TEMP_VIEW: return "CREATE_TEMP_VIEW";
    case SQLITE_CREATE_TRIGGER: return "CREATE_TRIGGER";
    case SQLITE_CREATE_VIEW: return "CREATE_VIEW";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_DROP_INDEX: return "DROP_INDEX";
    case SQLITE_DROP_TABLE: return "DROP_TABLE";
    case SQLITE_DROP_TEMP_INDEX: return "DROP_TEMP_INDEX";
    case SQLITE_DROP_TEMP_TABLE: return "DROP_TEMP_TABLE";
    case SQLITE_DROP_TEMP_TRIGGER: return "DROP_TEMP_TRIGGER";
    case SQLITE_DROP_TEMP_VIEW: return "DROP_TEMP_VIEW";
    case SQLITE_DROP_TRIGGER: return "DROP_TRIGGER";
    case SQLITE_DROP_VIEW: return "DROP_VIEW";
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_PRAGMA: return "PRAGMA";
    case SQLITE_READ: return "READ";
    case SQLITE_SELECT: return "SELECT";
    case SQLITE_TRANSACTION: return "TRANSACTION";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_ALTER_TABLE: return "ALTER_TABLE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_CREATE_VTABLE: return "CREATE_VTABLE";
    case SQLITE_DROP_VTABLE: return "DROP_VTABLE";
    case SQLITE_FUNCTION: return "FUNCTION";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_RECURSIVE: return "RECURSIVE";
    default: return "?";
  }
}

// Reading: what every shipped policy lets an allowed text do.
bool IsRead(int code) {
  return code == SQLITE_SELECT || code == SQLITE_READ || code == SQLITE_FUNCTION || code == SQLITE_RECURSIVE;
}

bool Permitted(const PolicySpec& policy, int code) {
  return IsRead(code) || (policy.insert_update && (code == SQLITE_INSERT || code == SQLITE_UPDATE));
}

bool Has(const SqliteStatement& s, int code) {
  for (int a : s.actions) {
    if (a == code) return true;
  }
  return false;
}

// SQLite's identifier characters (tokenize.c's IdChar): a keyword ends where
// none follows.
bool IsSqliteIdChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

bool WordAt(std::string_view s, std::size_t k, std::string_view upper) {
  if (k + upper.size() > s.size()) return false;
  if (k > 0 && IsSqliteIdChar(static_cast<unsigned char>(s[k - 1]))) return false;
  for (std::size_t i = 0; i < upper.size(); ++i) {
    if ((s[k + i] & 0xDF) != upper[i]) return false;
  }
  return k + upper.size() == s.size() || !IsSqliteIdChar(static_cast<unsigned char>(s[k + upper.size()]));
}

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

Status ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return Status::Ok();
}

// Tables and columns the generators' statements name beyond the shop's, so
// that SQLite refuses a statement for its syntax, not for a missing name
// (which would hide every statement after it).
std::string GrammarTables() {
  static const char* const kTables[] = {"t", "u", "users", "accounts", "items", "drop_log", "deleted_rows",
                                        "comment", "\"drop\"", "\"delete\"", "\"select\"", "\"Order Items\"",
                                        "src", "m", "backup", "new_t", "n", "f", "x", "c"};
  std::string out;
  for (const char* table : kTables) {
    out += "CREATE TABLE ";
    out += table;
    out += " (a, b, c, k, x, id INTEGER PRIMARY KEY, name, amount, status, drop_date, updated_at, delete_flag, "
           "\"delete\", \"where\", \"update\", \"insert\", \"merge\", \"set\", \"comment\", \"copy\", "
           "\"explain\", \"prepare\", \"lock\", \"show\");\n";
  }
  return out;
}

}  // namespace

const std::vector<PolicySpec>& ShippedSqlPolicies() {
  static const std::vector<PolicySpec> kPolicies = {
      {"sql_safety.yaml", true, Bit(Kind::kSelect) | Bit(Kind::kInsert) | Bit(Kind::kUpdate)},
      {"train_governed.yaml", false, Bit(Kind::kSelect)},
  };
  return kPolicies;
}

// ---- SQLite -----------------------------------------------------------------

Status SqliteProbe::Open(std::string_view schema_sql, std::unique_ptr<SqliteProbe>* out) {
  std::unique_ptr<SqliteProbe> p(new SqliteProbe());
  if (sqlite3_open_v2(":memory:", &p->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    return Status::Internal("sqlite3_open_v2 failed");
  }
  // As the SQL task's sessions are configured (env/sql/sql_session.cc).
  sqlite3_db_config(p->db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(p->db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(p->db_, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  sqlite3_db_config(p->db_, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  const std::string schema(schema_sql);
  char* error = nullptr;
  if (sqlite3_exec(p->db_, schema.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    return Status::InvalidArgument("schema: " + message);
  }
  sqlite3_set_authorizer(p->db_, &SqliteProbe::Record, p.get());
  *out = std::move(p);
  return Status::Ok();
}

SqliteProbe::~SqliteProbe() { sqlite3_close_v2(db_); }

int SqliteProbe::Record(void* self, int code, const char* a1, const char* a2, const char*, const char*) {
  auto* probe = static_cast<SqliteProbe*>(self);
  if (probe->recording_ != nullptr) {
    probe->recording_->actions.push_back(code);
    std::string arg = ActionName(code);
    arg += ':';
    arg += a1 != nullptr ? a1 : "";
    arg += ':';
    arg += a2 != nullptr ? a2 : "";
    probe->recording_->args.push_back(std::move(arg));
  }
  return SQLITE_OK;
}

bool SqliteProbe::PrepareOne(std::string_view text, std::size_t at, SqliteStatement* out) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  recording_ = out;
  const int rc = sqlite3_prepare_v2(db_, text.data() + at, static_cast<int>(text.size() - at), &stmt, &tail);
  recording_ = nullptr;
  out->begin = static_cast<std::uint32_t>(at);
  if (rc != SQLITE_OK) {
    out->prepared = false;
    out->end = static_cast<std::uint32_t>(text.size());
    sqlite3_finalize(stmt);
    return true;
  }
  if (stmt == nullptr) return false;  // only space and comments
  sqlite3_finalize(stmt);
  out->prepared = true;
  out->end = static_cast<std::uint32_t>(tail - text.data());
  return true;
}

bool SqliteSeesTopLevelWhere(std::string_view stmt) {
  // Whether byte k is code: SQLite's statement-completeness scanner finds a
  // `;` appended there only if k is outside strings, identifiers and
  // comments. Only candidate bytes are probed.
  std::string prefix;
  auto is_code = [&](std::size_t k) {
    prefix.assign(stmt.substr(0, k));
    prefix += ';';
    return sqlite3_complete(prefix.c_str()) == 1;
  };
  int depth = 0;
  for (std::size_t k = 0; k < stmt.size(); ++k) {
    const char c = stmt[k];
    const bool paren = c == '(' || c == ')';
    const bool where = (c == 'W' || c == 'w') && WordAt(stmt, k, "WHERE");
    if ((!paren && !where) || !is_code(k)) continue;
    if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (depth == 0) return true;
  }
  return false;
}

std::string SqliteBreach(const PolicySpec& policy, std::string_view text,
                         const std::vector<SqliteStatement>& statements) {
  for (const SqliteStatement& s : statements) {
    if (!s.prepared) break;  // SQLite stops at the statement it refuses
    const std::string_view body = text.substr(s.begin, s.end - s.begin);
    std::string denied;
    for (std::size_t i = 0; i < s.actions.size(); ++i) {
      if (Permitted(policy, s.actions[i]) || denied.find(s.args[i]) != std::string::npos) continue;
      denied += denied.empty() ? "" : ", ";
      denied += s.args[i];
    }
    if (!denied.empty()) return "SQLite would perform " + denied + " in statement " + Quote(body);
    // An UPDATE statement (an upsert's DO UPDATE also inserts) needs a WHERE.
    if (policy.insert_update && Has(s, SQLITE_UPDATE) && !Has(s, SQLITE_INSERT) && !SqliteSeesTopLevelWhere(body)) {
      return "SQLite would run an UPDATE without WHERE: " + Quote(body);
    }
  }
  return "";
}

// ---- PostgreSQL ---------------------------------------------------------------

std::string PostgresBreach(const PolicySpec& policy, const std::string& text, bool* parsed) {
  std::vector<pgdiff::PgStatement> statements;
  std::string error;
  *parsed = pgdiff::PgAnalyze(text, &statements, &error);
  if (!*parsed) return "";
  for (const auto& s : statements) {
    if ((s.kinds & ~policy.pg_kinds) != 0) {
      std::string kinds;
      for (int k = 0; k < sql::kKindCount; ++k) {
        if (sql::Has(s.kinds & ~policy.pg_kinds, static_cast<Kind>(k))) {
          kinds += kinds.empty() ? "" : "+";
          kinds += sql::KindName(static_cast<Kind>(k));
        }
      }
      return "PostgreSQL would run " + kinds;
    }
    if (s.update_without_where) return "PostgreSQL would run an UPDATE without WHERE";
    if (s.delete_without_where) return "PostgreSQL would run a DELETE without WHERE";
  }
  return "";
}

// ---- the judge ----------------------------------------------------------------

Status DifferentialJudge::Create(const std::string& source_dir, std::unique_ptr<DifferentialJudge>* out) {
  std::vector<std::shared_ptr<const KernelSpace>> kernels;
  for (const PolicySpec& spec : ShippedSqlPolicies()) {
    std::shared_ptr<const KernelSpace> k;
    Status s = LoadKernelFromFile(source_dir + "/examples/policies/" + spec.file, &k);
    if (!s.ok()) return s;
    kernels.push_back(std::move(k));
  }
  return CreateWithKernels(source_dir, std::move(kernels), out);
}

Status DifferentialJudge::CreateWithKernels(const std::string& source_dir,
                                            std::vector<std::shared_ptr<const KernelSpace>> kernels,
                                            std::unique_ptr<DifferentialJudge>* out) {
  const auto& specs = ShippedSqlPolicies();
  if (kernels.size() != specs.size()) return Status::InvalidArgument("one kernel per shipped SQL policy");
  std::unique_ptr<DifferentialJudge> j(new DifferentialJudge());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (kernels[i] == nullptr) return Status::InvalidArgument("null kernel");
    j->policies_.push_back({specs[i], std::move(kernels[i])});
  }
  std::string schema;
  Status s = ReadFile(source_dir + "/env/sql/data/shop/schema.sql", &schema);
  if (!s.ok()) return s;
  s = SqliteProbe::Open(schema + GrammarTables(), &j->sqlite_);
  if (!s.ok()) return s;
  *out = std::move(j);
  return Status::Ok();
}

void DifferentialJudge::Judge(std::string_view text, std::vector<Finding>* findings) {
  ++counts_.texts;
  Action action;
  action.kind = ActionKind::kSql;
  action.payload = text;
  bool prepared = false;
  const std::size_t findings_before = findings->size();
  const std::string owned(text);
  for (const Loaded& p : policies_) {
    if (!p.kernel->Check(action).allowed()) continue;
    ++counts_.allowed;
    if (!prepared) {
      // Statements that only read or write rows change no schema, so the
      // next one compiles as it would run; after any other, stop.
      sqlite_->Statements(text, &statements_, [](const SqliteStatement& s) {
        for (int a : s.actions) {
          if (!IsRead(a) && a != SQLITE_INSERT && a != SQLITE_UPDATE) return false;
        }
        return true;
      });
      prepared = true;
      for (const auto& s : statements_) {
        counts_.sqlite_statements += s.prepared;
        counts_.sqlite_refused += !s.prepared;
      }
    }
    std::string why = SqliteBreach(p.spec, text, statements_);
    if (!why.empty()) findings->push_back({p.spec.file, "sqlite", std::move(why)});
    bool parsed = false;
    why = PostgresBreach(p.spec, owned, &parsed);
    counts_.postgres_parsed += parsed;
    if (!why.empty()) findings->push_back({p.spec.file, "postgres", std::move(why)});
  }
  counts_.findings += findings->size() - findings_before;
  counts_.texts_with_findings += findings->size() > findings_before;
}

}  // namespace agentos::sqljudge
