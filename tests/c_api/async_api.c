/*
** The async half of the environment C API from plain C11: send some envs,
** recv them back batch_size at a time in finish order with their ids, and
** the refusals that keep every env sent received exactly once; a numeric
** task (CartPole) sent discrete actions steps each env as step_discrete
** does. Exits non-zero if any expectation fails.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agentos.h"

#include "expect.h"

static const char kSqlPolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: sql_safety\n"
    "    type: sql\n"
    "    allow: [SELECT]\n"
    "    deny: [DROP, DELETE]\n";

static const char kNoop[] = "{\"type\":\"noop\"}";

enum { kEnvs = 8, kBatch = 3 };

/* Receive rows for up to kEnvs envs (only some fields asked for). */
typedef struct rows {
  uint32_t env_id[kEnvs];
  uint8_t executed[kEnvs];
  uint32_t violations[kEnvs];
  uint32_t episode_step[kEnvs];
  agentos_recv_rows out;
} rows;

static void rows_init(rows* r) {
  memset(r, 0, sizeof(*r));
  r->out.struct_size = sizeof(agentos_recv_rows);
  r->out.capacity = kEnvs;
  r->out.env_id = r->env_id;
  r->out.executed = r->executed;
  r->out.violations = r->violations;
  r->out.episode_step = r->episode_step;
}

/* Sends envs ids[0..n) the same action each. */
static int send_same(agentos_venv* v, const uint32_t* ids, size_t n, const char* action) {
  char bytes[kEnvs * 32];
  uint64_t offsets[kEnvs + 1];
  size_t len = strlen(action);
  offsets[0] = 0;
  for (size_t k = 0; k < n; ++k) {
    memcpy(bytes + k * len, action, len);
    offsets[k + 1] = (k + 1) * len;
  }
  return agentos_venv_send(v, ids, n, bytes, n * len, offsets, NULL);
}

static void test_every_env_once(agentos_kernel* k) {
  agentos_env_config c;
  EXPECT(agentos_env_config_init(&c) == AGENTOS_OK);
  EXPECT(c.batch_size == 0); /* default: num_envs */
  c.num_envs = kEnvs;
  c.num_threads = 2;
  c.batch_size = kBatch;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(k, &c, kNoop, strlen(kNoop), &v) == AGENTOS_OK);
  if (v == NULL) return;
  size_t bs = 0, flying = 99;
  EXPECT(agentos_venv_batch_size(v, &bs) == AGENTOS_OK && bs == kBatch);
  EXPECT(agentos_venv_reset(v, 1, 11, NULL) == AGENTOS_OK);

  /* Env 5 tries a DROP: denied by the policy, never executed. */
  const char* actions[kEnvs] = {"SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4",
                                "SELECT 5", "DROP TABLE t", "SELECT 7", "SELECT 8"};
  char bytes[256];
  uint64_t offsets[kEnvs + 1];
  uint32_t ids[kEnvs] = {7, 6, 5, 4, 3, 2, 1, 0}; /* action k is env ids[k]'s */
  offsets[0] = 0;
  for (size_t i = 0; i < kEnvs; ++i) {
    size_t len = strlen(actions[i]);
    memcpy(bytes + offsets[i], actions[i], len);
    offsets[i + 1] = offsets[i] + len;
  }
  EXPECT(agentos_venv_send(v, ids, kEnvs, bytes, offsets[kEnvs], offsets, NULL) == AGENTOS_OK);
  EXPECT(agentos_venv_in_flight(v, &flying) == AGENTOS_OK && flying == kEnvs);

  rows r;
  rows_init(&r);
  int seen[kEnvs] = {0};
  size_t counts[3] = {0, 0, 0};
  for (int call = 0; call < 3; ++call) {
    EXPECT(agentos_venv_recv(v, &r.out, &counts[call]) == AGENTOS_OK);
    for (size_t j = 0; j < counts[call]; ++j) {
      uint32_t e = r.env_id[j];
      EXPECT(e < kEnvs);
      if (e >= kEnvs) continue;
      ++seen[e];
      /* Env e got action 7 - e: only env 2 (sent "DROP TABLE t") was denied. */
      EXPECT(r.executed[j] == (e == 2 ? 0 : 1));
      EXPECT(r.violations[j] == (e == 2 ? 1u : 0u));
      EXPECT(r.episode_step[j] == 1);
    }
  }
  EXPECT(counts[0] == 3 && counts[1] == 3 && counts[2] == 2); /* the last one drains */
  for (int e = 0; e < kEnvs; ++e) EXPECT(seen[e] == 1);
  EXPECT(agentos_venv_in_flight(v, &flying) == AGENTOS_OK && flying == 0);
  /* The rows are in the result buffers too, row i = env i. */
  EXPECT(agentos_venv_executed(v)[2] == 0 && agentos_venv_executed(v)[3] == 1);
  agentos_venv_free(v);
}

static void test_refusals(agentos_kernel* k) {
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 4;
  c.num_threads = 2;
  c.batch_size = 2;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(k, &c, kNoop, strlen(kNoop), &v) == AGENTOS_OK);
  if (v == NULL) return;
  rows r;
  rows_init(&r);
  size_t count = 99;
  const uint32_t env0[] = {0};
  const uint32_t bad[] = {4};
  const uint32_t twice[] = {1, 1};

  EXPECT(send_same(v, env0, 1, "SELECT 1") == AGENTOS_STATE); /* never reset */
  EXPECT(agentos_venv_reset(v, 1, 0, NULL) == AGENTOS_OK);
  EXPECT(agentos_venv_recv(v, &r.out, &count) == AGENTOS_STATE); /* nothing in flight */
  EXPECT(count == 0);
  EXPECT(send_same(v, bad, 1, "SELECT 1") == AGENTOS_INVALID);
  EXPECT(send_same(v, twice, 2, "SELECT 1") == AGENTOS_INVALID);
  EXPECT(send_same(v, env0, 0, "SELECT 1") == AGENTOS_INVALID);
  EXPECT(agentos_venv_send(v, NULL, 1, "x", 1, NULL, NULL) == AGENTOS_INVALID);

  EXPECT(send_same(v, env0, 1, "SELECT 1") == AGENTOS_OK);
  EXPECT(send_same(v, env0, 1, "SELECT 1") == AGENTOS_STATE); /* already in flight */
  EXPECT(strstr(agentos_errmsg(), "env 0 is already in flight") != NULL);
  /* Sync calls and readers of the env in flight wait for its recv. */
  char four[] = "aaaa";
  uint64_t offsets[5] = {0, 1, 2, 3, 4};
  EXPECT(agentos_venv_step(v, four, 4, offsets, 4, NULL) == AGENTOS_STATE);
  EXPECT(agentos_venv_reset(v, 0, 0, NULL) == AGENTOS_STATE);
  EXPECT(agentos_venv_signal(v, 1, AGENTOS_SIGSTOP) == AGENTOS_STATE);
  agentos_env_metrics m;
  memset(&m, 0, sizeof(m));
  m.struct_size = sizeof(m);
  EXPECT(agentos_venv_metrics(v, &m) == AGENTOS_STATE);
  const char* text = NULL;
  size_t len = 0;
  EXPECT(agentos_venv_observation_text(v, 0, &text, &len) == AGENTOS_STATE);
  EXPECT(agentos_venv_observation_text(v, 1, &text, &len) == AGENTOS_OK); /* env 1 is idle */

  agentos_recv_rows wrong = r.out;
  wrong.struct_size = 8;
  EXPECT(agentos_venv_recv(v, &wrong, &count) == AGENTOS_INVALID);
  EXPECT(agentos_venv_recv(v, &r.out, &count) == AGENTOS_OK);
  EXPECT(count == 1 && r.env_id[0] == 0);
  EXPECT(agentos_venv_metrics(v, &m) == AGENTOS_OK);
  EXPECT(m.steps == 1);
  EXPECT(agentos_venv_step(v, four, 4, offsets, 4, NULL) == AGENTOS_OK);

  /* Freed with envs in flight: the workers stop. */
  const uint32_t all[] = {0, 1, 2, 3};
  EXPECT(send_same(v, all, 4, "SELECT 1") == AGENTOS_OK);
  agentos_venv_free(v);

  c.batch_size = 5; /* more than num_envs */
  v = NULL;
  EXPECT(agentos_venv_create(k, &c, kNoop, strlen(kNoop), &v) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "batch_size") != NULL);
  EXPECT(v == NULL);
}

enum { kPoles = 4, kPoleSteps = 60, kObs = 4 };
static const char kCartPole[] = "{\"type\":\"cartpole\"}";

/* Env e's t-th push: runs of two equal pushes, shifted per env. */
static int64_t push_for(uint32_t e, int t) { return (int64_t)(((t / 2) + e) % 2); }

static agentos_venv* make_cartpole(agentos_kernel* k, uint32_t threads, size_t batch) {
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = kPoles;
  c.num_threads = threads;
  c.batch_size = batch;
  c.max_steps = 30;
  agentos_venv* v = NULL;
  EXPECT(agentos_venv_create(k, &c, kCartPole, strlen(kCartPole), &v) == AGENTOS_OK);
  if (v != NULL) EXPECT(agentos_venv_reset(v, 1, 5, NULL) == AGENTOS_OK);
  return v;
}

static void test_numeric_matches_step(agentos_kernel* k) {
  static float sync_obs[kPoles][kPoleSteps][kObs], async_obs[kPoles][kPoleSteps][kObs];
  static uint8_t sync_reset[kPoles][kPoleSteps], async_reset[kPoles][kPoleSteps];
  agentos_venv* s = make_cartpole(k, 1, 0);
  agentos_venv* a = make_cartpole(k, 2, 2);
  if (s == NULL || a == NULL) {
    agentos_venv_free(s);
    agentos_venv_free(a);
    return;
  }
  const float* obs = agentos_venv_numeric_observations(s);
  for (int t = 0; t < kPoleSteps; ++t) {
    int64_t pushes[kPoles];
    for (uint32_t e = 0; e < kPoles; ++e) pushes[e] = push_for(e, t);
    EXPECT(agentos_venv_step_discrete(s, pushes, kPoles) == AGENTOS_OK);
    for (uint32_t e = 0; e < kPoles; ++e) {
      memcpy(sync_obs[e][t], obs + e * kObs, sizeof sync_obs[e][t]);
      sync_reset[e][t] = agentos_venv_autoreset(s)[e];
    }
  }

  uint32_t id[2];
  float rows_obs[2 * kObs];
  uint8_t rows_reset[2];
  agentos_recv_rows r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.capacity = 2;
  r.env_id = id;
  r.autoreset = rows_reset;
  r.numeric_observation = rows_obs;
  int steps[kPoles] = {0};
  const uint32_t all[kPoles] = {0, 1, 2, 3};
  int64_t first[kPoles];
  for (uint32_t e = 0; e < kPoles; ++e) first[e] = push_for(e, 0);
  EXPECT(agentos_venv_send_discrete(a, all, kPoles, first) == AGENTOS_OK);
  size_t flying = 0, count = 0;
  while (agentos_venv_in_flight(a, &flying) == AGENTOS_OK && flying > 0) {
    if (agentos_venv_recv(a, &r, &count) != AGENTOS_OK) {
      EXPECT(0 && "recv failed");
      break;
    }
    uint32_t again[2];
    int64_t pushes[2];
    size_t n = 0;
    for (size_t j = 0; j < count; ++j) {
      const uint32_t e = id[j];
      memcpy(async_obs[e][steps[e]], rows_obs + j * kObs, sizeof async_obs[e][0]);
      async_reset[e][steps[e]] = rows_reset[j];
      if (++steps[e] < kPoleSteps) {
        again[n] = e;
        pushes[n++] = push_for(e, steps[e]);
      }
    }
    if (n > 0) EXPECT(agentos_venv_send_discrete(a, again, n, pushes) == AGENTOS_OK);
  }
  int resets = 0;
  for (uint32_t e = 0; e < kPoles; ++e) {
    EXPECT(steps[e] == kPoleSteps);
    EXPECT(memcmp(sync_obs[e], async_obs[e], sizeof sync_obs[e]) == 0);
    EXPECT(memcmp(sync_reset[e], async_reset[e], sizeof sync_reset[e]) == 0);
    for (int t = 0; t < kPoleSteps; ++t) resets += sync_reset[e][t];
  }
  EXPECT(resets >= 4); /* episodes ended and restarted along the way */
  agentos_venv_free(s);
  agentos_venv_free(a);
}

static void test_numeric_refusals(agentos_kernel* k) {
  agentos_venv* v = make_cartpole(k, 2, 2);
  if (v == NULL) return;
  const uint32_t ids[2] = {3, 1};
  const int64_t pushes[2] = {1, 0};
  const double values[2] = {1.0, 0.0};
  EXPECT(agentos_venv_send_discrete(v, ids, 2, NULL) == AGENTOS_INVALID);
  EXPECT(agentos_venv_send_discrete(v, NULL, 2, pushes) == AGENTOS_INVALID);
  EXPECT(agentos_venv_send_discrete(v, ids, 0, pushes) == AGENTOS_INVALID);
  EXPECT(agentos_venv_send_numeric(v, ids, 2, values, 1) == AGENTOS_INVALID); /* 2 envs x 1 value */
  EXPECT(strstr(agentos_errmsg(), "numeric actions must have 2 envs x 1 = 2 values, got 1") != NULL);
  EXPECT(send_same(v, ids, 2, "1") == AGENTOS_INVALID); /* text for a numeric task */
  size_t flying = 99;
  EXPECT(agentos_venv_in_flight(v, &flying) == AGENTOS_OK && flying == 0);

  /* A caller built before the numeric fields (struct_size ending at
  ** policy_cost) still receives, without numeric rows. */
  EXPECT(agentos_venv_send_numeric(v, ids, 2, values, 2) == AGENTOS_OK);
  uint32_t id[2];
  agentos_recv_rows old;
  memset(&old, 0, sizeof old);
  old.struct_size = (uint32_t)offsetof(agentos_recv_rows, numeric_observation);
  old.capacity = 2;
  old.env_id = id;
  size_t count = 0;
  EXPECT(agentos_venv_recv(v, &old, &count) == AGENTOS_OK && count == 2);
  agentos_venv_free(v);

  /* A text venv has no numeric send. */
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = 2;
  v = NULL;
  EXPECT(agentos_venv_create(k, &c, kNoop, strlen(kNoop), &v) == AGENTOS_OK);
  if (v == NULL) return;
  EXPECT(agentos_venv_reset(v, 1, 0, NULL) == AGENTOS_OK);
  const uint32_t env0[1] = {0};
  EXPECT(agentos_venv_send_discrete(v, env0, 1, pushes) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "not numeric") != NULL);
  agentos_venv_free(v);
}

int main(void) {
  agentos_kernel* sql = NULL;
  EXPECT(agentos_kernel_from_yaml(kSqlPolicy, strlen(kSqlPolicy), "async_api.c", &sql) == AGENTOS_OK);
  if (sql != NULL) {
    test_every_env_once(sql);
    test_refusals(sql);
  }
  agentos_kernel_free(sql);
  agentos_kernel* allow = NULL;
  EXPECT(agentos_kernel_allow_all(&allow) == AGENTOS_OK);
  if (allow != NULL) {
    test_numeric_matches_step(allow);
    test_numeric_refusals(allow);
  }
  agentos_kernel_free(allow);
  return expect_exit_code("async_api");
}
