/*
** agentos C API: the policy kernel. Include agentos.h, not this file.
**
** Thread safety: an agentos_kernel is immutable and may be used from any
** number of threads at once. An agentos_state and an agentos_decision belong
** to one thread at a time.
*/
#ifndef AGENTOS_KERNEL_API_H_
#define AGENTOS_KERNEL_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Action kinds. Values never change. */
#define AGENTOS_ACTION_SQL 0
#define AGENTOS_ACTION_TOOL_CALL 1
#define AGENTOS_ACTION_SPEND 2
#define AGENTOS_ACTION_MESSAGE 3

/* Severities, ordered. Values never change. */
#define AGENTOS_SEVERITY_NONE (-1)
#define AGENTOS_SEVERITY_LOW 0
#define AGENTOS_SEVERITY_MEDIUM 1
#define AGENTOS_SEVERITY_HIGH 2
#define AGENTOS_SEVERITY_CRITICAL 3

typedef struct agentos_kernel agentos_kernel;
typedef struct agentos_state agentos_state;
typedef struct agentos_decision agentos_decision;

typedef struct agentos_action {
  int32_t kind; /* AGENTOS_ACTION_* */
  const char* agent_id;
  size_t agent_id_len;
  const char* tool;
  size_t tool_len;
  const char* payload; /* SQL text, tool arguments, message */
  size_t payload_len;
  double cost_usd; /* finite, >= 0 */
  int64_t tokens;  /* >= 0 */
} agentos_action;

typedef struct agentos_violation {
  const char* policy; /* NUL-terminated; valid while the decision is unchanged */
  const char* rule;
  const char* reason;
  int32_t severity; /* AGENTOS_SEVERITY_* */
  int32_t blocked;  /* 1 if this violation stopped the action */
} agentos_violation;

/* ---- kernels ---------------------------------------------------------- */
/* From YAML text (schema: README "Policy files"). source_name (may be NULL)
** names the text in error messages. */
AGENTOS_API int agentos_kernel_from_yaml(const char* yaml, size_t yaml_len, const char* source_name,
                                         agentos_kernel** out);
AGENTOS_API int agentos_kernel_from_file(const char* path, agentos_kernel** out);
/* A kernel that allows everything; must be asked for by name. */
AGENTOS_API int agentos_kernel_allow_all(agentos_kernel** out);
AGENTOS_API void agentos_kernel_free(agentos_kernel* kernel);
AGENTOS_API int agentos_kernel_policy_count(const agentos_kernel* kernel);
/* 1 in audit mode (violations reported, not blocked), else 0. */
AGENTOS_API int agentos_kernel_is_audit(const agentos_kernel* kernel);

/* ---- per-episode state (cost spent, tool calls made) -------------------- */
AGENTOS_API int agentos_state_new(agentos_state** out);
AGENTOS_API void agentos_state_free(agentos_state* state);
AGENTOS_API int agentos_state_reset(agentos_state* state);
AGENTOS_API int agentos_state_get(const agentos_state* state, double* cost_usd, int64_t* tokens,
                                  uint32_t* tool_calls, uint32_t* actions);

/* ---- one check ---------------------------------------------------------- */
/* A reusable decision buffer: allocate once, check into it many times. */
AGENTOS_API int agentos_decision_new(agentos_decision** out);
AGENTOS_API void agentos_decision_free(agentos_decision* decision);
/* Decides one action. state may be NULL (a fresh episode; nothing is
** committed); otherwise an allowed action's cost and call are added to it. */
AGENTOS_API int agentos_kernel_check(const agentos_kernel* kernel, agentos_state* state,
                                     const agentos_action* action, agentos_decision* out);
AGENTOS_API int agentos_decision_allowed(const agentos_decision* decision);
/* Kept violations (at most 8); total counts every violation found. */
AGENTOS_API int agentos_decision_violation_count(const agentos_decision* decision);
AGENTOS_API int agentos_decision_total_violations(const agentos_decision* decision);
AGENTOS_API int agentos_decision_max_severity(const agentos_decision* decision); /* or SEVERITY_NONE */
AGENTOS_API int agentos_decision_violation(const agentos_decision* decision, int index,
                                           agentos_violation* out);

/* ---- a batch of checks in one call -------------------------------------- */
/* Checks n payloads of one kind, each a fresh episode. Payload i is
** bytes[offsets[i] .. offsets[i+1]) (offsets has n+1 entries, non-decreasing,
** offsets[n] <= bytes_len). Results go into caller-owned arrays of n entries:
** allowed (0/1), max_severity (AGENTOS_SEVERITY_*), violations (total count);
** max_severity and violations may be NULL. On a bad offset nothing is written. */
AGENTOS_API int agentos_kernel_check_batch(const agentos_kernel* kernel, int32_t kind,
                                           const char* bytes, size_t bytes_len, const uint64_t* offsets,
                                           size_t n, uint8_t* allowed, int8_t* max_severity,
                                           uint32_t* violations);

#ifdef __cplusplus
}
#endif

#endif /* AGENTOS_KERNEL_API_H_ */
