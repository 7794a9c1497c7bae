// SQLPolicy: which SQL statements an agent may run, decided on a real
// tokenizer (policies/sql/), never on regexes.
#ifndef AGENTOS_POLICIES_SQL_POLICY_H_
#define AGENTOS_POLICIES_SQL_POLICY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernel/policy.h"
#include "kernel/severity.h"
#include "kernel/status.h"

namespace agentos {

struct SqlPolicyConfig {
  // Statement kinds (upper case: SELECT, INSERT, UPDATE, DELETE, MERGE, DROP,
  // TRUNCATE, ALTER, CREATE, ...; see policies/sql/statement_kind.h for the
  // full list). An empty allow list allows every kind that is not denied;
  // a non-empty one denies every kind not on it. Deny overrides allow.
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  bool require_where_on_update = true;
  bool require_where_on_delete = true;
  // Severity per statement kind ("DROP") or per rule id ("sql.not_allowed");
  // anything not named gets the documented default.
  std::map<std::string, Severity> severities;
  // Longer input is denied unread.
  std::size_t max_length = 1 << 20;
  // true for the YAML/Python `SQLPolicy()` with no arguments: deny the
  // destructive kinds by default. Ignored when deny is non-empty.
  bool use_default_deny = true;
};

// Names the YAML loader checks before building: statement kinds ("DROP")
// and rule ids ("sql.not_allowed") a config may mention.
bool IsSqlStatementKindName(std::string_view name);
bool IsSqlRuleId(std::string_view rule);

// Validates the config (unknown statement kinds or rule ids are errors).
Status MakeSqlPolicy(std::string name, const SqlPolicyConfig& config, std::unique_ptr<Policy>* out);

}  // namespace agentos

#endif  // AGENTOS_POLICIES_SQL_POLICY_H_
