/* Host side of consumer_io.h: stdout, and a 128 KB static arena (the RAM of the smallest
 * board the firmware tests use, so that the host run makes the same fits / does not fit). */
#include <stdio.h>

#include "consumer_io.h"

static uint8_t g_arena[128u * 1024u] __attribute__((aligned(16)));

void consumer_print(const char* text) { fputs(text, stdout); }

void consumer_arena(uint8_t** start, size_t* bytes) {
  *start = g_arena;
  *bytes = sizeof g_arena;
}

void consumer_print_memory(void) {}
