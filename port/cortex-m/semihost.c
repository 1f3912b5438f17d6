// tp_port.h on Cortex-M through semihosting. No newlib stdio (which would need the heap).
#include <string.h>

#include "semihost.h"
#include "tp_port.h"

// Semihosting SYS_OPEN modes (ISO C fopen modes in this order: r rb r+ r+b w wb ...).
enum { kModeReadBinary = 1, kModeReadWriteBinary = 3, kModeWrite = 4, kModeCreateReadWriteBinary = 7 };

static int32_t g_console = -1;  // ":tt" opened for writing = the host's stdout

int tp_port_open(const char* path) {
  uint32_t args[3] = {(uint32_t)(uintptr_t)path, kModeReadBinary, (uint32_t)strlen(path)};
  return semihost_call(SEMIHOST_SYS_OPEN, args);
}

int tp_port_open_rw(const char* path, int* created) {
  uint32_t args[3] = {(uint32_t)(uintptr_t)path, kModeReadWriteBinary, (uint32_t)strlen(path)};
  int32_t h = semihost_call(SEMIHOST_SYS_OPEN, args);  // "r+b": exists
  *created = 0;
  if (h >= 0) return h;
  args[1] = kModeCreateReadWriteBinary;  // "w+b": create
  h = semihost_call(SEMIHOST_SYS_OPEN, args);
  *created = h >= 0;
  return h;
}

int tp_port_write_file(int handle, const void* buf, size_t n) {
  uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, (uint32_t)n};
  return semihost_call(SEMIHOST_SYS_WRITE, args) == 0 ? 0 : -1;  // returns bytes NOT written
}

long tp_port_read(int handle, void* buf, size_t n) {
  uint32_t args[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, (uint32_t)n};
  const int32_t not_read = semihost_call(SEMIHOST_SYS_READ, args);  // bytes NOT read
  if (not_read < 0 || (size_t)not_read > n) return -1;
  return (long)(n - (size_t)not_read);
}

int tp_port_seek(int handle, size_t pos) {
  uint32_t args[2] = {(uint32_t)handle, (uint32_t)pos};
  return semihost_call(SEMIHOST_SYS_SEEK, args) == 0 ? 0 : -1;
}

void tp_port_close(int handle) {
  uint32_t args[1] = {(uint32_t)handle};
  (void)semihost_call(SEMIHOST_SYS_CLOSE, args);
}

void tp_port_write(const char* text, size_t n) {
  if (g_console < 0) {
    static const char kTt[] = ":tt";
    uint32_t args[3] = {(uint32_t)(uintptr_t)kTt, kModeWrite, 3};
    g_console = semihost_call(SEMIHOST_SYS_OPEN, args);
    if (g_console < 0) return;
  }
  uint32_t args[3] = {(uint32_t)g_console, (uint32_t)(uintptr_t)text, (uint32_t)n};
  (void)semihost_call(SEMIHOST_SYS_WRITE, args);
}

int tp_port_cmdline(char* buf, size_t cap) {
  if (cap == 0) return -1;
  uint32_t args[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)cap};
  if (semihost_call(SEMIHOST_SYS_GET_CMDLINE, args) != 0) return -1;
  const size_t len = args[1];  // the host writes the length it used
  if (len >= cap) return -1;
  buf[len] = '\0';
  return (int)len;
}

void tp_port_exit(int status) {
  // SYS_EXIT_EXTENDED carries the status (plain SYS_EXIT on 32-bit ARM cannot).
  uint32_t args[2] = {SEMIHOST_ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
  (void)semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, args);
  for (;;) {
  }
}
