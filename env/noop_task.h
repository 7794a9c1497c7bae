// NoopTask: a world in which nothing happens. Every allowed action "runs"
// without effect, reward 0, never done; the observation index is always 0.
// It isolates the cost of governance itself (screening, kernel check,
// reward, bookkeeping) in benchmarks and tests.
#ifndef AGENTOS_ENV_NOOP_TASK_H_
#define AGENTOS_ENV_NOOP_TASK_H_

#include <memory>

#include "env/task.h"

namespace agentos {

std::unique_ptr<TaskFactory> MakeNoopTaskFactory();

}  // namespace agentos

#endif  // AGENTOS_ENV_NOOP_TASK_H_
