// ARM semihosting: the program asks the debugger (here QEMU, started with
// -semihosting-config enable=on,target=native) to do I/O on the host, through `bkpt 0xAB` with
// an operation number in r0 and a pointer to an argument block in r1.
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  SEMIHOST_SYS_OPEN = 0x01,
  SEMIHOST_SYS_CLOSE = 0x02,
  SEMIHOST_SYS_WRITE0 = 0x04,
  SEMIHOST_SYS_WRITE = 0x05,
  SEMIHOST_SYS_READ = 0x06,
  SEMIHOST_SYS_SEEK = 0x0A,
  SEMIHOST_SYS_FLEN = 0x0C,
  SEMIHOST_SYS_GET_CMDLINE = 0x15,
  SEMIHOST_SYS_EXIT = 0x18,
  SEMIHOST_SYS_EXIT_EXTENDED = 0x20,
};

// Reason code of a normal application exit (ADP_Stopped_ApplicationExit).
#define SEMIHOST_ADP_STOPPED_APPLICATION_EXIT 0x20026u

static inline int32_t semihost_call(int32_t op, void* args) {
  register int32_t r0 __asm__("r0") = op;
  register void* r1 __asm__("r1") = args;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

#ifdef __cplusplus
}
#endif
