// PLACEHOLDER until the SQL analyzer lands: refuses to build a SQL policy.
#include "policies/sql_policy.h"

namespace agentos {

bool IsSqlStatementKindName(std::string_view) { return false; }
bool IsSqlRuleId(std::string_view) { return false; }

Status MakeSqlPolicy(std::string, const SqlPolicyConfig&, std::unique_ptr<Policy>*) {
  return Status::Internal("SQLPolicy is not available in this build");
}

}  // namespace agentos
