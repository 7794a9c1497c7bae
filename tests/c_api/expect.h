/*
** The expectations of the C API's C test programs: EXPECT(cond) counts a
** pass or reports the failed condition with the library's errmsg and goes
** on, so one run shows every failure; expect_exit_code() ends main.
** Included by exactly one translation unit per program.
*/
#ifndef AGENTOS_TESTS_C_API_EXPECT_H_
#define AGENTOS_TESTS_C_API_EXPECT_H_

#include <stdio.h>

#include "agentos.h"

static int g_passed = 0;
static int g_failed = 0;

#define EXPECT(cond)                                                                          \
  do {                                                                                        \
    if (cond) {                                                                               \
      ++g_passed;                                                                             \
    } else {                                                                                  \
      ++g_failed;                                                                             \
      fprintf(stderr, "%s:%d: expected %s (errmsg: %s)\n", __FILE__, __LINE__, #cond,         \
              agentos_errmsg());                                                              \
    }                                                                                         \
  } while (0)

/* Prints "<program>: P passed, F failed" and returns main's exit code. */
static inline int expect_exit_code(const char* program) {
  printf("%s: %d passed, %d failed\n", program, g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

#endif /* AGENTOS_TESTS_C_API_EXPECT_H_ */
