/*
** Reading env 1's violation must leave env 0's violation strings alive and
** unchanged (they used to share one per-index copy, which the second read
** reallocated: a heap-use-after-free under AddressSanitizer).
*/
#include <stdio.h>
#include <string.h>

#include "agentos.h"

int main(void) {
  static const char policy[] = "version: 1\npolicies:\n  - {name: sql, type: sql, allow: [SELECT], deny: [DROP]}\n";
  static const char noop[] = "{\"type\":\"noop\"}";
  static const char actions[] = "DROP TABLE tDELETE FROM a_table_with_a_long_name_that_makes_the_reason_longer";
  const uint64_t offsets[] = {0, 12, sizeof actions - 1};
  agentos_kernel* k = NULL;
  agentos_venv* v = NULL;
  agentos_env_config c;
  agentos_violation a = {.struct_size = sizeof(agentos_violation)};
  agentos_violation b = {.struct_size = sizeof(agentos_violation)};
  if (agentos_kernel_from_yaml(policy, sizeof policy - 1, "p", &k) != AGENTOS_OK) return 2;
  agentos_env_config_init(&c);
  c.num_envs = 2;
  c.keep_results = 1;
  if (agentos_venv_create(k, &c, noop, sizeof noop - 1, &v) != AGENTOS_OK) return 2;
  agentos_venv_reset(v, 1, 0, NULL);
  if (agentos_venv_step(v, actions, sizeof actions - 1, offsets, 2, NULL) != AGENTOS_OK) return 2;
  if (agentos_venv_violation(v, 0, 0, &a) != AGENTOS_OK || agentos_venv_violation(v, 1, 0, &b) != AGENTOS_OK) return 2;
  int ok = strstr(a.reason, "DROP") != NULL && strstr(b.reason, "DELETE") != NULL && strcmp(a.rule, b.rule) != 0;
  if (!ok) fprintf(stderr, "env 0: %s | %s\nenv 1: %s | %s\n", a.rule, a.reason, b.rule, b.reason);
  agentos_venv_free(v);
  agentos_kernel_free(k);
  return ok ? 0 : 1;
}
