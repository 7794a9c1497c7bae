// The registry of numeric task types (env/task_api.h) and the Task that
// runs a NumericTask inside a governed environment.
#ifndef AGENTOS_ENV_NUMERIC_TASK_H_
#define AGENTOS_ENV_NUMERIC_TASK_H_

#include <memory>
#include <string>
#include <string_view>

#include "env/task.h"
#include "env/task_api.h"

namespace agentos {

// A factory of the task registered as `type`, its makers given `params` (a
// JSON object). NotFound when no task is registered under that name.
Status MakeRegisteredTaskFactory(std::string_view type, std::string params, std::unique_ptr<TaskFactory>* out);

// The registered names, sorted, comma-separated (for error messages).
std::string RegisteredTaskNames();

}  // namespace agentos

#endif  // AGENTOS_ENV_NUMERIC_TASK_H_
