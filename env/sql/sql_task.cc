// PLACEHOLDER until the SQL task lands: refuses to build.
#include "env/sql/sql_task.h"

namespace agentos {

Status MakeSqlTaskFactory(const SqlTaskConfig&, std::unique_ptr<TaskFactory>*) {
  return Status::Internal("the SQL task is not available in this build");
}

}  // namespace agentos
