// Faults on purpose: the fault handler must end the run with status 99 (port/cortex-m/startup.c)
// instead of hanging QEMU. First a write to an address with no memory behind it (a bus fault on
// the MPS2/MPS3 and STM32 boards); QEMU's nRF51 (microbit) ignores such writes, so then an
// undefined instruction (udf), which faults on every core.
#include <stdint.h>

int main(void) {
  *(volatile uint32_t*)0xFFFFFFF0u = 1u;
  __builtin_trap();
}
