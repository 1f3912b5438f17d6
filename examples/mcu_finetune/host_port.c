// tp_port.h for the host build of the firmware: the same application code, with stdio.
#include <stdio.h>
#include <stdlib.h>

#include "tp_port.h"

enum { kMaxFiles = 8 };
static FILE* g_files[kMaxFiles];

int tp_port_open(const char* path) {
  for (int h = 0; h < kMaxFiles; ++h) {
    if (g_files[h] == NULL) {
      g_files[h] = fopen(path, "rb");
      return g_files[h] != NULL ? h : -1;
    }
  }
  return -1;
}

int tp_port_open_rw(const char* path, int* created) {
  for (int h = 0; h < kMaxFiles; ++h) {
    if (g_files[h] == NULL) {
      g_files[h] = fopen(path, "r+b");
      *created = 0;
      if (g_files[h] == NULL) {
        g_files[h] = fopen(path, "w+b");
        *created = g_files[h] != NULL;
      }
      return g_files[h] != NULL ? h : -1;
    }
  }
  return -1;
}

int tp_port_write_file(int h, const void* buf, size_t n) {
  if (fwrite(buf, 1, n, g_files[h]) != n) return -1;
  return fflush(g_files[h]) == 0 ? 0 : -1;  // on "flash" once written, as on the target
}

long tp_port_read(int h, void* buf, size_t n) {
  const size_t got = fread(buf, 1, n, g_files[h]);
  return ferror(g_files[h]) ? -1 : (long)got;
}

int tp_port_seek(int h, size_t pos) { return fseek(g_files[h], (long)pos, SEEK_SET) == 0 ? 0 : -1; }

void tp_port_close(int h) {
  fclose(g_files[h]);
  g_files[h] = NULL;
}

void tp_port_write(const char* text, size_t n) { fwrite(text, 1, n, stdout); }

int tp_port_cmdline(char* buf, size_t cap) {
  (void)buf;
  (void)cap;
  return -1;  // the host passes argc/argv to main directly
}

void tp_port_exit(int status) { exit(status); }

size_t tp_port_stack_used(void) { return 0; }
size_t tp_port_stack_reserved(void) { return 0; }

// As much arena as the largest board offers (mps2: 4 MiB RAM).
static _Alignas(16) uint8_t g_arena[4u << 20];

void tp_port_arena(uint8_t** start, size_t* bytes) {
  *start = g_arena;
  *bytes = sizeof g_arena;
}

void tp_mark_step_begin(void) {}
void tp_mark_step_end(void) {}
