/* A C program built against an installed agentos: denies DROP, allows SELECT. */
#include <agentos.h>
#include <stdio.h>
#include <string.h>

static int allowed(const agentos_kernel* k, const char* sql) {
  agentos_action a = {sizeof a, AGENTOS_ACTION_SQL, "agent", 5, NULL, 0, sql, strlen(sql), 0.0, 0};
  agentos_decision* d = NULL;
  int32_t ok = -1;
  if (agentos_decision_new(&d) != AGENTOS_OK || agentos_kernel_check(k, NULL, &a, d) != AGENTOS_OK ||
      agentos_decision_allowed(d, &ok) != AGENTOS_OK) ok = -1;
  agentos_decision_free(d);
  return ok;
}

int main(void) {
  static const char policy[] = "version: 1\npolicies:\n  - name: sql\n    type: sql\n    deny: [DROP]\n";
  agentos_kernel* k = NULL;
  if (agentos_kernel_from_yaml(policy, sizeof policy - 1, "consumer", &k) != AGENTOS_OK) return 2;
  int drop = allowed(k, "DROP TABLE users"), select = allowed(k, "SELECT 1");
  agentos_kernel_free(k);
  printf("agentos %s: DROP allowed=%d, SELECT allowed=%d\n", agentos_version(), drop, select);
  return drop == 0 && select == 1 ? 0 : 1;
}
