#include "tests/sql_pgdiff/pg_tree_kinds.h"

#include <pg_query.h>

#include <cstring>
#include <string_view>

#include "kernel/rapidjson.h"  // with the UBSan exemption clang's fuzz build needs

namespace agentos::pgdiff {

namespace {

using rapidjson::Value;
using sql::Bit;
using sql::Kind;

// Parse-tree node types that are statements of a fixed kind.
struct NodeKind {
  const char* node;
  Kind kind;
};
constexpr NodeKind kFixed[] = {
    {"TruncateStmt", Kind::kTruncate}, {"TransactionStmt", Kind::kTransaction},
    {"VariableShowStmt", Kind::kShow}, {"CallStmt", Kind::kCall}, {"DoStmt", Kind::kDo},
    {"ExecuteStmt", Kind::kExecute}, {"DeallocateStmt", Kind::kDeallocate}, {"LockStmt", Kind::kLock},
    {"CommentStmt", Kind::kComment}, {"ReindexStmt", Kind::kReindex},
    {"RefreshMatViewStmt", Kind::kRefresh}, {"ClusterStmt", Kind::kCluster},
    {"DiscardStmt", Kind::kDiscard}, {"ListenStmt", Kind::kListen}, {"UnlistenStmt", Kind::kListen},
    {"NotifyStmt", Kind::kNotify}, {"ImportForeignSchemaStmt", Kind::kImport},
    {"CheckPointStmt", Kind::kCheckpoint}, {"FetchStmt", Kind::kFetch},
    {"ClosePortalStmt", Kind::kClose}, {"LoadStmt", Kind::kLoad}, {"RenameStmt", Kind::kAlter},
    {"IndexStmt", Kind::kCreate}, {"DefineStmt", Kind::kCreate}, {"CompositeTypeStmt", Kind::kCreate},
    {"CreateEnumStmt", Kind::kCreate}, {"CreateRangeStmt", Kind::kCreate}, {"CopyStmt", Kind::kCopy},
};

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

class Deriver {
 public:
  explicit Deriver(PgStatement& out) : out_(out) {}

  // Any JSON value; `stmt_pos`: a statement here counts with its own kind
  // (otherwise only data-modifying statements and SELECT INTO count).
  void Walk(const Value& v, bool stmt_pos) {
    if (v.IsArray()) {
      for (const auto& item : v.GetArray()) Walk(item, false);
      return;
    }
    if (!v.IsObject()) return;
    for (const auto& m : v.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      // SELECT ... INTO: on the SelectStmt, or on a set operation's branch.
      if (name == "intoClause") Add(Kind::kCreate);
      if (!name.empty() && name[0] >= 'A' && name[0] <= 'Z' && m.value.IsObject()) {
        Node(name, m.value, stmt_pos);
      } else {
        Walk(m.value, false);
      }
    }
  }

 private:
  void Add(Kind k) { out_.kinds |= Bit(k); }

  void WalkMembersExcept(const Value& body, const char* skip) {
    for (const auto& m : body.GetObject()) {
      if (skip != nullptr && std::strcmp(m.name.GetString(), skip) == 0) continue;
      Walk(m.value, false);
    }
  }

  // The kind of a query at a statement position: its leftmost branch.
  void QueryKind(const Value& select) {
    const Value* s = &select;
    while (s->HasMember("op") && std::strcmp((*s)["op"].GetString(), "SETOP_NONE") != 0 &&
           s->HasMember("larg")) {
      s = &(*s)["larg"];
    }
    if (s->HasMember("valuesLists")) {
      Add(Kind::kValues);
      return;
    }
    Add(Kind::kSelect);
    // TABLE t parses as SELECT * FROM t whose star has no source location.
    if (s->HasMember("targetList") && (*s)["targetList"].Size() == 1) {
      const Value& rt = (*s)["targetList"][0];
      if (rt.HasMember("ResTarget") && rt["ResTarget"].HasMember("location") &&
          rt["ResTarget"]["location"].GetInt() == -1) {
        Add(Kind::kTable);
      }
    }
  }

  void Node(std::string_view type, const Value& body, bool stmt_pos) {
    if (type == "SelectStmt") {
      if (stmt_pos) QueryKind(body);
      Walk(body, false);
      return;
    }
    if (type == "InsertStmt") {
      Add(Kind::kInsert);
      if (body.HasMember("onConflictClause") && body["onConflictClause"].HasMember("action") &&
          std::strcmp(body["onConflictClause"]["action"].GetString(), "ONCONFLICT_UPDATE") == 0) {
        Add(Kind::kUpdate);
      }
      Walk(body, false);
      return;
    }
    if (type == "UpdateStmt" || type == "DeleteStmt") {
      bool update = type == "UpdateStmt";
      Add(update ? Kind::kUpdate : Kind::kDelete);
      if (!body.HasMember("whereClause")) {
        (update ? out_.update_without_where : out_.delete_without_where) = true;
      }
      Walk(body, false);
      return;
    }
    if (type == "MergeStmt") {
      Add(Kind::kMerge);
      if (body.HasMember("mergeWhenClauses")) {
        for (const auto& w : body["mergeWhenClauses"].GetArray()) {
          std::string_view cmd = w["MergeWhenClause"]["commandType"].GetString();
          if (cmd == "CMD_UPDATE") Add(Kind::kUpdate);
          if (cmd == "CMD_DELETE") Add(Kind::kDelete);
          if (cmd == "CMD_INSERT") Add(Kind::kInsert);
        }
      }
      Walk(body, false);
      return;
    }
    // Statements that run (or store) a query at a statement position.
    const char* inner = nullptr;
    Kind kind = Kind::kUnknown;
    if (type == "ExplainStmt") kind = Kind::kExplain, inner = "query";
    else if (type == "CreateTableAsStmt") kind = Kind::kCreate, inner = "query";
    else if (type == "ViewStmt") kind = Kind::kCreate, inner = "query";
    else if (type == "PrepareStmt") kind = Kind::kPrepare, inner = "query";
    else if (type == "DeclareCursorStmt") kind = Kind::kDeclare, inner = "query";
    if (inner != nullptr) {
      Add(kind);
      if (body.HasMember(inner)) Walk(body[inner], true);
      WalkMembersExcept(body, inner);
      return;
    }
    if (type == "RuleStmt") {
      Add(Kind::kCreate);
      if (body.HasMember("actions")) {
        for (const auto& a : body["actions"].GetArray()) Walk(a, true);
      }
      WalkMembersExcept(body, "actions");
      return;
    }
    if (type == "CommonTableExpr") {
      Walk(body, false);
      return;
    }
    if (!stmt_pos) {
      Walk(body, false);
      return;
    }
    // A plain utility statement.
    if (type == "GrantStmt" || type == "GrantRoleStmt") {
      bool grant = body.HasMember("is_grant") && body["is_grant"].GetBool();
      Add(grant ? Kind::kGrant : Kind::kRevoke);
    } else if (type == "VariableSetStmt") {
      std::string_view k = body["kind"].GetString();
      Add(StartsWith(k, "VAR_RESET") ? Kind::kReset : Kind::kSet);
    } else if (type == "VacuumStmt") {
      bool vacuum = body.HasMember("is_vacuumcmd") && body["is_vacuumcmd"].GetBool();
      Add(vacuum ? Kind::kVacuum : Kind::kAnalyze);
    } else if (StartsWith(type, "Create")) {
      Add(Kind::kCreate);
    } else if (StartsWith(type, "Drop")) {
      Add(Kind::kDrop);
    } else if (StartsWith(type, "Alter")) {
      Add(Kind::kAlter);
    } else {
      Kind k = Kind::kUnknown;
      for (const auto& f : kFixed) {
        if (type == f.node) k = f.kind;
      }
      Add(k);  // kUnknown for statements agentos has no kind for
    }
    Walk(body, false);
  }

  PgStatement& out_;
};

}  // namespace

bool PgAnalyze(const std::string& text, std::vector<PgStatement>* out, std::string* error) {
  out->clear();
  PgQueryParseResult r = pg_query_parse(text.c_str());
  if (r.error != nullptr) {
    *error = r.error->message ? r.error->message : "parse error";
    pg_query_free_parse_result(r);
    return false;
  }
  rapidjson::Document doc;
  doc.Parse(r.parse_tree);
  pg_query_free_parse_result(r);
  if (doc.HasParseError() || !doc.IsObject()) {
    *error = "unreadable parse tree";
    return false;
  }
  if (doc.HasMember("stmts")) {
    for (const auto& raw : doc["stmts"].GetArray()) {
      PgStatement s;
      Deriver d(s);
      if (raw.HasMember("stmt")) d.Walk(raw["stmt"], true);
      out->push_back(s);
    }
  }
  return true;
}

}  // namespace agentos::pgdiff
