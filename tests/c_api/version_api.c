/*
** The version macros of agentos.h describe the library that is loaded: a C
** caller can compare AGENTOS_VERSION_NUMBER with agentos_version_number() to
** detect a header/library mismatch. (CMake refuses to configure unless the
** macros equal project(VERSION).)
*/
#include <stdio.h>
#include <string.h>

#include "agentos.h"

#define STR_(x) #x
#define STR(x) STR_(x)

int main(void) {
  int failed = 0;
  if (agentos_version_number() != AGENTOS_VERSION_NUMBER) {
    fprintf(stderr, "library %d, header %d\n", agentos_version_number(), AGENTOS_VERSION_NUMBER);
    failed = 1;
  }
  const char* want = STR(AGENTOS_VERSION_MAJOR) "." STR(AGENTOS_VERSION_MINOR) "." STR(AGENTOS_VERSION_PATCH);
  if (strcmp(agentos_version(), want) != 0) {
    fprintf(stderr, "agentos_version() is '%s', header says '%s'\n", agentos_version(), want);
    failed = 1;
  }
  /* The number packs major, minor and patch in two decimal digits each. */
  if (AGENTOS_VERSION_NUMBER != AGENTOS_VERSION_MAJOR * 10000 + AGENTOS_VERSION_MINOR * 100 + AGENTOS_VERSION_PATCH ||
      AGENTOS_VERSION_MINOR > 99 || AGENTOS_VERSION_PATCH > 99) {
    fprintf(stderr, "AGENTOS_VERSION_NUMBER does not pack major.minor.patch\n");
    failed = 1;
  }
  if (!failed) printf("version_api: %s (%d)\n", agentos_version(), agentos_version_number());
  return failed;
}
