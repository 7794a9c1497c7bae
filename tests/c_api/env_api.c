/*
** The environment C API driven from plain C11, the way a ctypes or ccall
** trainer drives it: one create, buffer addresses taken once, then reset /
** step / signal / metrics. Exits non-zero if any expectation fails.
*/
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentos.h"

#include "expect.h"

static const char kSqlPolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: sql_safety\n"
    "    type: sql\n"
    "    allow: [SELECT, INSERT, UPDATE]\n"
    "    deny: [DROP, DELETE, TRUNCATE]\n"
    "    require_where_on_update: true\n";

static const char kNoop[] = "{\"type\":\"noop\"}";
static const char kExternal[] = "{\"type\":\"external\"}";

/* Packs n NUL-terminated actions into one buffer plus n + 1 offsets. */
static size_t pack(const char* const* actions, size_t n, char* bytes, uint64_t* offsets) {
  size_t at = 0;
  offsets[0] = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t len = strlen(actions[i]);
    memcpy(bytes + at, actions[i], len);
    at += len;
    offsets[i + 1] = at;
  }
  return at;
}

static int step(agentos_venv* v, const char* const* actions, size_t n, const agentos_step_extras* x) {
  char bytes[4096];
  uint64_t offsets[65];
  size_t len = pack(actions, n, bytes, offsets);
  return agentos_venv_step(v, bytes, len, offsets, n, x);
}

static void test_governed_sql_batch(agentos_kernel* kernel) {
  agentos_env_config c;
  EXPECT(agentos_env_config_init(&c) == AGENTOS_OK);
  c.num_envs = 6;
  c.num_threads = 2;
  c.min_envs_per_thread = 1;
  c.terminate_on_critical = 1;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(kernel, &c, kNoop, strlen(kNoop), &v) == AGENTOS_OK);
  if (v == NULL) return;
  {
    size_t envs = 0;
    EXPECT(agentos_venv_num_envs(v, &envs) == AGENTOS_OK && envs == 6);
  }
  /* Buffer addresses: taken once, valid for the handle's life. */
  const double* reward = agentos_venv_rewards(v);
  const uint8_t* executed = agentos_venv_executed(v);
  const uint32_t* violations = agentos_venv_violations(v);
  const int8_t* severity = agentos_venv_max_severity(v);
  const uint8_t* terminated = agentos_venv_terminated(v);
  const int64_t* obs = agentos_venv_observations(v);
  EXPECT(reward && executed && violations && severity && terminated && obs);

  EXPECT(agentos_venv_reset(v, 1, 42, NULL) == AGENTOS_OK);
  EXPECT(obs[0] == 0);
  const char* actions[6] = {
      "SELECT name FROM customers WHERE id = 1",
      "DROP TABLE customers",
      "UPDATE orders SET status = 'x'",
      "",
      "SELECT '\xff'",
      "INSERT INTO t VALUES (1)",
  };
  EXPECT(step(v, actions, 6, NULL) == AGENTOS_OK);
  EXPECT(executed[0] == 1 && violations[0] == 0 && reward[0] == 0.0);
  EXPECT(executed[1] == 0 && violations[1] >= 1 && reward[1] < 0);
  EXPECT(executed[2] == 0 && violations[2] >= 1);
  EXPECT(executed[3] == 0 && violations[3] == 1 && severity[3] == AGENTOS_SEVERITY_MEDIUM);
  EXPECT(executed[4] == 0 && violations[4] == 1 && severity[4] == AGENTOS_SEVERITY_HIGH);
  EXPECT(executed[5] == 1 && reward[5] == 0.0);
  for (int i = 0; i < 6; ++i) EXPECT(terminated[i] == 0 || severity[i] == AGENTOS_SEVERITY_CRITICAL);
  EXPECT(agentos_venv_rewards(v) == reward);

  agentos_env_metrics m = {.struct_size = sizeof(agentos_env_metrics)};
  EXPECT(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  EXPECT(m.steps == 6);
  EXPECT(m.executed == 2 && m.blocked == 4);
  EXPECT(m.backend_destructive_ops == 0);
  uint64_t count = 0;
  EXPECT(agentos_venv_policy_violations_by_name(v, "sql_safety", 10, &count) == AGENTOS_OK);
  EXPECT(count >= 2);
  EXPECT(agentos_venv_policy_violations_by_name(v, "kernel", 6, &count) == AGENTOS_OK);
  EXPECT(count == 2); /* the empty and the invalid UTF-8 action */
  agentos_venv_free(v);
}

static void test_sql_task(agentos_kernel* kernel) {
  static const char spec[] =
      "{\"type\":\"sql\",\"dataset_dir\":\"" AGENTOS_SOURCE_DIR "/env/sql/data/shop\",\"task_index\":0}";
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 3;
  c.keep_results = 1;
  c.terminate_on_critical = 0;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(kernel, &c, spec, strlen(spec), &v) == AGENTOS_OK);
  if (v == NULL) return;
  EXPECT(agentos_venv_reset(v, 1, 1, NULL) == AGENTOS_OK);
  const char* text = NULL;
  size_t len = 0;
  EXPECT(agentos_venv_observation_text(v, 0, &text, &len) == AGENTOS_OK);
  EXPECT(len > 0 && memmem(text, len, "pending", 7) != NULL);
  const char* actions[3] = {
      "SELECT COUNT(*) FROM orders WHERE status = 'pending'",
      "DROP TABLE orders",
      "SELECT nope FROM nowhere",
  };
  EXPECT(step(v, actions, 3, NULL) == AGENTOS_OK);
  const double* reward = agentos_venv_rewards(v);
  EXPECT(reward[0] == 1.0 && agentos_venv_success(v)[0] == 1 && agentos_venv_terminated(v)[0] == 1);
  EXPECT(agentos_venv_executed(v)[1] == 0 && reward[1] < 0);
  EXPECT(agentos_venv_executed(v)[2] == 1 && agentos_venv_task_error(v)[2] == 1);
  EXPECT(agentos_venv_task_message(v, 2, &text, &len) == AGENTOS_OK);
  EXPECT(len > 0);
  agentos_env_metrics m = {.struct_size = sizeof(agentos_env_metrics)};
  EXPECT(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  EXPECT(m.backend_destructive_ops == 0);
  EXPECT(m.successful_episodes == 1 && m.task_errors == 1);
  EXPECT(m.changed_database_episodes == 0); /* nothing executed wrote */
  agentos_venv_free(v);
}

/* Per-env seeds, Gymnasium's reset(seed=[...]); and the metric counting
** episodes whose executed actions changed the database. */
static void test_reset_seeds_and_changed_database(agentos_kernel* kernel) {
  static const char spec[] =
      "{\"type\":\"sql\",\"dataset_dir\":\"" AGENTOS_SOURCE_DIR "/env/sql/data/shop\",\"split\":\"train\"}";
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 3;
  c.terminate_on_critical = 0;
  agentos_venv* a = NULL;
  agentos_venv* b = NULL;
  EXPECT(agentos_venv_create(kernel, &c, spec, strlen(spec), &a) == AGENTOS_OK);
  EXPECT(agentos_venv_create(kernel, &c, spec, strlen(spec), &b) == AGENTOS_OK);
  if (a == NULL || b == NULL) {
    agentos_venv_free(a);
    agentos_venv_free(b);
    return;
  }
  const uint64_t seeds[3] = {1000, 3, 1000};
  EXPECT(agentos_venv_reset_seeds(a, seeds, NULL, NULL) == AGENTOS_OK);
  EXPECT(agentos_venv_reset(b, 1, 1000, NULL) == AGENTOS_OK); /* env i: 1000 + i */
  const int64_t* oa = agentos_venv_observations(a);
  const int64_t* ob = agentos_venv_observations(b);
  EXPECT(oa[0] == ob[0] && oa[2] == ob[0]); /* env 2 seeded 1000 like env 0 */
  const uint8_t has[3] = {0, 1, 1};
  const uint8_t mask[3] = {1, 1, 0};
  EXPECT(agentos_venv_reset_seeds(a, seeds, has, mask) == AGENTOS_OK);
  EXPECT(oa[2] == ob[0]); /* masked out */
  EXPECT(agentos_venv_reset_seeds(a, NULL, NULL, NULL) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "seeds") != NULL);
  EXPECT(agentos_venv_reset_seeds(NULL, seeds, NULL, NULL) == AGENTOS_INVALID);

  const char* actions[3] = {
      "UPDATE orders SET status = 'cancelled' WHERE id = 2",
      "DELETE FROM orders",
      "SELECT 1",
  };
  EXPECT(step(a, actions, 3, NULL) == AGENTOS_OK);
  EXPECT(agentos_venv_executed(a)[0] == 1 && agentos_venv_task_error(a)[0] == 0);
  EXPECT(agentos_venv_executed(a)[1] == 0);
  agentos_env_metrics m = {.struct_size = sizeof(agentos_env_metrics)};
  EXPECT(agentos_venv_metrics(a, &m) == AGENTOS_OK);
  EXPECT(m.changed_database_episodes == 1);
  EXPECT(m.backend_destructive_ops == 0);
  agentos_venv_free(a);
  agentos_venv_free(b);
}

static void test_same_step_and_signals(agentos_kernel* kernel) {
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 2;
  c.max_steps = 2;
  c.autoreset = AGENTOS_AUTORESET_SAME_STEP;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(kernel, &c, kExternal, strlen(kExternal), &v) == AGENTOS_OK);
  if (v == NULL) return;
  const uint8_t* truncated = agentos_venv_truncated(v);
  const uint8_t* autoreset = agentos_venv_autoreset(v);
  const uint32_t* signals = agentos_venv_signals(v);
  const uint32_t* episode_step = agentos_venv_episode_steps(v);
  const double* returns = agentos_venv_episode_returns(v);
  EXPECT(agentos_venv_reset(v, 0, 0, NULL) == AGENTOS_OK);
  const char* a[2] = {"SELECT 1", "SELECT 1"};
  double ext_reward[2] = {0.25, 0.5};
  agentos_step_extras x;
  memset(&x, 0, sizeof x);
  x.struct_size = sizeof x;
  x.external_reward = ext_reward;
  EXPECT(step(v, a, 2, &x) == AGENTOS_OK);
  EXPECT(step(v, a, 2, &x) == AGENTOS_OK);
  /* Time limit: truncated, reset inside the step, the transition's info kept. */
  EXPECT(truncated[0] == 1 && autoreset[0] == 1 && episode_step[0] == 2);
  EXPECT(returns[0] == 0.5 && returns[1] == 1.0);
  EXPECT(agentos_venv_final_observations(v)[0] == -1); /* external task: no observation index */

  EXPECT(agentos_venv_signal(v, 1, AGENTOS_SIGSTOP) == AGENTOS_OK);
  EXPECT(step(v, a, 2, &x) == AGENTOS_OK);
  EXPECT(signals[1] == AGENTOS_SIGSTOP && agentos_venv_executed(v)[1] == 0);
  EXPECT(agentos_venv_signal(v, 1, AGENTOS_SIGCONT) == AGENTOS_OK);
  EXPECT(agentos_venv_signal(v, 0, AGENTOS_SIGTERM) == AGENTOS_OK);
  EXPECT(step(v, a, 2, &x) == AGENTOS_OK);
  EXPECT(signals[0] == AGENTOS_SIGTERM && truncated[0] == 1);
  EXPECT(signals[1] == AGENTOS_SIGCONT && agentos_venv_executed(v)[1] == 1);
  agentos_env_metrics m = {.struct_size = sizeof(agentos_env_metrics)};
  EXPECT(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  EXPECT(m.signals[0] == 1 && m.signals[1] == 1 && m.signals[3] == 1);
  EXPECT(m.success_rate >= 0.0 && m.success_rate <= 1.0);
  EXPECT(strcmp(agentos_signal_name(AGENTOS_SIGTERM), "SIGTERM") == 0);
  agentos_venv_free(v);
}

static void test_error_paths(agentos_kernel* kernel) {
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 2;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(NULL, &c, kNoop, strlen(kNoop), &v) == AGENTOS_INVALID);
  EXPECT(strlen(agentos_errmsg()) > 0);
  EXPECT(agentos_venv_create(kernel, &c, "{\"type\":\"noop\",\"x\":1}", 21, &v) == AGENTOS_PARSE);
  EXPECT(strstr(agentos_errmsg(), "unknown key") != NULL);
  c.struct_size = 4;
  EXPECT(agentos_venv_create(kernel, &c, kNoop, strlen(kNoop), &v) == AGENTOS_INVALID);
  agentos_env_config_init(&c);
  c.num_envs = 2;
  c.min_reward = 5;
  c.max_reward = -5;
  EXPECT(agentos_venv_create(kernel, &c, kNoop, strlen(kNoop), &v) == AGENTOS_INVALID);
  EXPECT(v == NULL);

  agentos_env_config_init(&c);
  c.num_envs = 2;
  EXPECT(agentos_venv_create(kernel, &c, kNoop, strlen(kNoop), &v) == AGENTOS_OK);
  if (v == NULL) return;
  const char* a[2] = {"SELECT 1", "SELECT 1"};
  EXPECT(step(v, a, 2, NULL) == AGENTOS_STATE); /* before reset */
  EXPECT(agentos_venv_reset(v, 1, 7, NULL) == AGENTOS_OK);
  EXPECT(step(v, a, 1, NULL) == AGENTOS_INVALID);
  uint64_t bad_offsets[3] = {0, 9, 3};
  EXPECT(agentos_venv_step(v, "SELECT 1SELECT 1", 16, bad_offsets, 2, NULL) == AGENTOS_INVALID);
  EXPECT(agentos_venv_signal(v, 5, AGENTOS_SIGKILL) == AGENTOS_INVALID);
  EXPECT(agentos_venv_signal(v, 0, AGENTOS_SIGBUDGET) == AGENTOS_INVALID);
  agentos_env_metrics m = {.struct_size = sizeof(agentos_env_metrics)};
  EXPECT(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  EXPECT(m.steps == 0);
  EXPECT(agentos_venv_metrics(v, NULL) == AGENTOS_INVALID);
  EXPECT(agentos_venv_observations(NULL) == NULL);
  agentos_venv_free(v);
  agentos_venv_free(NULL);
}

/* A trainer pins each env to a task, by index or by task id; a multi-turn
** episode shows the error of a wrong query in the observation text. */
static void test_task_pinning_and_feedback(agentos_kernel* kernel) {
  static const char spec[] = "{\"type\":\"sql\",\"dataset_dir\":\"" AGENTOS_SOURCE_DIR
                             "/env/sql/data/shop\",\"episode\":\"multi_turn\"}";
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 3;
  c.keep_results = 1;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(kernel, &c, spec, strlen(spec), &v) == AGENTOS_OK);
  if (v == NULL) return;
  int64_t index = -7;
  EXPECT(agentos_venv_find_task(v, "shop-042", 8, &index) == AGENTOS_OK);
  EXPECT(index == 41);
  EXPECT(agentos_venv_find_task(v, "shop-999", 8, &index) == AGENTOS_NOTFOUND);
  EXPECT(index == 41);
  EXPECT(strstr(agentos_errmsg(), "shop-999") != NULL);
  EXPECT(agentos_venv_find_task(v, NULL, 3, &index) == AGENTOS_INVALID);

  const int64_t pins[3] = {41, 0, -1};
  agentos_reset_options o = {.struct_size = sizeof(agentos_reset_options), .has_seed = 1, .seed = 5,
                             .task_index = pins};
  EXPECT(agentos_venv_reset_with(v, &o) == AGENTOS_OK);
  const int64_t* obs = agentos_venv_observations(v);
  EXPECT(obs[0] == 41 && obs[1] == 0 && obs[2] >= 0);

  const int64_t bad[3] = {41, 100000, 0};
  o.task_index = bad;
  EXPECT(agentos_venv_reset_with(v, &o) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "env 1: task index 100000 is out of range") != NULL);
  EXPECT(obs[0] == 41 && obs[1] == 0); /* nothing changed */
  const uint64_t seeds[3] = {1, 2, 3};
  o.task_index = pins;
  o.seeds = seeds; /* with has_seed = 1: two answers to one question */
  EXPECT(agentos_venv_reset_with(v, &o) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "not both") != NULL);
  o.has_seed = 0;
  EXPECT(agentos_venv_reset_with(v, &o) == AGENTOS_OK); /* per-env seeds and pins */
  EXPECT(obs[0] == 41 && obs[1] == 0);
  o.struct_size = 8;
  EXPECT(agentos_venv_reset_with(v, &o) == AGENTOS_INVALID);
  EXPECT(agentos_venv_reset_with(v, NULL) == AGENTOS_INVALID);

  const char* actions[3] = {"SELECT COUNT(*) FROM nowhere", "/* submit */ SELECT COUNT(*) FROM orders", "SELECT 1"};
  EXPECT(step(v, actions, 3, NULL) == AGENTOS_OK);
  const char* text = NULL;
  size_t len = 0;
  EXPECT(agentos_venv_observation_text(v, 0, &text, &len) == AGENTOS_OK);
  EXPECT(memmem(text, len, "\n\nLast action: SQL error\nno such table: nowhere", 47) != NULL);
  EXPECT(agentos_venv_terminated(v)[0] == 0);
  EXPECT(agentos_venv_terminated(v)[1] == 1); /* submitted: ends the episode, wrong or not */
  agentos_venv_free(v);

  agentos_kernel* all = NULL;
  agentos_venv* noop = NULL;
  EXPECT(agentos_kernel_allow_all(&all) == AGENTOS_OK);
  EXPECT(agentos_venv_create(all, &c, kNoop, strlen(kNoop), &noop) == AGENTOS_OK);
  if (noop != NULL) {
    o.struct_size = sizeof(agentos_reset_options);
    o.task_index = pins;
    EXPECT(agentos_venv_reset_with(noop, &o) == AGENTOS_INVALID);
    EXPECT(strstr(agentos_errmsg(), "cannot be pinned") != NULL);
    o.task_index = NULL;
    EXPECT(agentos_venv_reset_with(noop, &o) == AGENTOS_OK);
  }
  agentos_venv_free(noop);
  agentos_kernel_free(all);
}

int main(void) {
  agentos_kernel* sql = NULL;
  int rc = agentos_kernel_from_yaml(kSqlPolicy, strlen(kSqlPolicy), "env_api.c", &sql);
  EXPECT(rc == AGENTOS_OK);
  agentos_kernel* all = NULL;
  EXPECT(agentos_kernel_allow_all(&all) == AGENTOS_OK);
  if (sql != NULL) {
    test_governed_sql_batch(sql);
    test_sql_task(sql);
    test_reset_seeds_and_changed_database(sql);
    test_task_pinning_and_feedback(sql);
  }
  if (all != NULL) {
    test_same_step_and_signals(all);
    test_error_paths(all);
  }
  agentos_kernel_free(sql);
  agentos_kernel_free(all);
  return expect_exit_code("env_api");
}
