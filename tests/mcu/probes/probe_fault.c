// Writes to an address with no memory behind it: the bus fault must end the run with status 99
// (port/cortex-m/startup.c) instead of hanging QEMU.
#include <stdint.h>

int main(void) {
  *(volatile uint32_t*)0xFFFFFFF0u = 1u;
  return 0;
}
