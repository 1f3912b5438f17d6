/* The check macro of the C API tests: prints one line per check and remembers a failure in
 * g_failed (each test's main returns it). */
#ifndef TINYPROP_TESTS_CAPI_CHECK_H
#define TINYPROP_TESTS_CAPI_CHECK_H
#include <stdio.h>

static int g_failed = 0;
#define CHECK(cond)                                   \
  do {                                                \
    if (cond) {                                       \
      printf("PASS %s\n", #cond);                     \
    } else {                                          \
      printf("FAIL %s (line %d)\n", #cond, __LINE__); \
      g_failed = 1;                                   \
    }                                                 \
  } while (0)

#endif
