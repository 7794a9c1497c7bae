/*
** The kernel C API driven from plain C11: the proof that ctypes, Julia's
** ccall and any C caller can use it. Exits non-zero if any expectation fails.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentos.h"

#include "expect.h"

static const char kIssuePolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: sql_safety\n"
    "    type: sql\n"
    "    allow: [SELECT, INSERT, UPDATE]\n"
    "    deny: [DROP, DELETE, TRUNCATE]\n"
    "    require_where_on_update: true\n"
    "  - name: budget\n"
    "    type: cost\n"
    "    max_cost_usd: 100\n";

static const char kToolPolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: tools\n"
    "    type: tool\n"
    "    allow: [\"db.*\", \"search\"]\n"
    "    deny: [\"db.drop*\"]\n"
    "    max_calls: 3\n"
    "  - name: budget\n"
    "    type: cost\n"
    "    max_cost_usd: 1.0\n";

static agentos_action make_action(int32_t kind, const char* tool, const char* payload, double cost) {
  agentos_action a;
  memset(&a, 0, sizeof a);
  a.struct_size = sizeof a;
  a.kind = kind;
  a.tool = tool;
  a.tool_len = tool ? strlen(tool) : 0;
  a.payload = payload;
  a.payload_len = payload ? strlen(payload) : 0;
  a.cost_usd = cost;
  return a;
}

static agentos_kernel* load(const char* yaml) {
  agentos_kernel* k = NULL;
  int rc = agentos_kernel_from_yaml(yaml, strlen(yaml), "inline.yaml", &k);
  EXPECT(rc == AGENTOS_OK);
  EXPECT(k != NULL);
  return rc == AGENTOS_OK ? k : NULL;
}

/* Queries answer through an out-parameter; these return the answer, or -2
** (no answer has that value) if the call failed. */
static int decision_allowed(const agentos_decision* d) {
  int32_t v = 0;
  return agentos_decision_allowed(d, &v) == AGENTOS_OK ? v : -2;
}
static int max_severity(const agentos_decision* d) {
  int32_t v = 0;
  return agentos_decision_max_severity(d, &v) == AGENTOS_OK ? v : -2;
}
static long violation_count(const agentos_decision* d) {
  size_t v = 0;
  return agentos_decision_violation_count(d, &v) == AGENTOS_OK ? (long)v : -2;
}
static long policy_count(const agentos_kernel* k) {
  size_t v = 0;
  return agentos_kernel_policy_count(k, &v) == AGENTOS_OK ? (long)v : -2;
}
static int is_audit(const agentos_kernel* k) {
  int32_t v = 0;
  return agentos_kernel_is_audit(k, &v) == AGENTOS_OK ? v : -2;
}

/* 1 if the action is allowed, 0 if denied, -1 if the call failed. */
static int check(const agentos_kernel* k, agentos_state* s, agentos_decision* d, agentos_action a) {
  if (agentos_kernel_check(k, s, &a, d) != AGENTOS_OK) return -1;
  return decision_allowed(d);
}

static void test_version_and_codes(void) {
  EXPECT(strcmp(agentos_version(), "0.1.0") == 0);
  EXPECT(agentos_version_number() == 100);
  EXPECT(strcmp(agentos_errstr(AGENTOS_OK), "AGENTOS_OK") == 0);
  EXPECT(strcmp(agentos_errstr(AGENTOS_INVALID), "AGENTOS_INVALID") == 0);
  EXPECT(strcmp(agentos_errstr(-7), "AGENTOS_UNKNOWN") == 0);
}

static void test_allow_all_and_free_null(void) {
  agentos_kernel* k = NULL;
  agentos_decision* d = NULL;
  EXPECT(agentos_kernel_allow_all(&k) == AGENTOS_OK);
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  EXPECT(decision_allowed(d) == 0); /* nothing checked yet: denied */
  EXPECT(policy_count(k) == 0);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "DROP TABLE users", 0)) == 1);
  EXPECT(max_severity(d) == AGENTOS_SEVERITY_NONE);
  agentos_decision_free(d);
  agentos_kernel_free(k);
  agentos_kernel_free(NULL);
  agentos_state_free(NULL);
  agentos_decision_free(NULL);
}

/* A shared handle decides like the original and outlives it; either is
** freed on its own. */
static void test_share_outlives_the_original(void) {
  agentos_kernel* k = load(kIssuePolicy);
  agentos_kernel* shared = NULL;
  agentos_decision* d = NULL;
  if (!k) return;
  EXPECT(agentos_kernel_share(k, &shared) == AGENTOS_OK);
  EXPECT(shared != NULL && shared != k);
  EXPECT(agentos_kernel_share(NULL, &shared) == AGENTOS_INVALID);
  EXPECT(agentos_kernel_share(k, NULL) == AGENTOS_INVALID);
  agentos_kernel_free(k);
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  EXPECT(policy_count(shared) == 2);
  EXPECT(check(shared, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "DROP TABLE users", 0)) == 0);
  EXPECT(check(shared, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "SELECT name FROM users WHERE id = 1", 0)) == 1);
  agentos_decision_free(d);
  agentos_kernel_free(shared);
}

static void test_sql_policy(void) {
  agentos_kernel* k = load(kIssuePolicy);
  agentos_decision* d = NULL;
  agentos_violation v = {.struct_size = sizeof(agentos_violation)};
  const char* name = NULL;
  const char* type = NULL;
  if (!k) return;
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  EXPECT(policy_count(k) == 2);
  EXPECT(is_audit(k) == 0);
  EXPECT(agentos_kernel_policy(k, 1, &name, &type) == AGENTOS_OK);
  EXPECT(name && strcmp(name, "sql_safety") == 0);
  EXPECT(type && strcmp(type, "sql") == 0);

  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "SELECT name FROM users WHERE id = 1", 0)) == 1);
  EXPECT(violation_count(d) == 0);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "UPDATE users SET a = 1 WHERE id = 2", 0)) == 1);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "DROP TABLE users", 0)) == 0);
  EXPECT(violation_count(d) >= 1);
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_OK);
  EXPECT(strcmp(v.policy, "sql_safety") == 0);
  EXPECT(strncmp(v.rule, "sql.", 4) == 0);
  EXPECT(strlen(v.reason) > 0);
  EXPECT(v.blocked == 1);
  EXPECT(v.severity >= AGENTOS_SEVERITY_LOW && v.severity <= AGENTOS_SEVERITY_CRITICAL);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "DROP/**/TABLE users", 0)) == 0);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "UPDATE users SET a = 1", 0)) == 0);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "SELECT 1; DELETE FROM users", 0)) == 0);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SQL, NULL, "SELECT 'DROP TABLE x' AS drop_date", 0)) == 1);
  EXPECT(check(k, NULL, d, make_action(AGENTOS_ACTION_SPEND, NULL, NULL, 150.0)) == 0);
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_OK);
  EXPECT(strcmp(v.policy, "budget") == 0);

  {
    /* A batch: four statements in one buffer, results in caller arrays. */
    const char* stmts[] = {"SELECT 1", "DROP TABLE t", "UPDATE t SET a = 1 WHERE b = 2", "TRUNCATE t"};
    char bytes[256];
    uint64_t offsets[5];
    uint8_t allowed[4];
    int8_t sev[4];
    uint32_t viol[4];
    size_t i, len = 0;
    offsets[0] = 0;
    for (i = 0; i < 4; ++i) {
      memcpy(bytes + len, stmts[i], strlen(stmts[i]));
      len += strlen(stmts[i]);
      offsets[i + 1] = len;
    }
    EXPECT(agentos_kernel_check_batch(k, AGENTOS_ACTION_SQL, bytes, len, offsets, 4, allowed, sev, viol) ==
           AGENTOS_OK);
    EXPECT(allowed[0] == 1 && allowed[1] == 0 && allowed[2] == 1 && allowed[3] == 0);
    EXPECT(sev[0] == AGENTOS_SEVERITY_NONE && sev[1] >= AGENTOS_SEVERITY_LOW);
    EXPECT(viol[0] == 0 && viol[1] >= 1);
  }
  agentos_decision_free(d);
  agentos_kernel_free(k);
}

static void test_tools_and_state(void) {
  agentos_kernel* k = load(kToolPolicy);
  agentos_decision* d = NULL;
  agentos_state* s = NULL;
  agentos_violation v = {.struct_size = sizeof(agentos_violation)};
  double cost = -1;
  int64_t tokens = -1;
  uint32_t calls = 0, actions = 0;
  if (!k) return;
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  EXPECT(agentos_state_new(&s) == AGENTOS_OK);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "db.query", "{\"q\":1}", 0.25)) == 1);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.25)) == 1);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "db.drop_table", "{}", 0.0)) == 0);
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_OK);
  EXPECT(strcmp(v.rule, "tool.denied") == 0);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "shell.exec", "rm -rf /", 0.0)) == 0);
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_OK);
  EXPECT(strcmp(v.rule, "tool.not_allowed") == 0);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.75)) == 0); /* 1.25 > 1 */
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_OK);
  EXPECT(strcmp(v.policy, "budget") == 0);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)) == 1); /* call 3 of 3 */
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)) == 0); /* call 4 */
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_OK);
  EXPECT(strcmp(v.rule, "tool.call_limit") == 0);
  EXPECT(agentos_state_get(s, &cost, &tokens, &calls, &actions) == AGENTOS_OK);
  EXPECT(cost == 0.5);
  EXPECT(tokens == 0);
  EXPECT(calls == 3);
  EXPECT(actions == 3);
  EXPECT(agentos_state_reset(s) == AGENTOS_OK);
  EXPECT(check(k, s, d, make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0)) == 1);
  agentos_state_free(s);
  agentos_decision_free(d);
  agentos_kernel_free(k);
}

static void test_errors_change_nothing(void) {
  agentos_kernel* k = load(kToolPolicy);
  agentos_kernel* untouched = (agentos_kernel*)(uintptr_t)0x5e11;
  agentos_decision* d = NULL;
  agentos_action a = make_action(AGENTOS_ACTION_TOOL_CALL, "search", "{}", 0.0);
  uint64_t offsets[3] = {0, 4, 3}; /* decreasing */
  uint8_t allowed[2] = {7, 7};
  agentos_violation v = {.struct_size = sizeof(agentos_violation)};
  if (!k) return;
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  EXPECT(check(k, NULL, d, a) == 1);

  a.kind = 42;
  EXPECT(agentos_kernel_check(k, NULL, &a, d) == AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "unknown action kind 42") != NULL);
  EXPECT(decision_allowed(d) == 1); /* the earlier decision stands */
  a.kind = AGENTOS_ACTION_TOOL_CALL;
  a.payload = NULL; /* with payload_len 2 */
  EXPECT(agentos_kernel_check(k, NULL, &a, d) == AGENTOS_INVALID);
  EXPECT(agentos_kernel_check(NULL, NULL, &a, d) == AGENTOS_INVALID);
  EXPECT(agentos_decision_violation(d, 0, &v) == AGENTOS_INVALID); /* no violations */

  EXPECT(agentos_kernel_check_batch(k, AGENTOS_ACTION_SQL, "abcd", 4, offsets, 2, allowed, NULL, NULL) ==
         AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "offsets") != NULL);
  EXPECT(allowed[0] == 7 && allowed[1] == 7);
  offsets[2] = 5; /* past the end */
  EXPECT(agentos_kernel_check_batch(k, AGENTOS_ACTION_SQL, "abcd", 4, offsets, 2, allowed, NULL, NULL) ==
         AGENTOS_INVALID);
  EXPECT(allowed[0] == 7);

  EXPECT(agentos_kernel_from_yaml("version: 1\npolicies: [\n", 22, "broken.yaml", &untouched) == AGENTOS_PARSE);
  EXPECT(strncmp(agentos_errmsg(), "broken.yaml:", 12) == 0);
  EXPECT(untouched == (agentos_kernel*)(uintptr_t)0x5e11);
  EXPECT(agentos_kernel_from_yaml("version: 1\npolicies: []\n", 24, "empty.yaml", &untouched) == AGENTOS_PARSE);
  EXPECT(agentos_kernel_from_file("/nonexistent/agentos/policy.yaml", &untouched) == AGENTOS_IO);
  EXPECT(strstr(agentos_errmsg(), "/nonexistent/agentos/policy.yaml") != NULL);
  EXPECT(untouched == (agentos_kernel*)(uintptr_t)0x5e11);

  EXPECT(agentos_kernel_allow_all(NULL) == AGENTOS_INVALID);
  EXPECT(strlen(agentos_errmsg()) > 0);
  {
    int32_t flag = 7;
    size_t count = 7;
    EXPECT(agentos_decision_allowed(NULL, &flag) == AGENTOS_INVALID && flag == 0); /* fails closed */
    EXPECT(agentos_kernel_policy_count(NULL, &count) == AGENTOS_INVALID && count == 7);
  }
  agentos_decision_free(d);
  agentos_kernel_free(k);
}

static void test_example_policy_file(void) {
  agentos_kernel* k = NULL;
  int rc = agentos_kernel_from_file(AGENTOS_SOURCE_DIR "/examples/policies/sql_safety.yaml", &k);
  EXPECT(rc == AGENTOS_OK);
  if (rc != AGENTOS_OK) return;
  EXPECT(policy_count(k) == 2);
  agentos_kernel_free(k);
}

int main(void) {
  test_version_and_codes();
  test_allow_all_and_free_null();
  test_sql_policy();
  test_share_outlives_the_original();
  test_tools_and_state();
  test_errors_change_nothing();
  test_example_policy_file();
  return expect_exit_code("kernel_api");
}
