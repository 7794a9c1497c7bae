/*
** agentos_task_register from plain C: a discrete "counter" task (float32
** observation [count], action 0 or 1 adds that much, terminated at 3),
** registered, made from a task spec, governed, and every refusal of the
** registration entry point. Exits non-zero if any expectation fails.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentos.h"

#include "expect.h"

static int g_live = 0; /* tasks made and not yet destroyed */

typedef struct counter {
  float count;
  double state[1];
} counter;

static int counter_create(void* user, const char* params, size_t len, void** task, const char** message) {
  (void)user;
  if (len != 2 || memcmp(params, "{}", 2) != 0) {
    *message = "counter takes no parameters";
    return AGENTOS_PARSE;
  }
  *task = calloc(1, sizeof(counter));
  ++g_live;
  return AGENTOS_OK;
}
static void counter_destroy(void* task) {
  --g_live;
  free(task);
}
static int counter_reset(void* task, uint64_t seed, void* obs) {
  (void)seed;
  counter* c = task;
  c->count = 0;
  c->state[0] = 0;
  memcpy(obs, &c->count, sizeof c->count);
  return AGENTOS_OK;
}
static void counter_step(void* task, const double* action, void* obs, agentos_task_step* out) {
  counter* c = task;
  c->count += (float)action[0];
  c->state[0] = c->count;
  memcpy(obs, &c->count, sizeof c->count);
  out->reward = action[0];
  out->terminated = c->count >= 3;
}
static const double* counter_state(const void* task, size_t* count) {
  *count = 1;
  return ((const counter*)task)->state;
}

static agentos_task_def counter_def(void) {
  agentos_task_def d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.obs_dim = 1;
  d.obs_dtype = AGENTOS_DTYPE_FLOAT32;
  d.action_space = AGENTOS_ACTION_SPACE_DISCRETE;
  d.num_actions = 2;
  d.action_dim = 1;
  d.create = counter_create;
  d.destroy = counter_destroy;
  d.reset = counter_reset;
  d.step = counter_step;
  d.state = counter_state;
  return d;
}

static void test_refusals(void) {
  agentos_task_def d = counter_def();
  EXPECT(agentos_task_register(NULL, 0, &d) == AGENTOS_INVALID);
  EXPECT(agentos_task_register("x", 1, NULL) == AGENTOS_INVALID);
  d.struct_size = 8;
  EXPECT(agentos_task_register("x", 1, &d) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "struct_size") != NULL);
  d = counter_def();
  d.step = NULL;
  EXPECT(agentos_task_register("x", 1, &d) == AGENTOS_INVALID);
  d = counter_def();
  EXPECT(agentos_task_register("Bad Name", 8, &d) == AGENTOS_INVALID);
  EXPECT(agentos_task_register("sql", 3, &d) == AGENTOS_INVALID);
  EXPECT(agentos_task_register("cartpole", 8, &d) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "already registered") != NULL);
  d.num_actions = 0;
  EXPECT(agentos_task_register("x", 1, &d) == AGENTOS_INVALID);
  d = counter_def();
  d.obs_dtype = 7;
  EXPECT(agentos_task_register("x", 1, &d) == AGENTOS_INVALID);
  d = counter_def();
  static const double low[1] = {1.0};
  d.obs_low = low; /* without obs_high */
  EXPECT(agentos_task_register("x", 1, &d) == AGENTOS_INVALID);
}

static void test_registered_task_is_governed(void) {
  agentos_task_def d = counter_def();
  EXPECT(agentos_task_register("counter", 7, &d) == AGENTOS_OK);
  EXPECT(agentos_task_register("counter", 7, &d) == AGENTOS_INVALID); /* never replaced */

  /* A count of 2 or more may only add 0. */
  static const char policy[] =
      "version: 1\npolicies:\n  - name: cap\n    type: numeric\n    rules:\n"
      "      - {state_index: 0, above: 1.5, action_min: 0, action_max: 0}\n";
  agentos_kernel* k = NULL;
  EXPECT(agentos_kernel_from_yaml(policy, sizeof policy - 1, "cap", &k) == AGENTOS_OK);
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 2;
  agentos_venv* v = NULL;
  static const char bad_spec[] = "{\"type\":\"counter\",\"n\":1}";
  EXPECT(agentos_venv_create(k, &c, bad_spec, sizeof bad_spec - 1, &v) == AGENTOS_PARSE);
  EXPECT(strstr(agentos_errmsg(), "counter takes no parameters") != NULL);
  static const char spec[] = "{\"type\":\"counter\"}";
  EXPECT(agentos_venv_create(k, &c, spec, sizeof spec - 1, &v) == AGENTOS_OK);
  agentos_kernel_free(k);
  EXPECT(g_live == 2);

  agentos_numeric_shape shape;
  memset(&shape, 0, sizeof shape);
  shape.struct_size = sizeof shape;
  EXPECT(agentos_venv_numeric_shape(v, &shape) == AGENTOS_OK);
  EXPECT(shape.obs_dim == 1 && shape.obs_dtype == AGENTOS_DTYPE_FLOAT32 && shape.num_actions == 2);
  const float* obs = agentos_venv_numeric_observations(v);
  const uint8_t* executed = agentos_venv_executed(v);
  const uint8_t* terminated = agentos_venv_terminated(v);
  EXPECT(obs != NULL);
  EXPECT(agentos_venv_reset(v, 1, 0, NULL) == AGENTOS_OK);
  const int64_t ones[2] = {1, 1};
  EXPECT(agentos_venv_step_discrete(v, ones, 2) == AGENTOS_OK);
  EXPECT(agentos_venv_step_discrete(v, ones, 2) == AGENTOS_OK);
  EXPECT(obs[0] == 2.0f && obs[1] == 2.0f);
  /* At 2 the policy denies 1: the count stays. */
  EXPECT(agentos_venv_step_discrete(v, ones, 2) == AGENTOS_OK);
  EXPECT(executed[0] == 0 && obs[0] == 2.0f);
  const double numeric[2] = {1.0, 1.0};
  EXPECT(agentos_venv_step_numeric(v, numeric, 1) == AGENTOS_INVALID); /* wrong count: nothing changes */
  EXPECT(agentos_venv_step_numeric(v, numeric, 2) == AGENTOS_OK);
  EXPECT(executed[0] == 0 && terminated[0] == 0);
  /* Text actions for a numeric task are a call error. */
  const uint64_t offsets[3] = {0, 1, 2};
  EXPECT(agentos_venv_step(v, "ab", 2, offsets, 2, NULL) == AGENTOS_INVALID);
  agentos_venv_free(v);
  EXPECT(g_live == 0); /* every task made, the registry's probe included, was destroyed */
}

int main(void) {
  test_refusals();
  test_registered_task_is_governed();
  return expect_exit_code("task_register");
}
