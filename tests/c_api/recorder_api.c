/*
** The flight recorder C API (agentos_recorder.h) driven from plain C11, end
** to end: open a recorder on a temporary file, record the decisions of real
** kernel checks, flush, close, verify; tamper with the file's bytes and see
** verification name the record; and bad input (NULL handles, bad paths, bad
** options, foreign files) returns an error code with agentos_errmsg() set.
** Exits non-zero if any expectation fails.
*/
#define _GNU_SOURCE /* mkdtemp, memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentos.h"

#include "expect.h"

/* The call failed with `code` and left a message saying why. */
#define EXPECT_ERR(call, code)                                                   \
  do {                                                                           \
    int rc_ = (call);                                                            \
    EXPECT(rc_ == (code));                                                       \
    EXPECT(agentos_errmsg() != NULL && strlen(agentos_errmsg()) > 0);            \
  } while (0)

static const char kPolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: sql_safety\n"
    "    type: sql\n"
    "    allow: [SELECT, INSERT, UPDATE]\n"
    "    deny: [DROP, DELETE, TRUNCATE]\n";

/* A payload found exactly once in the file: the record to tamper with. */
static const char kMarker[] = "SELECT 'tamper-target-7f3a' AS marker";

static char g_dir[256];

static void path_in(char* out, size_t n, const char* name) { snprintf(out, n, "%s/%s", g_dir, name); }

static void remove_log(const char* path) {
  static const char* const kSuffixes[] = {"", ".checkpoint", "-wal", "-shm", ".checkpoint.tmp"};
  char p[512];
  size_t i;
  for (i = 0; i < sizeof kSuffixes / sizeof kSuffixes[0]; ++i) {
    snprintf(p, sizeof p, "%s%s", path, kSuffixes[i]);
    unlink(p);
  }
}

static agentos_action make_action(const char* payload) {
  agentos_action a;
  memset(&a, 0, sizeof a);
  a.struct_size = sizeof a;
  a.kind = AGENTOS_ACTION_SQL;
  a.agent_id = "agent-c";
  a.agent_id_len = strlen(a.agent_id);
  a.payload = payload;
  a.payload_len = strlen(payload);
  a.cost_usd = 0.01;
  a.tokens = 3;
  return a;
}

/* Reads the whole file; NULL on failure. */
static unsigned char* read_file(const char* path, size_t* len) {
  FILE* f = fopen(path, "rb");
  unsigned char* buf;
  long n;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = (unsigned char*)malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static int write_file(const char* path, const void* bytes, size_t len) {
  FILE* f = fopen(path, "wb");
  int ok;
  if (!f) return 0;
  ok = fwrite(bytes, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

static int copy_file(const char* from, const char* to) {
  size_t n = 0;
  unsigned char* b = read_file(from, &n);
  int ok = b != NULL && write_file(to, b, n);
  free(b);
  return ok;
}

/* Records `count` checked decisions; returns the seq of the marker record (0 if none). */
static uint64_t record_decisions(agentos_recorder* r, const agentos_kernel* k, agentos_decision* d, int count,
                                 uint64_t* violating) {
  static const char* const kStatements[] = {"SELECT name FROM users WHERE id = 1", "DROP TABLE users",
                                            "UPDATE users SET a = 1 WHERE id = 2", "DELETE FROM users",
                                            "TRUNCATE orders"};
  uint64_t marker_seq = 0;
  int i;
  *violating = 0;
  for (i = 0; i < count; ++i) {
    const char* sql = i == count / 2 ? kMarker : kStatements[i % 5];
    agentos_action a = make_action(sql);
    agentos_record_context ctx = {.struct_size = sizeof(agentos_record_context)};
    uint64_t seq = 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.struct_size = sizeof ctx;
    ctx.env_id = (uint64_t)(i % 3);
    ctx.episode = (uint64_t)(i / 10);
    ctx.step = (uint32_t)(i % 10);
    EXPECT(agentos_kernel_check(k, NULL, &a, d) == AGENTOS_OK);
    {
      int32_t allowed = 0;
      size_t kept = 0;
      EXPECT(agentos_decision_allowed(d, &allowed) == AGENTOS_OK);
      EXPECT(agentos_decision_violation_count(d, &kept) == AGENTOS_OK);
      ctx.executed = allowed;
      if (kept > 0) ++*violating;
    }
    ctx.has_reward = 1;
    ctx.reward = ctx.executed ? 1.0 : -1.0;
    ctx.penalty = ctx.executed ? 0.0 : -1.0;
    EXPECT(agentos_recorder_record(r, &ctx, &a, d, &seq) == AGENTOS_OK);
    EXPECT(seq == (uint64_t)i + 1);
    if (sql == kMarker) marker_seq = seq;
  }
  return marker_seq;
}

static void test_record_flush_close_verify_tamper(void) {
  char log[512], copy[512], cp[512 + 16], copy_cp[512 + 16];
  agentos_kernel* k = NULL;
  agentos_decision* d = NULL;
  agentos_recorder* r = NULL;
  agentos_recorder_options o;
  agentos_audit_verify_result v = {.struct_size = sizeof(agentos_audit_verify_result)};
  agentos_audit_stats st = {.struct_size = sizeof(agentos_audit_stats)};
  uint64_t committed = 0, seen = 0, violating = 0, marker_seq;
  const int n = 200;
  unsigned char* bytes;
  size_t len = 0;
  unsigned char* hit;

  path_in(log, sizeof log, "decisions.db");
  path_in(copy, sizeof copy, "tampered.db");
  snprintf(cp, sizeof cp, "%s.checkpoint", log);
  snprintf(copy_cp, sizeof copy_cp, "%s.checkpoint", copy);
  remove_log(log);
  remove_log(copy);

  EXPECT(agentos_kernel_from_yaml(kPolicy, strlen(kPolicy), "inline.yaml", &k) == AGENTOS_OK);
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  if (!k || !d) return;

  agentos_recorder_options_init(&o);
  EXPECT(o.durability == AGENTOS_DURABILITY_SYNC);
  EXPECT(o.level == AGENTOS_RECORD_ALL);
  o.durability = AGENTOS_DURABILITY_RELAXED;
  o.checkpoint_every = 64;
  EXPECT(agentos_recorder_open(log, &o, &r) == AGENTOS_OK);
  if (!r) return;
  marker_seq = record_decisions(r, k, d, n, &violating);
  EXPECT(marker_seq == (uint64_t)n / 2 + 1);
  EXPECT(agentos_recorder_flush(r) == AGENTOS_OK);
  EXPECT(agentos_recorder_counters(r, &committed, &seen) == AGENTOS_OK);
  EXPECT(committed == (uint64_t)n);
  EXPECT(seen == (uint64_t)n);
  EXPECT(agentos_recorder_counters(r, NULL, NULL) == AGENTOS_OK);
  EXPECT(agentos_recorder_close(r) == AGENTOS_OK);
  EXPECT(agentos_recorder_close(r) == AGENTOS_OK); /* idempotent */
  /* Closed: recording is a state error, with a message. */
  {
    agentos_action a = make_action("SELECT 1");
    agentos_record_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.struct_size = sizeof ctx;
    EXPECT(agentos_kernel_check(k, NULL, &a, d) == AGENTOS_OK);
    EXPECT_ERR(agentos_recorder_record(r, &ctx, &a, d, NULL), AGENTOS_STATE);
  }
  agentos_recorder_free(r);
  r = NULL;

  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  EXPECT(agentos_audit_verify(log, NULL, 0, &v) == AGENTOS_OK);
  EXPECT(v.valid == 1);
  EXPECT(v.records == (uint64_t)n);
  EXPECT(v.first_bad_seq == 0);
  EXPECT(strncmp(v.message, "valid: 200 record(s)", 20) == 0);

  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  EXPECT(agentos_audit_stats_get(log, &st) == AGENTOS_OK);
  EXPECT(st.records == (uint64_t)n);
  EXPECT(st.violating_records == violating);
  EXPECT(st.violating_records > 0 && st.blocked_records == st.violating_records);

  /* Reopen and append: the chain continues at n + 1. */
  EXPECT(agentos_recorder_open(log, &o, &r) == AGENTOS_OK);
  if (r) {
    agentos_action a = make_action("SELECT 2");
    agentos_record_context ctx = {.struct_size = sizeof(agentos_record_context)};
    uint64_t seq = 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.struct_size = sizeof ctx;
    EXPECT(agentos_kernel_check(k, NULL, &a, d) == AGENTOS_OK);
    EXPECT(agentos_recorder_record(r, &ctx, &a, d, &seq) == AGENTOS_OK);
    EXPECT(seq == (uint64_t)n + 1);
    EXPECT(agentos_recorder_close(r) == AGENTOS_OK);
    EXPECT(agentos_recorder_counters(r, &committed, NULL) == AGENTOS_OK);
    EXPECT(committed == (uint64_t)n + 1);
    agentos_recorder_free(r);
    r = NULL;
  }
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  EXPECT(agentos_audit_verify(log, NULL, 0, &v) == AGENTOS_OK);
  EXPECT(v.valid == 1 && v.records == (uint64_t)n + 1);

  /* Raw byte edit of a closed log (its WAL is merged into the file at close):
  ** change one byte of the marker record's payload in a copy. */
  bytes = read_file(log, &len);
  EXPECT(bytes != NULL);
  if (bytes) {
    hit = (unsigned char*)memmem(bytes, len, kMarker, strlen(kMarker));
    EXPECT(hit != NULL);
    if (hit) {
      EXPECT(memmem(hit + 1, len - (size_t)(hit - bytes) - 1, kMarker, strlen(kMarker)) == NULL); /* once */
      hit[7] = 'U'; /* "SELECT 'tamper..." -> "SELECT Utamper..." */
      EXPECT(write_file(copy, bytes, len));
      EXPECT(copy_file(cp, copy_cp));
      memset(&v, 0, sizeof v);
      v.struct_size = sizeof v;
      EXPECT(agentos_audit_verify(copy, NULL, 0, &v) == AGENTOS_OK);
      EXPECT(v.valid == 0);
      EXPECT(v.first_bad_seq == marker_seq);
      EXPECT(v.records == marker_seq - 1);
      EXPECT(strstr(v.message, "hash mismatch") != NULL);
    }
    free(bytes);
  }
  /* The untouched original still verifies. */
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  EXPECT(agentos_audit_verify(log, NULL, 0, &v) == AGENTOS_OK);
  EXPECT(v.valid == 1);

  /* Deleting the checkpoint file makes verification fail (not valid). */
  EXPECT(unlink(copy_cp) == 0);
  EXPECT(copy_file(log, copy));
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  EXPECT(agentos_audit_verify(copy, NULL, 0, &v) == AGENTOS_OK);
  EXPECT(v.valid == 0);
  EXPECT(strstr(v.message, "missing") != NULL);

  remove_log(log);
  remove_log(copy);
  agentos_decision_free(d);
  agentos_kernel_free(k);
}

static void test_keyed_log(void) {
  static const uint8_t kKey[] = {'s', 'e', 'c', 'r', 'e', 't', '-', 'k', 'e', 'y'};
  static const uint8_t kWrong[] = {'w', 'r', 'o', 'n', 'g'};
  char log[512];
  agentos_kernel* k = NULL;
  agentos_decision* d = NULL;
  agentos_recorder* r = NULL;
  agentos_recorder_options o;
  agentos_audit_verify_result v = {.struct_size = sizeof(agentos_audit_verify_result)};
  uint64_t violating = 0;

  path_in(log, sizeof log, "keyed.db");
  remove_log(log);
  EXPECT(agentos_kernel_from_yaml(kPolicy, strlen(kPolicy), "inline.yaml", &k) == AGENTOS_OK);
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);
  if (!k || !d) return;
  agentos_recorder_options_init(&o);
  o.hmac_key = kKey;
  o.hmac_key_len = sizeof kKey;
  EXPECT(agentos_recorder_open(log, &o, &r) == AGENTOS_OK); /* sync mode */
  if (r) {
    (void)record_decisions(r, k, d, 20, &violating);
    EXPECT(agentos_recorder_close(r) == AGENTOS_OK);
    agentos_recorder_free(r);
    r = NULL;
  }
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  EXPECT(agentos_audit_verify(log, kKey, sizeof kKey, &v) == AGENTOS_OK);
  EXPECT(v.valid == 1 && v.records == 20);
  /* Without the key: not verifiable, an error with a message; *out untouched. */
  memset(&v, 0x5a, sizeof v);
  v.struct_size = sizeof v;
  EXPECT_ERR(agentos_audit_verify(log, NULL, 0, &v), AGENTOS_INVALID);
  EXPECT(strstr(agentos_errmsg(), "struct_size") == NULL);
  EXPECT(v.valid == 0x5a5a5a5a);
  /* With the wrong key: verification runs and fails. */
  memset(&v, 0, sizeof v);
  v.struct_size = sizeof v;
  EXPECT(agentos_audit_verify(log, kWrong, sizeof kWrong, &v) == AGENTOS_OK);
  EXPECT(v.valid == 0);
  /* Appending without the key or with another key is refused. */
  o.hmac_key = NULL;
  o.hmac_key_len = 0;
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  EXPECT(r == NULL);
  o.hmac_key = kWrong;
  o.hmac_key_len = sizeof kWrong;
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  EXPECT(r == NULL);
  remove_log(log);
  agentos_decision_free(d);
  agentos_kernel_free(k);
}

static void test_bad_input(void) {
  char log[512], text[512], missing[512], empty[512];
  agentos_recorder* r = NULL;
  agentos_recorder_options o;
  agentos_audit_verify_result v = {.struct_size = sizeof(agentos_audit_verify_result)};
  agentos_audit_stats st = {.struct_size = sizeof(agentos_audit_stats)};
  agentos_decision* d = NULL;
  agentos_action a = make_action("SELECT 1");
  agentos_record_context ctx = {.struct_size = sizeof(agentos_record_context)};
  char* json = NULL;
  uint64_t u = 0;

  memset(&ctx, 0, sizeof ctx);
  ctx.struct_size = sizeof ctx;
  path_in(log, sizeof log, "bad.db");
  path_in(text, sizeof text, "notes.txt");
  path_in(missing, sizeof missing, "no-such-dir/x.db");
  path_in(empty, sizeof empty, "empty.db");
  remove_log(log);
  EXPECT(agentos_recorder_options_init(NULL) == AGENTOS_INVALID);
  EXPECT(agentos_decision_new(&d) == AGENTOS_OK);

  /* NULL handles and outputs. */
  EXPECT_ERR(agentos_recorder_open(NULL, NULL, &r), AGENTOS_INVALID);
  EXPECT_ERR(agentos_recorder_open(log, NULL, NULL), AGENTOS_INVALID);
  EXPECT_ERR(agentos_recorder_record(NULL, &ctx, &a, d, NULL), AGENTOS_INVALID);
  EXPECT_ERR(agentos_recorder_flush(NULL), AGENTOS_INVALID);
  EXPECT_ERR(agentos_recorder_counters(NULL, &u, &u), AGENTOS_INVALID);
  EXPECT_ERR(agentos_recorder_close(NULL), AGENTOS_INVALID);
  agentos_recorder_free(NULL);
  EXPECT_ERR(agentos_audit_verify(NULL, NULL, 0, &v), AGENTOS_INVALID);
  EXPECT_ERR(agentos_audit_verify(log, NULL, 0, NULL), AGENTOS_INVALID);
  EXPECT_ERR(agentos_audit_verify(log, NULL, 5, &v), AGENTOS_INVALID); /* NULL key with a length */
  EXPECT_ERR(agentos_audit_stats_get(NULL, &st), AGENTOS_INVALID);
  EXPECT_ERR(agentos_audit_stats_json(log, NULL, NULL), AGENTOS_INVALID);
  EXPECT_ERR(agentos_audit_export(NULL, AGENTOS_EXPORT_JSON, 0, 0, &json, NULL, NULL), AGENTOS_INVALID);
  EXPECT_ERR(agentos_audit_export(log, 9, 0, 0, &json, NULL, NULL), AGENTOS_INVALID);
  agentos_audit_buffer_free(NULL);

  /* Bad options. */
  agentos_recorder_options_init(&o);
  o.durability = 7;
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  agentos_recorder_options_init(&o);
  o.level = -1;
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  agentos_recorder_options_init(&o);
  o.sample_rate = 2.0;
  o.level = AGENTOS_RECORD_VIOLATIONS;
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  agentos_recorder_options_init(&o);
  o.queue_capacity = 0;
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  agentos_recorder_options_init(&o);
  EXPECT(o.group_commit_us == 1000);
  o.group_commit_us = 1000001; /* more than 1 s */
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  agentos_recorder_options_init(&o);
  o.hmac_key_len = 4; /* with a NULL key */
  EXPECT_ERR(agentos_recorder_open(log, &o, &r), AGENTOS_INVALID);
  EXPECT(r == NULL);
  EXPECT(access(log, F_OK) != 0); /* a refused open creates nothing */

  /* Bad paths. */
  EXPECT(agentos_recorder_open(missing, NULL, &r) != AGENTOS_OK);
  EXPECT(strlen(agentos_errmsg()) > 0);
  EXPECT(r == NULL);
  EXPECT(agentos_recorder_open(g_dir, NULL, &r) != AGENTOS_OK); /* a directory */
  EXPECT(strlen(agentos_errmsg()) > 0);
  EXPECT(r == NULL);
  EXPECT(agentos_recorder_open("", NULL, &r) != AGENTOS_OK);
  EXPECT(r == NULL);
  EXPECT_ERR(agentos_audit_verify(missing, NULL, 0, &v), AGENTOS_NOTFOUND);
  EXPECT_ERR(agentos_audit_stats_get(missing, &st), AGENTOS_NOTFOUND);
  EXPECT(agentos_audit_verify(g_dir, NULL, 0, &v) != AGENTOS_OK);
  EXPECT(strlen(agentos_errmsg()) > 0);

  /* A foreign file is never taken over or overwritten. */
  EXPECT(write_file(text, "just some notes, not a database\n", 32));
  EXPECT_ERR(agentos_recorder_open(text, NULL, &r), AGENTOS_PARSE);
  EXPECT(strstr(agentos_errmsg(), "not an SQLite database") != NULL);
  EXPECT(r == NULL);
  EXPECT_ERR(agentos_audit_verify(text, NULL, 0, &v), AGENTOS_PARSE);
  {
    size_t n = 0;
    unsigned char* b = read_file(text, &n);
    EXPECT(b != NULL && n == 32 && memcmp(b, "just some", 9) == 0);
    free(b);
  }
  /* An empty file (a crash right after it was created) is not a log for
  ** the readers, and becomes a new log for the recorder. */
  EXPECT(write_file(empty, "", 0));
  EXPECT_ERR(agentos_audit_verify(empty, NULL, 0, &v), AGENTOS_PARSE);
  EXPECT(agentos_recorder_open(empty, NULL, &r) == AGENTOS_OK);
  if (r) {
    EXPECT(agentos_recorder_close(r) == AGENTOS_OK);
    agentos_recorder_free(r);
    r = NULL;
    memset(&v, 0, sizeof v);
    v.struct_size = sizeof v;
    EXPECT(agentos_audit_verify(empty, NULL, 0, &v) == AGENTOS_OK);
    EXPECT(v.valid == 1 && v.records == 0);
  }
  remove_log(empty);
  unlink(text);
  agentos_decision_free(d);
}

int main(void) {
  const char* tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/agentos_recorder_c_XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp(g_dir) == NULL) {
    perror("mkdtemp");
    return 2;
  }
  test_record_flush_close_verify_tamper();
  test_keyed_log();
  test_bad_input();
  rmdir(g_dir);
  return expect_exit_code("recorder_api");
}
