// Statement kinds: what one SQL statement does, as named in SQLPolicy allow
// and deny lists. A statement can have several (a SELECT whose CTE deletes is
// SELECT + DELETE); they are kept as a bit set.
#ifndef AGENTOS_POLICIES_SQL_STATEMENT_KIND_H_
#define AGENTOS_POLICIES_SQL_STATEMENT_KIND_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "kernel/severity.h"

namespace agentos::sql {

// The upper-case spelling of each kind is its config name (see kKindNames in
// statement_kind.cc). Transaction control (BEGIN, START TRANSACTION, COMMIT,
// END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, PREPARE TRANSACTION) is the one
// kind TRANSACTION. UNLISTEN is LISTEN; MOVE is FETCH; DESCRIBE/DESC is
// EXPLAIN. Statements of no known kind are kUnknown, which has no config name
// and is always denied.
enum class Kind : std::uint8_t {
  kSelect, kInsert, kUpdate, kDelete, kMerge, kReplace,
  kDrop, kTruncate, kAlter, kCreate, kGrant, kRevoke,
  kExplain, kPragma, kAttach, kDetach, kVacuum, kTransaction,
  kSet, kShow, kCopy, kCall, kDo, kExecute, kPrepare, kDeallocate,
  kLock, kComment, kReindex, kAnalyze, kValues, kTable,
  kRename, kUse, kLoad, kRefresh, kCluster, kDiscard, kReset,
  kListen, kNotify, kImport, kCheckpoint, kDeclare, kFetch, kClose,
  kUnknown,  // keep last
};
inline constexpr int kKindCount = static_cast<int>(Kind::kUnknown) + 1;
static_assert(kKindCount <= 64, "KindSet is one 64-bit word");

// A set of kinds, one bit per Kind.
using KindSet = std::uint64_t;
constexpr KindSet Bit(Kind k) { return KindSet{1} << static_cast<unsigned>(k); }
constexpr bool Has(KindSet s, Kind k) { return (s & Bit(k)) != 0; }

// "SELECT", ..., "UNKNOWN".
std::string_view KindName(Kind k);
// Config names, case-insensitive ("drop" is DROP). UNKNOWN is not a config
// name: unknown statements are always denied.
std::optional<Kind> ParseKindName(std::string_view name);

// How bad running a kind is when a policy forbids it: critical for kinds that
// destroy data or schema, change privileges, touch files or run code;
// high for row-changing and server-state kinds; low for reads.
Severity DefaultKindSeverity(Kind k);

}  // namespace agentos::sql

#endif  // AGENTOS_POLICIES_SQL_STATEMENT_KIND_H_
