// ExternalTask: for trainers whose world lives in their own code. The caller
// hands in, with each action, what executing it did: StepInput's
// external_reward, external_success and external_done. The environment does
// governance, penalties, termination and bookkeeping around them.
//
// The caller's outcome applies ONLY to an executed action. For a blocked
// action (StepResult::executed == false, VectorEnv's `executed` buffer 0)
// it is ignored: the action never happened, so it cannot have earned a
// reward or ended the task. A trainer must likewise not advance its own
// world for that env on that step: that is what shielding means here.
//
// Observation index: -1 (the observation is the caller's own); text: "".
#ifndef AGENTOS_ENV_EXTERNAL_TASK_H_
#define AGENTOS_ENV_EXTERNAL_TASK_H_

#include <memory>

#include "env/task.h"

namespace agentos {

std::unique_ptr<TaskFactory> MakeExternalTaskFactory();

}  // namespace agentos

#endif  // AGENTOS_ENV_EXTERNAL_TASK_H_
