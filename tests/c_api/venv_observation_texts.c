/*
** Observation texts of a whole batch read from plain C in one call: one
** buffer of NUL-terminated texts plus num_envs + 1 offsets, the same texts
** agentos_venv_observation_text gives one env at a time. Exits non-zero if
** any expectation fails.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agentos.h"

#include "expect.h"

static const char kPolicy[] =
    "version: 1\n"
    "policies:\n"
    "  - name: sql_safety\n"
    "    type: sql\n"
    "    allow: [SELECT]\n"
    "    deny: [DROP, DELETE]\n";

/* Task 0 of the shop dataset for every env. */
static const char kTask0[] =
    "{\"type\":\"sql\",\"dataset_dir\":\"" AGENTOS_SOURCE_DIR "/env/sql/data/shop\",\"task_index\":0}";
static const char kQuestion0[] = "Question: Count the orders whose status is 'pending'.\nSchema:\n";

enum { kEnvs = 3 };

static agentos_venv* make(agentos_kernel* kernel, int32_t text_observations) {
  agentos_env_config c;
  agentos_env_config_init(&c);
  c.num_envs = kEnvs;
  c.text_observations = text_observations;
  agentos_venv* v = NULL;
  if (agentos_venv_create(kernel, &c, kTask0, strlen(kTask0), &v) != AGENTOS_OK) return NULL;
  return v;
}

/* Every text of the buffer equals the env's own observation text. */
static void expect_same_as_per_env(agentos_venv* v, const char* bytes, const uint64_t* offsets, size_t nbytes) {
  EXPECT(offsets[0] == 0);
  EXPECT(offsets[kEnvs] == nbytes);
  for (size_t i = 0; i < kEnvs; ++i) {
    const char* text = NULL;
    size_t len = 0;
    EXPECT(agentos_venv_observation_text(v, i, &text, &len) == AGENTOS_OK);
    EXPECT(offsets[i + 1] - offsets[i] == len + 1);
    EXPECT(memcmp(bytes + offsets[i], text, len) == 0);
    EXPECT(bytes[offsets[i + 1] - 1] == '\0');
    EXPECT(strlen(bytes + offsets[i]) == len); /* usable as a C string */
  }
}

static void test_texts_of_a_batch(agentos_kernel* kernel) {
  agentos_venv* v = make(kernel, 1);
  EXPECT(v != NULL);
  if (v == NULL) return;
  const char* bytes = NULL;
  const uint64_t* offsets = NULL;
  size_t nbytes = 0;

  /* Before the first reset: three empty texts. */
  EXPECT(agentos_venv_observation_texts(v, &bytes, &offsets, &nbytes) == AGENTOS_OK);
  EXPECT(nbytes == 3);
  EXPECT(offsets[1] == 1 && offsets[2] == 2 && offsets[3] == 3);
  const uint64_t* offsets_at_create = offsets;

  EXPECT(agentos_venv_reset(v, 1, 7, NULL) == AGENTOS_OK);
  EXPECT(agentos_venv_observation_texts(v, &bytes, &offsets, &nbytes) == AGENTOS_OK);
  for (size_t i = 0; i < kEnvs; ++i) {
    EXPECT(strncmp(bytes + offsets[i], kQuestion0, strlen(kQuestion0)) == 0);
  }
  expect_same_as_per_env(v, bytes, offsets, nbytes);
  EXPECT(strstr(bytes, "\norders(id, customer_id -> customers.id,") != NULL); /* the schema is in text 0 */

  static const char kActions[] = "SELECT 1SELECT 2DROP TABLE orders";
  const uint64_t action_offsets[kEnvs + 1] = {0, 8, 16, 33};
  EXPECT(agentos_venv_step(v, kActions, strlen(kActions), action_offsets, kEnvs, NULL) == AGENTOS_OK);
  EXPECT(agentos_venv_observation_texts(v, &bytes, &offsets, &nbytes) == AGENTOS_OK);
  EXPECT(offsets == offsets_at_create); /* the offsets never move */
  expect_same_as_per_env(v, bytes, offsets, nbytes);

  /* Bad calls: NULL arguments, and nothing is written. */
  const char* untouched = "x";
  EXPECT(agentos_venv_observation_texts(NULL, &bytes, &offsets, &nbytes) == AGENTOS_INVALID);
  EXPECT(agentos_venv_observation_texts(v, &untouched, NULL, &nbytes) == AGENTOS_INVALID);
  EXPECT(strcmp(untouched, "x") == 0);
  EXPECT(agentos_venv_observation_texts(v, NULL, &offsets, &nbytes) == AGENTOS_INVALID);
  EXPECT(agentos_venv_observation_texts(v, &bytes, &offsets, NULL) == AGENTOS_INVALID);
  agentos_venv_free(v);
}

static void test_off_unless_asked(agentos_kernel* kernel) {
  agentos_env_config c;
  EXPECT(agentos_env_config_init(&c) == AGENTOS_OK);
  EXPECT(c.text_observations == 0);
  agentos_venv* v = make(kernel, 0);
  EXPECT(v != NULL);
  if (v == NULL) return;
  EXPECT(agentos_venv_reset(v, 1, 7, NULL) == AGENTOS_OK);
  const char* bytes = NULL;
  const uint64_t* offsets = NULL;
  size_t nbytes = 0;
  EXPECT(agentos_venv_observation_texts(v, &bytes, &offsets, &nbytes) == AGENTOS_STATE);
  EXPECT(strstr(agentos_errmsg(), "text_observations") != NULL);
  agentos_venv_free(v);

  EXPECT(make(kernel, 2) == NULL); /* only 0 or 1 */
  EXPECT(strstr(agentos_errmsg(), "config.text_observations must be 0 or 1") != NULL);
}

static void test_chat_form(agentos_kernel* kernel) {
  agentos_venv* v = make(kernel, 0); /* the chat form needs no text buffer */
  EXPECT(v != NULL);
  if (v == NULL) return;
  EXPECT(agentos_venv_reset(v, 1, 7, NULL) == AGENTOS_OK);
  agentos_chat chat;
  memset(&chat, 0, sizeof chat);
  EXPECT(agentos_venv_observation_chat(v, &chat) == AGENTOS_INVALID); /* struct_size unset */
  chat.struct_size = sizeof chat;
  EXPECT(agentos_venv_observation_chat(v, &chat) == AGENTOS_OK);
  EXPECT(chat.num_messages == 2 * kEnvs); /* the SQL task has instructions */
  for (size_t i = 0; i < kEnvs; ++i) {
    EXPECT(chat.env_first[i] == 2 * i);
    const uint64_t sys = chat.env_first[i], user = sys + 1;
    EXPECT(chat.roles[sys] == AGENTOS_CHAT_SYSTEM);
    EXPECT(strcmp(agentos_chat_role_name(chat.roles[sys]), "system") == 0);
    EXPECT(strncmp(chat.bytes + chat.offsets[sys], "Answer the question by writing one SQLite statement", 51) == 0);
    EXPECT(chat.roles[user] == AGENTOS_CHAT_USER);
    EXPECT(strcmp(agentos_chat_role_name(chat.roles[user]), "user") == 0);
    const char* text = NULL;
    size_t len = 0;
    EXPECT(agentos_venv_observation_text(v, i, &text, &len) == AGENTOS_OK);
    EXPECT(chat.offsets[user + 1] - chat.offsets[user] == len + 1);
    EXPECT(strcmp(chat.bytes + chat.offsets[user], text) == 0);
  }
  EXPECT(chat.env_first[kEnvs] == 2 * kEnvs);
  EXPECT(chat.offsets[chat.num_messages] == chat.nbytes);
  EXPECT(strncmp(chat.bytes + chat.offsets[1], kQuestion0, strlen(kQuestion0)) == 0);
  EXPECT(strcmp(agentos_chat_role_name(2), "") == 0);
  EXPECT(agentos_venv_observation_chat(v, NULL) == AGENTOS_INVALID);
  EXPECT(agentos_venv_observation_chat(NULL, &chat) == AGENTOS_INVALID);
  agentos_venv_free(v);
}

int main(void) {
  agentos_kernel* kernel = NULL;
  if (agentos_kernel_from_yaml(kPolicy, strlen(kPolicy), "venv_observation_texts.c", &kernel) != AGENTOS_OK) {
    fprintf(stderr, "kernel: %s\n", agentos_errmsg());
    return 1;
  }
  test_texts_of_a_batch(kernel);
  test_off_unless_asked(kernel);
  test_chat_form(kernel);
  agentos_kernel_free(kernel);
  return expect_exit_code("venv_observation_texts");
}
