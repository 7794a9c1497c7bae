/*
** Violation strings live as long as the violation they describe: reading
** one (env, index) pair, or one decision's violation, never moves or frees
** the strings of another. Reads every violation of every env of a batch in
** every order (all 8! orders of its 8 violations), keeping every pointer,
** then checks every kept string again. Run under AddressSanitizer in CI, a
** read through a stale pointer fails the run even when the bytes still look
** right.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentos.h"

#include "expect.h"

static const char kPolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: sql_safety\n"
    "    type: sql\n"
    "    allow: [SELECT, INSERT, UPDATE]\n"
    "    deny: [DROP, DELETE, TRUNCATE]\n"
    "    require_where_on_update: true\n"
    "  - name: secrets\n"
    "    type: content\n"
    "    kinds: [sql]\n"
    "    deny: ['(?i)password', 'users']\n";

#define NUM_ENVS 4
static const char* const kActions[NUM_ENVS] = {
    "SELECT 1",
    "DROP TABLE users",
    "UPDATE users SET password = 'x'",
    "DELETE FROM t; TRUNCATE t",
};

typedef struct {
  int env;
  int index;
  const char* policy;
  const char* rule;
  const char* reason;
} expected_violation;

/* Kernel order: policies sorted by name, each policy's violations in the order it finds them. */
#define NUM_VIOLATIONS 8
static const expected_violation kExpected[NUM_VIOLATIONS] = {
    {1, 0, "secrets", "content.denied_pattern", "payload matches denied pattern 'users'"},
    {1, 1, "sql_safety", "sql.denied_kind", "statement 1 is DROP, which is denied"},
    {2, 0, "secrets", "content.denied_pattern", "payload matches denied pattern '(?i)password'"},
    {2, 1, "secrets", "content.denied_pattern", "payload matches denied pattern 'users'"},
    {2, 2, "sql_safety", "sql.update_without_where", "statement 1: UPDATE without a WHERE clause at statement level"},
    {3, 0, "sql_safety", "sql.denied_kind", "statement 1 is DELETE, which is denied"},
    {3, 1, "sql_safety", "sql.delete_without_where", "statement 1: DELETE without a WHERE clause at statement level"},
    {3, 2, "sql_safety", "sql.denied_kind", "statement 2 is TRUNCATE, which is denied"},
};

static int same(const agentos_violation* got, const expected_violation* want) {
  return strcmp(got->policy, want->policy) == 0 && strcmp(got->rule, want->rule) == 0 &&
         strcmp(got->reason, want->reason) == 0 && got->blocked == 1;
}

/* Reads the violations in the order `order` (indices into kExpected), keeping
** every result, then checks all of them again. Returns 1 if all matched. */
static int read_in_order(const agentos_venv* v, const int* order) {
  agentos_violation kept[NUM_VIOLATIONS];
  int ok = 1;
  for (int i = 0; i < NUM_VIOLATIONS; ++i) {
    const expected_violation* want = &kExpected[order[i]];
    agentos_violation* got = &kept[order[i]];
    memset(got, 0, sizeof *got);
    got->struct_size = sizeof *got;
    ok &= agentos_venv_violation(v, (size_t)want->env, (size_t)want->index, got) == AGENTOS_OK;
    ok &= same(got, want);
  }
  for (int i = 0; i < NUM_VIOLATIONS; ++i) ok &= same(&kept[i], &kExpected[i]);
  return ok;
}

/* Heap's algorithm: visits every permutation of order[0..n). */
static long every_order(const agentos_venv* v, int* order, int n, int* all_ok) {
  if (n == 1) {
    *all_ok &= read_in_order(v, order);
    return 1;
  }
  long visited = 0;
  for (int i = 0; i < n - 1; ++i) {
    visited += every_order(v, order, n - 1, all_ok);
    int j = n % 2 == 0 ? i : 0;
    int t = order[j];
    order[j] = order[n - 1];
    order[n - 1] = t;
  }
  return visited + every_order(v, order, n - 1, all_ok);
}

static void test_venv_violations_in_every_order(const agentos_kernel* kernel) {
  agentos_env_config c;
  EXPECT(agentos_env_config_init(&c) == AGENTOS_OK);
  c.num_envs = NUM_ENVS;
  c.num_threads = 2;
  c.min_envs_per_thread = 1;
  c.keep_results = 1;
  agentos_venv* v = NULL;
  static const char noop[] = "{\"type\":\"noop\"}";
  EXPECT(agentos_venv_create(kernel, &c, noop, sizeof noop - 1, &v) == AGENTOS_OK);
  if (v == NULL) return;
  EXPECT(agentos_venv_reset(v, 1, 7, NULL) == AGENTOS_OK);
  char bytes[256];
  uint64_t offsets[NUM_ENVS + 1] = {0};
  size_t at = 0;
  for (int i = 0; i < NUM_ENVS; ++i) {
    memcpy(bytes + at, kActions[i], strlen(kActions[i]));
    at += strlen(kActions[i]);
    offsets[i + 1] = at;
  }
  EXPECT(agentos_venv_step(v, bytes, at, offsets, NUM_ENVS, NULL) == AGENTOS_OK);

  const size_t want_counts[NUM_ENVS] = {0, 2, 3, 3};
  for (int e = 0; e < NUM_ENVS; ++e) {
    size_t n = 99;
    EXPECT(agentos_venv_violation_count(v, (size_t)e, &n) == AGENTOS_OK && n == want_counts[e]);
  }
  int order[NUM_VIOLATIONS];
  for (int i = 0; i < NUM_VIOLATIONS; ++i) order[i] = i;
  int all_ok = 1;
  long orders = every_order(v, order, NUM_VIOLATIONS, &all_ok);
  EXPECT(orders == 40320);
  EXPECT(all_ok);
  agentos_venv_free(v);
}

/* Two decisions read alternately, each violation kept: none disturbs another. */
static void test_decision_violations_interleaved(const agentos_kernel* kernel) {
  agentos_decision* d1 = NULL;
  agentos_decision* d2 = NULL;
  EXPECT(agentos_decision_new(&d1) == AGENTOS_OK && agentos_decision_new(&d2) == AGENTOS_OK);
  if (d1 == NULL || d2 == NULL) return;
  agentos_action a;
  memset(&a, 0, sizeof a);
  a.struct_size = sizeof a;
  a.kind = AGENTOS_ACTION_SQL;
  a.payload = kActions[2];
  a.payload_len = strlen(kActions[2]);
  EXPECT(agentos_kernel_check(kernel, NULL, &a, d1) == AGENTOS_OK);
  a.payload = kActions[3];
  a.payload_len = strlen(kActions[3]);
  EXPECT(agentos_kernel_check(kernel, NULL, &a, d2) == AGENTOS_OK);
  agentos_violation kept1[3];
  agentos_violation kept2[3];
  /* Backwards through d1, forwards through d2, alternating. */
  for (int i = 0; i < 3; ++i) {
    kept1[2 - i].struct_size = sizeof kept1[0];
    kept2[i].struct_size = sizeof kept2[0];
    EXPECT(agentos_decision_violation(d1, 2 - i, &kept1[2 - i]) == AGENTOS_OK);
    EXPECT(agentos_decision_violation(d2, i, &kept2[i]) == AGENTOS_OK);
  }
  /* Reading the same index again hands out the same, still valid, strings. */
  agentos_violation again = {.struct_size = sizeof(agentos_violation)};
  EXPECT(agentos_decision_violation(d1, 0, &again) == AGENTOS_OK && again.reason == kept1[0].reason);
  for (int i = 0; i < 3; ++i) {
    EXPECT(same(&kept1[i], &kExpected[2 + i]));
    EXPECT(same(&kept2[i], &kExpected[5 + i]));
  }
  agentos_decision_free(d1);
  agentos_decision_free(d2);
}

int main(void) {
  agentos_kernel* kernel = NULL;
  if (agentos_kernel_from_yaml(kPolicy, sizeof kPolicy - 1, "lifetime.yaml", &kernel) != AGENTOS_OK) {
    fprintf(stderr, "policy: %s\n", agentos_errmsg());
    return 1;
  }
  test_venv_violations_in_every_order(kernel);
  test_decision_violations_interleaved(kernel);
  agentos_kernel_free(kernel);
  return expect_exit_code("violation_lifetime");
}
