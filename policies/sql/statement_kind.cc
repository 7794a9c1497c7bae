#include "policies/sql/statement_kind.h"

#include <array>

namespace agentos::sql {

namespace {

constexpr std::array<std::string_view, kKindCount> kKindNames = {
    "SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE",
    "DROP", "TRUNCATE", "ALTER", "CREATE", "GRANT", "REVOKE",
    "EXPLAIN", "PRAGMA", "ATTACH", "DETACH", "VACUUM", "TRANSACTION",
    "SET", "SHOW", "COPY", "CALL", "DO", "EXECUTE", "PREPARE", "DEALLOCATE",
    "LOCK", "COMMENT", "REINDEX", "ANALYZE", "VALUES", "TABLE",
    "RENAME", "USE", "LOAD", "REFRESH", "CLUSTER", "DISCARD", "RESET",
    "LISTEN", "NOTIFY", "IMPORT", "CHECKPOINT", "DECLARE", "FETCH", "CLOSE",
    "UNKNOWN",
};

bool EqualsUpper(std::string_view text, std::string_view upper) {
  if (text.size() != upper.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view KindName(Kind k) {
  auto i = static_cast<std::size_t>(k);
  return i < kKindNames.size() ? kKindNames[i] : "UNKNOWN";
}

std::optional<Kind> ParseKindName(std::string_view name) {
  for (int i = 0; i < kKindCount - 1; ++i) {  // UNKNOWN is not a config name
    if (EqualsUpper(name, kKindNames[static_cast<std::size_t>(i)])) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

Severity DefaultKindSeverity(Kind k) {
  switch (k) {
    case Kind::kDrop: case Kind::kTruncate: case Kind::kAlter: case Kind::kGrant:
    case Kind::kRevoke: case Kind::kAttach: case Kind::kDetach: case Kind::kRename:
    case Kind::kLoad: case Kind::kCopy: case Kind::kDo: case Kind::kImport:
      return Severity::kCritical;
    case Kind::kDelete: case Kind::kUpdate: case Kind::kMerge: case Kind::kReplace:
    case Kind::kCreate: case Kind::kPragma: case Kind::kVacuum: case Kind::kSet:
    case Kind::kReset: case Kind::kCall: case Kind::kExecute: case Kind::kLock:
    case Kind::kReindex: case Kind::kCluster: case Kind::kRefresh: case Kind::kDiscard:
    case Kind::kUse: case Kind::kCheckpoint: case Kind::kComment: case Kind::kUnknown:
      return Severity::kHigh;
    case Kind::kInsert: case Kind::kTransaction: case Kind::kPrepare: case Kind::kDeallocate:
    case Kind::kAnalyze: case Kind::kListen: case Kind::kNotify: case Kind::kDeclare:
    case Kind::kFetch: case Kind::kClose:
      return Severity::kMedium;
    case Kind::kSelect: case Kind::kExplain: case Kind::kShow: case Kind::kValues:
    case Kind::kTable:
      return Severity::kLow;
  }
  return Severity::kCritical;
}

}  // namespace agentos::sql
