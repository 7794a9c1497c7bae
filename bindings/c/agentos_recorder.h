/*
** agentos C API: the flight recorder, a tamper-evident audit log of every
** decision. Include agentos.h, not this file.
**
** A recorder writes one SQLite file (plus FILE.checkpoint beside it); see
** kernel/recorder/flight_recorder.h for durability and the threat model.
**
** Thread safety: agentos_recorder_record may be called from any number of
** threads at once on one recorder (it blocks only while the recorder's queue
** is full). flush, committed and status may be called from any thread.
** close and free must not race with other calls on the same handle.
** The agentos_audit_* functions read a log file and are thread-safe.
**
** Failure is loud: once a write or fsync fails, the recorder stops; every
** later record/flush/close returns AGENTOS_IO with the original error.
*/
#ifndef AGENTOS_RECORDER_API_H_
#define AGENTOS_RECORDER_API_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct agentos_recorder agentos_recorder;

/* Durability modes. Values never change. */
#define AGENTOS_DURABILITY_SYNC 0    /* fsync every group commit: committed records survive power loss */
#define AGENTOS_DURABILITY_RELAXED 1 /* committed records survive a process crash, not a power loss */

/* Record levels. Values never change. */
#define AGENTOS_RECORD_ALL 0        /* every decision */
#define AGENTOS_RECORD_VIOLATIONS 1 /* decisions with a violation + a deterministic sample of the rest */

/* Export formats. Values never change. */
#define AGENTOS_EXPORT_JSON 0  /* JSON array of records */
#define AGENTOS_EXPORT_SPANS 1 /* JSON array of Agent-Lightning LightningStore spans */

typedef struct agentos_recorder_options {
  uint32_t struct_size;       /* sizeof(agentos_recorder_options); set by agentos_recorder_options_init */
  int32_t durability;         /* AGENTOS_DURABILITY_*; default SYNC */
  int32_t level;              /* AGENTOS_RECORD_*; default ALL */
  double sample_rate;         /* at level VIOLATIONS: share of clean decisions kept, in [0, 1]; default 0 */
  const uint8_t* hmac_key;    /* NULL (with length 0): SHA-256 chain; else HMAC-SHA-256 under these bytes (at least 1) */
  size_t hmac_key_len;
  uint32_t payload_max_bytes; /* payloads are cut to this many bytes (<= 1 MiB); default 4096 */
  int32_t redact_payloads;    /* 1: store the hex SHA-256 of each payload instead; default 0 */
  uint32_t queue_capacity;    /* records per queue buffer (two buffers); default 8192 */
  uint32_t checkpoint_every;  /* records between checkpoints; default 8192 */
  uint32_t group_commit_us;   /* max wait for a small group to grow before it commits (<= 1 s); 0: commit at once; default 1000 */
} agentos_recorder_options;

/* What happened around one decision. */
typedef struct agentos_record_context {
  uint32_t struct_size; /* sizeof(agentos_record_context) */
  uint64_t env_id;
  uint64_t episode;
  uint32_t step;
  int32_t executed;    /* 1 if the action actually ran */
  uint32_t signals;    /* bit mask of signals raised at this step */
  int32_t has_reward;  /* 1 if reward and penalty below are known */
  double reward;       /* the step's reward, penalties included */
  double penalty;      /* the policy penalties inside it (<= 0) */
} agentos_record_context;

typedef struct agentos_audit_verify_result {
  uint32_t struct_size;   /* sizeof(agentos_audit_verify_result), set by the caller */
  int32_t valid;          /* 1 if every check passed */
  uint64_t records;       /* records that verified, in order from 1 */
  uint64_t first_bad_seq; /* the first bad record; 0 if the fault is not one record's (header, checkpoint file) */
  char message[512];      /* NUL-terminated: "record 1234: hash mismatch (...)" or a summary */
} agentos_audit_verify_result;

typedef struct agentos_audit_stats {
  uint32_t struct_size;       /* sizeof(agentos_audit_stats), set by the caller */
  int32_t level;              /* AGENTOS_RECORD_* the log was written at */
  double sample_rate;
  uint64_t records;
  uint64_t decisions_seen;    /* decisions the recorder saw (last checkpoint); 0 if unknown */
  uint64_t violating_records; /* records with at least one violation */
  uint64_t blocked_records;   /* records whose action was denied */
  uint64_t violations;        /* every violation, kept or not */
  double violation_rate;      /* violating records / (records at ALL, decisions_seen at VIOLATIONS); -1 if unknown */
  uint64_t by_severity[4];    /* kept violations per AGENTOS_SEVERITY_* */
} agentos_audit_stats;

/* Fills *options with the defaults (and struct_size). AGENTOS_INVALID for NULL. */
AGENTOS_API int agentos_recorder_options_init(agentos_recorder_options* options);

/* Opens a recorder on path (NUL-terminated). A missing or empty file, or an
** SQLite file without tables (half-created by a crash), becomes a new log;
** an existing agentos log is appended to (same key, level and sample rate
** required). options may be NULL for the defaults.
** AGENTOS_INVALID: bad options (an empty non-NULL key too), wrong key;
** AGENTOS_PARSE: not an agentos log; AGENTOS_STATE: another recorder (in
** this process or another) has the log open for writing, the log is shorter
** than its checkpoint file, or there is no log but its checkpoint file
** covers records (deleted or replaced); AGENTOS_IO. */
AGENTOS_API int agentos_recorder_open(const char* path, const agentos_recorder_options* options,
                                      agentos_recorder** out);

/* Records one decision: the action that was checked and the decision the
** kernel made for it (filled by agentos_kernel_check). *seq (may be NULL)
** gets the record's sequence number, or 0 if the level sampled it out.
** Returns once the record is queued (see flush). */
AGENTOS_API int agentos_recorder_record(agentos_recorder* recorder, const agentos_record_context* context,
                                        const agentos_action* action, const agentos_decision* decision,
                                        uint64_t* seq);

/* Waits until every record made before the call is committed. */
AGENTOS_API int agentos_recorder_flush(agentos_recorder* recorder);

/* Highest committed sequence number, and decisions seen (recorded or
** sampled out); either pointer may be NULL. */
AGENTOS_API int agentos_recorder_counters(const agentos_recorder* recorder, uint64_t* committed_seq,
                                          uint64_t* decisions_seen);

/* Drains the queue, writes the final checkpoint and closes the file.
** Environments still holding the recorder then fail their steps with
** AGENTOS_STATE. Returns the recorder's error if it ever failed. */
AGENTOS_API int agentos_recorder_close(agentos_recorder* recorder);

/* Releases the handle; closes the recorder once no environment holds it
** either. Accepts NULL. */
AGENTOS_API void agentos_recorder_free(agentos_recorder* recorder);

/* ---- reading logs ------------------------------------------------------- */
/* Verifies the log at path. key may be NULL (length 0) for an unkeyed log;
** a non-NULL key of length 0 is refused (AGENTOS_INVALID).
** AGENTOS_OK means verification ran: see out->valid. Otherwise the file is
** not a readable log (AGENTOS_NOTFOUND, AGENTOS_PARSE, AGENTOS_IO) or is
** keyed and no key was given (AGENTOS_INVALID); *out is untouched. */
AGENTOS_API int agentos_audit_verify(const char* path, const uint8_t* key, size_t key_len,
                                     agentos_audit_verify_result* out);

AGENTOS_API int agentos_audit_stats_get(const char* path, agentos_audit_stats* out);

/* Statistics as a JSON object (by_policy, by_rule, by_severity, ...). *json
** is NUL-terminated, *json_len (may be NULL) its length; free it with
** agentos_audit_buffer_free. */
AGENTOS_API int agentos_audit_stats_json(const char* path, char** json, size_t* json_len);

/* Exports records with seq > after_seq (at most max_records; 0 = all) as one
** JSON array in *json (free with agentos_audit_buffer_free). *last_seq (may
** be NULL) gets the seq of the last record exported, or after_seq if none:
** pass it back as after_seq to read only new records. */
AGENTOS_API int agentos_audit_export(const char* path, int32_t format, uint64_t after_seq, uint64_t max_records,
                                     char** json, size_t* json_len, uint64_t* last_seq);

/* Exports the whole log to out_path (NUL-terminated), replacing it. */
AGENTOS_API int agentos_audit_export_file(const char* path, int32_t format, const char* out_path);

AGENTOS_API void agentos_audit_buffer_free(char* buffer);

#ifdef __cplusplus
}
#endif

#endif /* AGENTOS_RECORDER_API_H_ */
