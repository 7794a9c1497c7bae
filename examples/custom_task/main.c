/*
** Runs the custom "walk" task (walk_task.c) under a kernel whose numeric
** policy bounds every step to [-0.3, 0.3]: 4 envs, one of which tries a
** step of 0.9 and is blocked (its observation does not move, it earns the
** penalty), while the others walk to the target.
**
**   cmake -S examples/custom_task -B build/custom_task -DCMAKE_PREFIX_PATH=<agentos prefix>
**   cmake --build build/custom_task && build/custom_task/custom_task
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "walk_task.h"

#define N 4

static int fail(const char* what) {
  fprintf(stderr, "custom_task: %s: %s\n", what, agentos_errmsg());
  return 1;
}

int main(void) {
  static const char policy[] =
      "version: 1\n"
      "policies:\n"
      "  - name: step_size\n"
      "    type: numeric\n"
      "    severity: medium\n"
      "    rules:\n"
      "      - {action_min: -0.3, action_max: 0.3}\n";
  static const char spec[] = "{\"type\": \"walk\", \"target\": 0.25}";
  if (walk_register() != AGENTOS_OK) return fail("walk_register");
  agentos_kernel* kernel = NULL;
  if (agentos_kernel_from_yaml(policy, sizeof policy - 1, "custom_task", &kernel) != AGENTOS_OK) {
    return fail("agentos_kernel_from_yaml");
  }
  agentos_env_config config;
  agentos_env_config_init(&config);
  config.num_envs = N;
  config.max_steps = 50;
  agentos_venv* venv = NULL;
  if (agentos_venv_create(kernel, &config, spec, sizeof spec - 1, &venv) != AGENTOS_OK) {
    return fail("agentos_venv_create");
  }
  agentos_kernel_free(kernel);
  const double* obs = agentos_venv_numeric_observations(venv); /* N x 2 float64, mapped once */
  const uint8_t* executed = agentos_venv_executed(venv);
  const uint8_t* terminated = agentos_venv_terminated(venv);
  const double* rewards = agentos_venv_rewards(venv);
  if (agentos_venv_reset(venv, 1, 7, NULL) != AGENTOS_OK) return fail("agentos_venv_reset");

  /* Env 3 asks for a step of 0.9: the policy blocks it. */
  double actions[N];
  for (int i = 0; i < N; ++i) actions[i] = i == 3 ? 0.9 : 0.0;
  const double before = obs[3 * 2];
  if (agentos_venv_step_numeric(venv, actions, N) != AGENTOS_OK) return fail("agentos_venv_step_numeric");
  const int blocked_ok = executed[3] == 0 && obs[3 * 2] == before && rewards[3] == -10.0;
  printf("blocked step of 0.9: executed=%d position %.3f -> %.3f reward %.1f\n", executed[3], before, obs[3 * 2],
         rewards[3]);

  /* Envs 0..2 walk to the target in steps of at most 0.3. */
  int done[N] = {0};
  for (int t = 0; t < 20; ++t) {
    for (int i = 0; i < N; ++i) {
      const double gap = obs[i * 2 + 1] - obs[i * 2];
      actions[i] = done[i] ? 0.0 : fmax(-0.3, fmin(0.3, gap));
    }
    if (agentos_venv_step_numeric(venv, actions, N) != AGENTOS_OK) break;
    int all = 1;
    for (int i = 0; i < N; ++i) {
      done[i] = done[i] || terminated[i];
      all = all && done[i];
    }
    if (all) break;
  }
  printf("reached the target: %d %d %d %d\n", done[0], done[1], done[2], done[3]);
  agentos_venv_free(venv);
  return blocked_ok && done[0] && done[1] && done[2] && done[3] ? 0 : 1;
}
