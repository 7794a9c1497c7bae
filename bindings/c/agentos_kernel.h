/*
** agentos C API: the policy kernel. Include agentos.h, not this file.
**
** Thread safety: an agentos_kernel is immutable and may be used from any
** number of threads at once (check, check_batch, the read-only queries); it
** must not be freed while another thread still uses it. An agentos_state and
** an agentos_decision belong to one thread at a time.
**
** Failing closed: a call that returns an error has decided nothing; treat
** its action as denied. Actions whose fields are well-formed but whose
** values are unacceptable (negative or non-finite cost, negative tokens) are
** not call errors: the kernel denies them with a critical violation of the
** policy "kernel" (rule "kernel.invalid_action").
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
/* A numeric task's action (agentos_venv_step_discrete / _numeric; see
** agentos_task_register). agentos_kernel_check cannot carry its values, so
** it denies a NUMERIC action (kernel.invalid_action: no values). */
#define AGENTOS_ACTION_NUMERIC 4

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
  uint32_t struct_size; /* sizeof(agentos_action) */
  int32_t kind;         /* AGENTOS_ACTION_* */
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
  uint32_t struct_size; /* sizeof(agentos_violation), set by the caller */
  const char* policy; /* NUL-terminated; valid while the decision is unchanged */
  const char* rule;
  const char* reason;
  int32_t severity; /* AGENTOS_SEVERITY_* */
  int32_t blocked;  /* 1 if this violation stopped the action */
} agentos_violation;

/* ---- kernels ---------------------------------------------------------- */
/* From YAML text (schema: README "Policy files"). source_name (may be NULL)
** names the text in error messages ("name:line:col: ..."). Errors:
** AGENTOS_INVALID (NULL out, NULL yaml with a length), AGENTOS_PARSE (the
** text is not a valid policy document; the message names line and column). */
AGENTOS_API int agentos_kernel_from_yaml(const char* yaml, size_t yaml_len, const char* source_name,
                                         agentos_kernel** out);
/* From a YAML file (path NUL-terminated). AGENTOS_IO if it cannot be read. */
AGENTOS_API int agentos_kernel_from_file(const char* path, agentos_kernel** out);
/* A kernel that allows everything; must be asked for by name. */
AGENTOS_API int agentos_kernel_allow_all(agentos_kernel** out);
/* A second handle to the same kernel (kernels are immutable, so the two
** decide alike): each handle is freed on its own, and freeing one leaves
** the other usable. For bindings whose objects each own a handle (Python's
** copy.deepcopy of a KernelSpace). AGENTOS_INVALID for a NULL argument. */
AGENTOS_API int agentos_kernel_share(const agentos_kernel* kernel, agentos_kernel** out);
/* Decisions made with a kernel stay readable after it is freed. */
AGENTOS_API void agentos_kernel_free(agentos_kernel* kernel);
/* Number of policies (0 for allow-all). */
AGENTOS_API int agentos_kernel_policy_count(const agentos_kernel* kernel, size_t* count);
/* *audit = 1 in audit mode (violations reported, not blocked), 0 in
** enforce mode. */
AGENTOS_API int agentos_kernel_is_audit(const agentos_kernel* kernel, int32_t* audit);
/* Name and type ("sql", "cost", "tool", "content") of policy `index`, in the
** kernel's fixed order (sorted by name). Both NUL-terminated and valid while
** the kernel lives; either out-pointer may be NULL. AGENTOS_INVALID for a
** NULL kernel or an index outside [0, policy_count). */
AGENTOS_API int agentos_kernel_policy(const agentos_kernel* kernel, size_t index, const char** name,
                                      const char** type);

/* ---- per-episode state (cost spent, tool calls made) -------------------- */
AGENTOS_API int agentos_state_new(agentos_state** out);
AGENTOS_API void agentos_state_free(agentos_state* state);
AGENTOS_API int agentos_state_reset(agentos_state* state);
/* Any out-pointer may be NULL. */
AGENTOS_API int agentos_state_get(const agentos_state* state, double* cost_usd, int64_t* tokens,
                                  uint32_t* tool_calls, uint32_t* actions);

/* ---- one check ---------------------------------------------------------- */
/* A reusable decision buffer: allocate once, check into it many times.
** Until its first successful check it reads as denied, with one critical
** violation of policy "kernel", rule "kernel.unchecked". */
AGENTOS_API int agentos_decision_new(agentos_decision** out);
AGENTOS_API void agentos_decision_free(agentos_decision* decision);
/* Decides one action. state may be NULL (a fresh episode; nothing is
** committed); otherwise an allowed action's cost and call are added to it.
** AGENTOS_INVALID for a NULL kernel, action or out, a NULL string with a
** non-zero length, or an unknown kind; then neither out nor state changes. */
AGENTOS_API int agentos_kernel_check(const agentos_kernel* kernel, agentos_state* state,
                                     const agentos_action* action, agentos_decision* out);
/* *allowed = 1 if the action may execute, else 0. On any error *allowed
** is set to 0 (when out is not NULL): an unreadable decision denies. */
AGENTOS_API int agentos_decision_allowed(const agentos_decision* decision, int32_t* allowed);
/* Kept violations (at most 8); total counts every violation found. */
AGENTOS_API int agentos_decision_violation_count(const agentos_decision* decision, size_t* count);
AGENTOS_API int agentos_decision_total_violations(const agentos_decision* decision, size_t* total);
/* AGENTOS_SEVERITY_* of the worst violation; AGENTOS_SEVERITY_NONE if
** nothing was violated. */
AGENTOS_API int agentos_decision_max_severity(const agentos_decision* decision, int32_t* severity);
/* Violation `index` in [0, violation_count), in the kernel's fixed order.
** Its strings point into the decision itself: valid until the decision is
** next checked into or freed, whatever else is read meanwhile. Reading
** never modifies the decision (any number of threads may read one). */
AGENTOS_API int agentos_decision_violation(const agentos_decision* decision, size_t index,
                                           agentos_violation* out);

/* ---- a batch of checks in one call -------------------------------------- */
/* Checks n payloads of one kind, each a fresh episode. Payload i is
** bytes[offsets[i] .. offsets[i+1]) (offsets has n+1 entries, non-decreasing,
** offsets[n] <= bytes_len). Results go into caller-owned arrays of n entries:
** allowed (0/1), max_severity (AGENTOS_SEVERITY_*), violations (total count);
** max_severity and violations may be NULL, allowed may be NULL only when
** n == 0. Every argument is validated before anything is checked: on any
** error (NULL kernel or offsets, unknown kind, bad offsets) nothing is
** written. Allocates nothing. */
AGENTOS_API int agentos_kernel_check_batch(const agentos_kernel* kernel, int32_t kind,
                                           const char* bytes, size_t bytes_len, const uint64_t* offsets,
                                           size_t n, uint8_t* allowed, int8_t* max_severity,
                                           uint32_t* violations);
/* Checks n whole actions in order, into the same kind of result arrays.
** With a state they form one episode: each allowed action's cost and call
** count toward the next; with state NULL each is a fresh episode. Every
** action is validated first (as in agentos_kernel_check); on any error
** nothing is written and the state is unchanged. */
AGENTOS_API int agentos_kernel_check_actions(const agentos_kernel* kernel, agentos_state* state,
                                             const agentos_action* actions, size_t n, uint8_t* allowed,
                                             int8_t* max_severity, uint32_t* violations);

#ifdef __cplusplus
}
#endif

#endif /* AGENTOS_KERNEL_API_H_ */
