/*
** agentos C API: governed environments. Include agentos.h, not this file.
**
** One handle type, agentos_venv: N governed environments stepped as one
** batch (a single environment is the same thing with num_envs = 1). The
** semantics are those of the C++ VectorEnv (env/vector_env.h), summarised:
**
**   - Every action passes the policy kernel before the task sees it; a
**     blocked action never runs and still costs reward (penalties are
**     negative numbers added to the task reward; see env/reward_config.h).
**   - terminated: the task ended the episode, a critical violation with
**     terminate_on_critical (SIGPOLICY), or SIGKILL. truncated: max_steps,
**     budget exhausted (SIGBUDGET) or SIGTERM. Both may be 1 at once.
**   - Autoreset: NEXT_STEP (default), SAME_STEP or DISABLED, exactly as
**     Gymnasium 1.x defines them (see AGENTOS_AUTORESET_*).
**   - Results land in buffers allocated once at create; the pointer getters
**     return the same address for the handle's whole life, so a caller (a
**     numpy view, a Julia unsafe_wrap) maps them once and reads them after
**     every step without copying. Row i is env i. Contents change on every
**     reset and step.
**
** Thread safety: an agentos_venv belongs to one thread at a time (it runs
** its own worker threads inside step and reset). The kernel it was made
** from may be freed after create: the venv keeps what it needs.
*/
#ifndef AGENTOS_ENV_API_H_
#define AGENTOS_ENV_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* agentos_kernel and agentos_violation come from agentos_kernel.h. */
typedef struct agentos_venv agentos_venv;

/* Autoreset modes. Values never change.
** NEXT_STEP: the ending step returns the terminal observation; the next step
**   resets that env, ignores its action and reports reward 0, terminated =
**   truncated = 0, autoreset = 1.
** SAME_STEP: the env resets inside the ending step; observation is the new
**   episode's, final_observation the terminal one, autoreset = 1; every
**   other buffer describes the ending transition.
** DISABLED: stepping an ended env fails the whole batch (AGENTOS_STATE,
**   naming the env) before any env moves; reset it with a mask. */
#define AGENTOS_AUTORESET_NEXT_STEP 0
#define AGENTOS_AUTORESET_SAME_STEP 1
#define AGENTOS_AUTORESET_DISABLED 2

/* Signals: one bit each, as in the signals buffer. Values never change.
** Trainers may send STOP, CONT, KILL and TERM; POLICY and BUDGET are raised
** by the environment only. See env/signals.h for exact semantics. */
#define AGENTOS_SIGSTOP 0x01u   /* pause: steps become no-ops (reward 0, signals has SIGSTOP) */
#define AGENTOS_SIGCONT 0x02u   /* resume */
#define AGENTOS_SIGKILL 0x04u   /* end the episode now: next step ignores its action, terminated = 1 */
#define AGENTOS_SIGTERM 0x08u   /* end it after the next step: that step runs, truncated = 1 */
#define AGENTOS_SIGPOLICY 0x10u /* a critical violation happened */
#define AGENTOS_SIGBUDGET 0x20u /* the cost budget is exhausted; truncated = 1 */
#define AGENTOS_SIGNAL_COUNT 6

typedef struct agentos_env_config {
  /* Set by agentos_env_config_init to sizeof(agentos_env_config); create
  ** refuses any other value, so a caller built against another layout
  ** fails loudly instead of being misread. */
  uint32_t struct_size;
  uint32_t num_envs;      /* >= 1 */
  uint32_t num_threads;   /* >= 1, counting the calling thread */
  uint32_t max_steps;     /* >= 1; default 100 */
  uint64_t seed;          /* for the first reset that gives no seed; default 0 */
  int32_t terminate_on_critical; /* 0/1; default 1 */
  int32_t autoreset;             /* AGENTOS_AUTORESET_*; default NEXT_STEP */
  int32_t default_action_kind;   /* AGENTOS_ACTION_* used when a step gives no kinds; default SQL */
  int32_t keep_results;          /* 1: keep each env's last decision for agentos_venv_violation (~2.3 KB/env) */
  /* Reward (penalties <= 0 and added; critical <= high <= medium <= low). */
  double critical_penalty; /* -100 */
  double high_penalty;     /* -50 */
  double medium_penalty;   /* -10 */
  double low_penalty;      /* -1 */
  double clean_bonus;      /* 0; >= 0; paid once, on the first successful step of a violation-free episode */
  double step_penalty;     /* 0; <= 0; every governed step */
  double min_reward;       /* -1000 */
  double max_reward;       /* 1000 */
  double max_cost_usd;     /* episode cost budget; 0 = none */
  uint32_t max_action_bytes;    /* longer payloads are denied unread; default 65536 */
  uint32_t min_envs_per_thread; /* >= 1; a batch is split over threads only from 2x this many envs; default 256 */
  /* How long (microseconds) idle worker threads spin waiting for the next
  ** batch before they sleep: lower saves CPU between batches, higher saves
  ** wake-up latency when steps come back to back. 0 = sleep at once;
  ** <= 1000000; default 50. */
  uint32_t spin_us;
  const char* agent_id;         /* what the kernel sees as the agent; NULL/0 = "agent" */
  size_t agent_id_len;
  /* Flight recorder (agentos_recorder.h) that receives every governed step,
  ** from the worker thread that ran it; NULL = no audit. The venv keeps the
  ** recorder alive, so the handle may be freed first. A recorder already
  ** closed or failed refuses the step before any action runs (AGENTOS_STATE
  ** when closed, its error when failed; nothing changes). If the recorder
  ** fails while recording, the step that hit the failure returns AGENTOS_IO
  ** and every later step of that env AGENTOS_STATE: nothing runs unaudited
  ** once auditing broke. */
  struct agentos_recorder* recorder;
  /* 1 (default): a step's policy penalties are added to its reward. 0: they
  ** are left out of the reward and reported only as the step's policy cost
  ** (agentos_venv_policy_costs), for constrained RL. The cost is reported
  ** either way. */
  int32_t penalties_in_reward;
  /* Added after penalties_in_reward (ABI: appended). Async mode: how many
  ** finished envs one agentos_venv_recv returns; 0 (default) = num_envs;
  ** <= num_envs. */
  uint32_t batch_size;
  /* 1: after every reset and step, every env's observation text is gathered
  ** into one buffer (agentos_venv_observation_texts). 0 (default): not
  ** gathered; each text stays readable with agentos_venv_observation_text.
  ** Appended (ABI). */
  int32_t text_observations;
} agentos_env_config;

/* Aggregated metrics (sums over every env; rates over ended episodes). */
typedef struct agentos_env_metrics {
  uint32_t struct_size;              /* sizeof(agentos_env_metrics), set by the caller */
  uint64_t episodes;                 /* ended episodes */
  uint64_t successful_episodes;      /* each counted once */
  uint64_t episodes_with_violations;
  uint64_t steps;                    /* governed steps (the kernel decided an action) */
  uint64_t executed;
  uint64_t blocked;
  uint64_t idle_steps;               /* paused, killed and autoreset steps */
  uint64_t violations;
  uint64_t unattributed_violations;  /* beyond the 8 kept per decision: no policy known (severity is counted) */
  uint64_t task_errors;
  uint64_t backend_destructive_ops;  /* must stay 0 */
  uint64_t by_severity[4];           /* indexed by AGENTOS_SEVERITY_* */
  uint64_t signals[AGENTOS_SIGNAL_COUNT]; /* index k counts signal bit (1 << k) */
  double success_rate;        /* successful_episodes / episodes, in [0, 1] */
  double violation_rate;      /* episodes_with_violations / episodes */
  double clean_rate;          /* episodes without violation / episodes */
  double violations_per_step;
  double average_penalty;     /* per governed step, <= 0 */
  double penalty_sum;
  double reward_sum;
  /* Added after reward_sum (ABI: appended). Episodes, the current ones
  ** included, whose executed actions changed the task's state: for the SQL
  ** task, changed its database (rows, schema, destructive statements), each
  ** episode counted once. Other tasks: 0. */
  uint64_t changed_database_episodes;
} agentos_env_metrics;

/* Fills *config with the defaults above. AGENTOS_INVALID for NULL. */
AGENTOS_API int agentos_env_config_init(agentos_env_config* config);

/* Makes a venv of config->num_envs environments over `kernel`, each with a
** task made from task_spec, a JSON object (not NUL-terminated necessarily):
**   {"type":"noop"}  {"type":"external"}
**   {"type":"sql","dataset_dir":"...","split":"train", ...}
**   {"type":"cartpole"}, or any task registered with agentos_task_register
** (env/task_registry.h lists the keys; unknown keys are errors).
** Errors: AGENTOS_INVALID (NULL kernel/config/out, bad struct_size, bad
** config value: the message names the field), AGENTOS_PARSE (bad task
** spec), or the task's own error (e.g. AGENTOS_IO for a missing dataset). */
AGENTOS_API int agentos_venv_create(const agentos_kernel* kernel, const agentos_env_config* config,
                                    const char* task_spec, size_t task_spec_len, agentos_venv** out);
AGENTOS_API void agentos_venv_free(agentos_venv* venv);
/* Number of environments. */
AGENTOS_API int agentos_venv_num_envs(const agentos_venv* venv, size_t* count);

/* Resets envs: all when mask is NULL, else those with mask[i] != 0 (mask has
** num_envs entries). With has_seed != 0 env i is seeded with seed + i;
** without, each env's RNG continues (the first reset uses config->seed).
** If a task's reset fails (e.g. its database cannot be restored) the other
** envs are still reset and the lowest failing env's error is returned;
** that env must be reset again before it can step. */
AGENTOS_API int agentos_venv_reset(agentos_venv* venv, int32_t has_seed, uint64_t seed, const uint8_t* mask);

/* Resets like agentos_venv_reset with one seed per env (Gymnasium's
** reset(seed=[s0, s1, ...])): env i is seeded with seeds[i] (num_envs
** entries). has_seed may be NULL (every env seeded), else num_envs entries:
** env i with has_seed[i] == 0 keeps its RNG going, as with has_seed = 0
** above (the first reset uses config->seed + i). mask as above.
** AGENTOS_INVALID for a NULL venv or seeds, and nothing changes. */
AGENTOS_API int agentos_venv_reset_seeds(agentos_venv* venv, const uint64_t* seeds, const uint8_t* has_seed,
                                         const uint8_t* mask);

/* What agentos_venv_reset_with does; zero-initialise it and set struct_size.
** Every pointer is NULL (absent) or has num_envs entries. */
typedef struct agentos_reset_options {
  uint32_t struct_size;       /* sizeof(agentos_reset_options) */
  int32_t has_seed;           /* != 0: env i is seeded with seed + i, as agentos_venv_reset */
  uint64_t seed;
  const uint64_t* seeds;      /* per-env seeds, as agentos_venv_reset_seeds (then has_seed must be 0) */
  const uint8_t* has_seeds;   /* with seeds: env i with has_seeds[i] == 0 keeps its RNG going */
  const uint8_t* mask;        /* reset only envs with mask[i] != 0 */
  const int64_t* task_index;  /* pins: env i plays task task_index[i] (>= 0) of its task's list
                              ** (for SQL, the dataset index; see agentos_venv_find_task);
                              ** -1 lets the seed pick. NULL: the seeds pick for every env */
} agentos_reset_options;

/* Resets envs as `options` says: agentos_venv_reset / agentos_venv_reset_seeds
** plus task pinning, so a trainer chooses which task each env plays. A pin
** lasts one episode: a later reset (an autoreset too) lets the seed pick.
** Every option is checked before any env moves: a NULL venv or options, a
** wrong struct_size, seeds given with has_seed, has_seeds without seeds, a
** pin on a task that has no tasks to choose from (noop, external), an index
** out of range or below -1 are AGENTOS_INVALID (the message names the env)
** and nothing changes. Task resets that fail are reported as by
** agentos_venv_reset. */
AGENTOS_API int agentos_venv_reset_with(agentos_venv* venv, const agentos_reset_options* options);

/* *index = the task index of task id `id` (id_len bytes, e.g. "shop-042"),
** for agentos_reset_options.task_index. AGENTOS_NOTFOUND (and *index
** unchanged) for an unknown id or a task without ids. */
AGENTOS_API int agentos_venv_find_task(const agentos_venv* venv, const char* id, size_t id_len, int64_t* index);

/* Optional per-env inputs of a step; any member may be NULL (absent), else
** it has num_envs entries (tool_offsets: num_envs + 1 into tool_bytes). */
typedef struct agentos_step_extras {
  uint32_t struct_size;           /* sizeof(agentos_step_extras) */
  const uint8_t* kinds;           /* AGENTOS_ACTION_* per env */
  const char* tool_bytes;         /* tool names for tool_call actions */
  size_t tool_bytes_len;
  const uint64_t* tool_offsets;
  const double* cost_usd;         /* what each action costs */
  const int64_t* tokens;
  const double* external_reward;  /* external task: the action's reward (finite) */
  const uint8_t* external_success;
  const uint8_t* external_done;
} agentos_step_extras;

/* Steps every env once. Action i is bytes[offsets[i] .. offsets[i+1])
** (offsets: num_envs + 1 entries, non-decreasing, last <= bytes_len);
** n must equal num_envs. extras may be NULL. Every argument and every env's
** state is checked before any env moves: on AGENTOS_INVALID or
** AGENTOS_STATE nothing changed. Bad agent output (empty, oversized,
** invalid UTF-8, negative cost) is not a call error: it is denied with a
** reason like any unsafe action. If a task's reset fails during autoreset,
** the other envs still step and the lowest failing env's error returns. */
AGENTOS_API int agentos_venv_step(agentos_venv* venv, const char* bytes, size_t bytes_len, const uint64_t* offsets,
                                  size_t n, const agentos_step_extras* extras);

/* ---- async mode (EnvPool's send/recv) ------------------------------------
** agentos_venv_send queues one step for each of n envs (env_ids, distinct,
** each in [0, num_envs)) and returns at once: action k (bytes[offsets[k] ..
** offsets[k+1]), offsets: n + 1 entries; extras as for step but with n
** entries, n + 1 for tool_offsets) is env_ids[k]'s. num_threads worker
** threads (started by the first send) step them; the calling thread steps
** nothing, so it can compute the next actions meanwhile. Each env steps
** exactly as agentos_venv_step would step it (governance, rewards,
** autoreset): its trajectory depends only on its own actions and seed,
** never on the batches it lands in.
** agentos_venv_recv blocks until batch_size envs in flight have finished
** (all of them when fewer are in flight) and writes, in finish order, their
** ids and rows into out (caller-owned arrays of out->capacity >= that many
** entries); *count gets how many. The rows are also in the result buffers
** (row i is env i). Each env sent is received exactly once.
** Errors, with nothing changed: AGENTOS_INVALID (NULL, a bad or repeated
** id, n of 0 or more than num_envs, bad actions, a small capacity),
** AGENTOS_STATE (send: an env already in flight, not reset, or ended with
** autoreset DISABLED; recv: nothing in flight). If a step failed (a task
** reset inside autoreset, the recorder), recv still delivers every row and
** *count, and returns the first failed env's error, as step does.
** While any env is in flight, step, reset, signal, metrics and the policy
** counters fail with AGENTOS_STATE, and so do the readers of an env in
** flight (observation text, task message, violations, would_execute); its
** row in the result buffers may be changing. Free a venv with envs in
** flight at will: its workers finish their current step and stop. */
typedef struct agentos_recv_rows {
  uint32_t struct_size;  /* sizeof(agentos_recv_rows) */
  size_t capacity;       /* entries in every array below */
  uint32_t* env_id;      /* required */
  /* Each optional: NULL = not copied. Meanings as the result buffers'. */
  int64_t* observation;
  double* reward;
  uint8_t* terminated;
  uint8_t* truncated;
  uint8_t* executed;
  uint8_t* success;
  uint8_t* task_error;
  uint32_t* violations;
  int8_t* max_severity;
  uint32_t* signals;
  uint32_t* episode_step;
  double* cost_usd;
  double* episode_return;
  uint8_t* autoreset;
  int64_t* final_observation;
  double* policy_cost;
  /* Numeric tasks (appended: a caller built with the struct ending at
  ** policy_cost, whose struct_size stops there, still works and gets
  ** neither): capacity x obs_dim values of obs_dtype each, row k being
  ** env_id[k]'s numeric observation / SAME_STEP terminal observation. */
  void* numeric_observation;
  void* final_numeric_observation;
} agentos_recv_rows;

AGENTOS_API int agentos_venv_send(agentos_venv* venv, const uint32_t* env_ids, size_t n, const char* bytes,
                                  size_t bytes_len, const uint64_t* offsets, const agentos_step_extras* extras);
AGENTOS_API int agentos_venv_recv(agentos_venv* venv, const agentos_recv_rows* out, size_t* count);
/* The venv's batch_size (config->batch_size, or num_envs for 0). */
AGENTOS_API int agentos_venv_batch_size(const agentos_venv* venv, size_t* batch_size);
/* Envs sent and not yet received. */
AGENTOS_API int agentos_venv_in_flight(const agentos_venv* venv, size_t* count);

/* Sends signal (one AGENTOS_SIG* bit: STOP, CONT, KILL or TERM) to env. */
AGENTOS_API int agentos_venv_signal(agentos_venv* venv, size_t env, uint32_t signal);
/* "SIGSTOP", ... for one signal bit; "" for anything else. */
AGENTOS_API const char* agentos_signal_name(uint32_t signal);

/* *would_execute = 1 if stepping env with `action` now would execute it (the
** env would take a governed step and its kernel, with the env's
** max_action_bytes and agent id, would allow the action against the
** episode's state), else 0. Changes nothing: for a caller that runs an
** external task's effects itself, only for actions the engine will run.
** AGENTOS_INVALID for NULL arguments, a bad env index or action. */
AGENTOS_API int agentos_venv_would_execute(const agentos_venv* venv, size_t env, const struct agentos_action* action,
                                           int32_t* would_execute);

/* ---- the engine's rules, for callers that judge outside a venv ---------- */
/* The AGENTOS_SIG* bits a decision raises by itself (what a venv step adds
** to them is its own max_cost_usd budget and trainer signals): SIGPOLICY
** for any critical violation, SIGBUDGET when a cost policy's episode budget
** (rules cost.episode_budget, cost.token_budget) denied the action.
** AGENTOS_INVALID (and *signals = 0) for a NULL argument. */
AGENTOS_API int agentos_decision_signals(const struct agentos_decision* decision, uint32_t* signals);
/* A governed step's reward under config's reward fields (critical_penalty ..
** max_reward and penalties_in_reward; the other fields are ignored), exactly as a venv computes it:
**   clamp(task_reward + step_penalty + sum over severities of
**         counts[severity] * penalty(severity) [when penalties_in_reward]
**         + (clean_success ? clean_bonus : 0),
**         min_reward, max_reward)
** counts has 4 entries indexed by AGENTOS_SEVERITY_*. *reward receives the
** reward, *penalty (may be NULL) the policy penalty. AGENTOS_INVALID (and no
** output) for a NULL config/counts/reward, a wrong struct_size, a non-finite
** task_reward or reward fields the venv would refuse (message names the
** field). */
AGENTOS_API int agentos_reward(const agentos_env_config* config, double task_reward, const uint32_t* counts,
                               int32_t clean_success, double* reward, double* penalty);

/* ---- result buffers (num_envs entries each; NULL for a NULL venv) -------- */
AGENTOS_API const int64_t* agentos_venv_observations(const agentos_venv* venv);
AGENTOS_API const double* agentos_venv_rewards(const agentos_venv* venv);
AGENTOS_API const uint8_t* agentos_venv_terminated(const agentos_venv* venv);
AGENTOS_API const uint8_t* agentos_venv_truncated(const agentos_venv* venv);
AGENTOS_API const uint8_t* agentos_venv_executed(const agentos_venv* venv);
AGENTOS_API const uint8_t* agentos_venv_success(const agentos_venv* venv);    /* task success at this step */
AGENTOS_API const uint8_t* agentos_venv_task_error(const agentos_venv* venv); /* the executed action failed */
AGENTOS_API const uint32_t* agentos_venv_violations(const agentos_venv* venv);
AGENTOS_API const int8_t* agentos_venv_max_severity(const agentos_venv* venv);
AGENTOS_API const uint32_t* agentos_venv_signals(const agentos_venv* venv);
AGENTOS_API const uint32_t* agentos_venv_episode_steps(const agentos_venv* venv);
AGENTOS_API const double* agentos_venv_costs(const agentos_venv* venv);
AGENTOS_API const double* agentos_venv_episode_returns(const agentos_venv* venv);
AGENTOS_API const uint8_t* agentos_venv_autoreset(const agentos_venv* venv);
AGENTOS_API const int64_t* agentos_venv_final_observations(const agentos_venv* venv);
/* The step's policy cost, >= 0: minus the sum of its violations' penalties
** (see penalties_in_reward); 0 for a step without violations. */
AGENTOS_API const double* agentos_venv_policy_costs(const agentos_venv* venv);

/* Env's observation text (e.g. the SQL question and schema); valid until
** the next reset or step. */
AGENTOS_API int agentos_venv_observation_text(const agentos_venv* venv, size_t env, const char** text, size_t* len);

/* Every env's observation text after the last reset or step, in one buffer
** (needs config->text_observations; else AGENTOS_STATE). Text i is
** (*bytes)[(*offsets)[i] .. (*offsets)[i+1] - 1) and is followed by a NUL,
** so *bytes + (*offsets)[i] is also a C string; *offsets has num_envs + 1
** entries, (*offsets)[0] = 0 and (*offsets)[num_envs] = *nbytes. Before the
** first reset every text is empty. *offsets is the same address for the
** venv's life; *bytes moves only when a reset or step needs more room than
** any before (the buffer then at least doubles, so a steady state keeps its
** address): read the pointers again after each call. Both are valid until
** the next reset or step, or agentos_venv_free. AGENTOS_INVALID for a NULL
** argument. */
AGENTOS_API int agentos_venv_observation_texts(const agentos_venv* venv, const char** bytes,
                                               const uint64_t** offsets, size_t* nbytes);

/* Chat form of every env's observation, for trainers that take messages:
** an env whose task has standing instructions opens with a SYSTEM message
** carrying them, then one USER message carries its observation text (the
** SQL task: instructions, then question and schema). */
#define AGENTOS_CHAT_SYSTEM 0
#define AGENTOS_CHAT_USER 1
typedef struct agentos_chat {
  uint32_t struct_size;       /* sizeof(agentos_chat), set by the caller */
  const char* bytes;          /* message m: bytes[offsets[m] .. offsets[m+1] - 1), then a NUL */
  size_t nbytes;
  const uint64_t* offsets;    /* num_messages + 1 */
  const uint8_t* roles;       /* num_messages AGENTOS_CHAT_* values */
  size_t num_messages;
  const uint64_t* env_first;  /* num_envs + 1: env i's messages are [env_first[i], env_first[i+1]) */
} agentos_chat;

/* Builds the chat form of every env's current observation into *out (works
** with or without config->text_observations). The pointers are valid until
** the next call of this function, reset, step or agentos_venv_free.
** AGENTOS_INVALID for NULL arguments or a wrong out->struct_size. */
AGENTOS_API int agentos_venv_observation_chat(agentos_venv* venv, agentos_chat* out);
/* "system", "user" for AGENTOS_CHAT_*; "" for anything else. */
AGENTOS_API const char* agentos_chat_role_name(uint32_t role);

/* Env's last step's task error message (bad SQL, time limit, ...); "" when
** its task_error is 0. Needs keep_results (else AGENTOS_STATE); valid until
** the next step. */
AGENTOS_API int agentos_venv_task_message(const agentos_venv* venv, size_t env, const char** text, size_t* len);

/* Env's last step's kept violations (needs keep_results; else
** AGENTOS_STATE). count gets how many (<= 8); violation `index` is read
** like agentos_decision_violation. Its strings point into the env's kept
** result: valid until the venv is next stepped, reset or freed, whatever
** other (env, index) pairs are read meanwhile. */
AGENTOS_API int agentos_venv_violation_count(const agentos_venv* venv, size_t env, size_t* count);
AGENTOS_API int agentos_venv_violation(const agentos_venv* venv, size_t env, size_t index, agentos_violation* out);

/* ---- metrics -------------------------------------------------------------- */
AGENTOS_API int agentos_venv_metrics(const agentos_venv* venv, agentos_env_metrics* out);
/* Violation counts per policy: slots are the kernel's policies in its
** order, then "kernel" (the kernel's and the environment's own checks). */
AGENTOS_API int agentos_venv_policy_slots(const agentos_venv* venv, size_t* count);
/* name: NUL-terminated, valid for the venv's life. Either out may be NULL. */
AGENTOS_API int agentos_venv_policy_violations(const agentos_venv* venv, size_t slot, const char** name,
                                               uint64_t* count);
/* AGENTOS_NOTFOUND for a name that is no slot. */
AGENTOS_API int agentos_venv_policy_violations_by_name(const agentos_venv* venv, const char* name, size_t name_len,
                                                       uint64_t* count);

/* ---- numeric tasks (your own simulator under the kernel) ----------------
** A numeric task has a fixed-size observation (obs_dim float32 or float64
** values) and a discrete (one integer in [0, num_actions)) or continuous
** (action_dim doubles) action. Register one under a name, and the task
** spec {"type": "<name>", ...} makes it wherever a spec is taken
** (agentos_venv_create, the CLI, Python). Each of its actions passes the
** kernel as an AGENTOS_ACTION_NUMERIC action (values: the action; state:
** what the task's state callback reports, for policies of type "numeric");
** a denied action never reaches step. The C++ form of the same API, and its
** full contract, is env/task_api.h; examples/custom_task is a complete task. */
#define AGENTOS_DTYPE_FLOAT32 0
#define AGENTOS_DTYPE_FLOAT64 1
#define AGENTOS_ACTION_SPACE_DISCRETE 0
#define AGENTOS_ACTION_SPACE_CONTINUOUS 1

/* What a task's step reports. Filled by the task's step callback; the
** engine zeroes it first. */
typedef struct agentos_task_step {
  double reward;       /* finite */
  double cost;         /* safety cost, finite and >= 0; reported with the policy cost */
  int32_t terminated;  /* 1: the task ended the episode */
  int32_t error;       /* 1: the step failed (message says why) */
  const char* message; /* NUL-terminated, static or owned by the task until its next call; may be NULL */
} agentos_task_step;

typedef struct agentos_task_def {
  uint32_t struct_size;  /* sizeof(agentos_task_def) */
  uint32_t obs_dim;      /* >= 1 */
  int32_t obs_dtype;     /* AGENTOS_DTYPE_* */
  int32_t action_space;  /* AGENTOS_ACTION_SPACE_* */
  int64_t num_actions;   /* discrete: >= 1 */
  uint32_t action_dim;   /* continuous: >= 1; discrete: 1 */
  /* Optional bounds (NULL: unbounded), obs_dim / action_dim values each;
  ** they describe the spaces (a Gymnasium Box), they do not clip. Copied. */
  const double* obs_low;
  const double* obs_high;
  const double* action_low;
  const double* action_high;
  void* user; /* passed to create; must outlive every task made */
  /* Makes one task (one per environment; from any thread). params is the
  ** task spec without "type" as a JSON object, params_len bytes (not
  ** NUL-terminated). Returns AGENTOS_OK and sets *task, or an error code
  ** (AGENTOS_PARSE for a bad parameter) after setting *message (static). */
  int (*create)(void* user, const char* params, size_t params_len, void** task, const char** message);
  void (*destroy)(void* task);
  /* Starts an episode from seed; writes the first observation to obs. */
  int (*reset)(void* task, uint64_t seed, void* obs);
  /* Runs one allowed action (values: 1 for discrete, action_dim for
  ** continuous; already checked against the space) and writes the next
  ** observation to obs (the same buffer as at reset). */
  void (*step)(void* task, const double* action, void* obs, agentos_task_step* out);
  /* Optional (NULL: none): the task's numeric state, *count values valid
  ** until the task's next call, for "numeric" policies' state_index. */
  const double* (*state)(const void* task, size_t* count);
} agentos_task_def;

/* Registers a numeric task type under name (1-64 of a-z 0-9 _ . -; not
** sql, external, noop or a name already registered; tasks are never
** unregistered). def is copied. AGENTOS_INVALID for NULL arguments, a bad
** struct_size, name or shape, a missing callback (the message says which). */
AGENTOS_API int agentos_task_register(const char* name, size_t name_len, const agentos_task_def* def);

/* A numeric venv's shape (from its task); AGENTOS_STATE for a text task. */
typedef struct agentos_numeric_shape {
  uint32_t struct_size; /* sizeof(agentos_numeric_shape), set by the caller */
  uint32_t obs_dim;
  int32_t obs_dtype;
  int32_t action_space;
  int64_t num_actions;
  uint32_t action_dim;
  int32_t obs_bounded;    /* 1: obs_low/obs_high give obs_dim bounds each */
  int32_t action_bounded; /* 1: action_low/action_high give action_dim bounds each */
  const double* obs_low;  /* valid for the process's life; NULL when unbounded */
  const double* obs_high;
  const double* action_low;
  const double* action_high;
} agentos_numeric_shape;
AGENTOS_API int agentos_venv_numeric_shape(const agentos_venv* venv, agentos_numeric_shape* out);

/* The numeric observations: num_envs x obs_dim values of obs_dtype, row i
** is env i (after a reset or step; a blocked action leaves it unchanged).
** final: SAME_STEP terminal observations (rows with autoreset = 1). Same
** address for the venv's life; NULL for a NULL venv or a text task. */
AGENTOS_API const void* agentos_venv_numeric_observations(const agentos_venv* venv);
AGENTOS_API const void* agentos_venv_final_numeric_observations(const agentos_venv* venv);

/* Steps a numeric venv: actions has n = num_envs entries (discrete) or
** n * action_dim values, row-major (numeric; count = that many). A bad
** value the agent chose (out of range, not an integer, not finite) is
** denied or a task error for that env, not a call error. AGENTOS_INVALID
** (nothing changes) for a NULL venv/actions, a wrong count, a text task or
** a discrete step of a continuous task; AGENTOS_STATE as agentos_venv_step. */
AGENTOS_API int agentos_venv_step_discrete(agentos_venv* venv, const int64_t* actions, size_t n);
AGENTOS_API int agentos_venv_step_numeric(agentos_venv* venv, const double* actions, size_t count);
/* agentos_venv_send for a numeric venv: action k (actions[k], discrete; or
** values k * action_dim .. (k + 1) * action_dim - 1, numeric, count = n *
** action_dim) is env_ids[k]'s. Errors as agentos_venv_send and
** agentos_venv_step_discrete / _numeric. Receive with agentos_venv_recv
** (its numeric_observation rows). */
AGENTOS_API int agentos_venv_send_discrete(agentos_venv* venv, const uint32_t* env_ids, size_t n,
                                           const int64_t* actions);
AGENTOS_API int agentos_venv_send_numeric(agentos_venv* venv, const uint32_t* env_ids, size_t n,
                                          const double* actions, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* AGENTOS_ENV_API_H_ */
