// CartPole: Gymnasium's CartPole-v1 (Barto, Sutton & Anderson's cart-pole)
// as a numeric task, written only against the public task API
// (env/task_api.h). The same dynamics, reward (1 per step, the terminating
// step included), termination (|x| > 2.4 or |theta| > 12 degrees) and
// float32 observation (x, x_dot, theta, theta_dot) as Gymnasium's
// CartPoleEnv, step for step from the same state (tests/python). Truncation
// at 500 steps is the environment's max_steps, as Gymnasium's TimeLimit.
//
// Task spec: {"type": "cartpole"} with optional keys
//   "safety_zone":   x beyond which the cart is outside the marked zone
//                    (finite, > 0); every step that ends with |x| > zone
//                    costs "safety_cost" (reported as the step's policy
//                    cost: info["cost"]). Absent: no cost.
//   "safety_cost":   the cost of such a step (finite, >= 0; default 1).
//   "initial_state": [x, x_dot, theta, theta_dot], finite: every episode
//                    starts there instead of at a seeded draw from
//                    [-0.05, 0.05]^4 (matched-state tests, curricula).
// Actions: Discrete(2): 0 pushes left, 1 right. State() is the float64
// state, so numeric policies can zone on x (state_index 0).
#ifndef AGENTOS_ENV_CARTPOLE_TASK_H_
#define AGENTOS_ENV_CARTPOLE_TASK_H_

#include <memory>
#include <string_view>

#include "env/task_api.h"

namespace agentos {

TaskShape CartPoleShape();
Status MakeCartPoleTask(std::string_view params, std::unique_ptr<NumericTask>* out);

}  // namespace agentos

#endif  // AGENTOS_ENV_CARTPOLE_TASK_H_
