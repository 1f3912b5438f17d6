// Instruction-counting markers (tp_port.h). Each writes a different value to a volatile global
// so that the compiler can neither drop them nor fold them into one function (identical code
// folding), and each stays a real call (noinline) whose entry address the QEMU plugin watches.
#include "tp_port.h"

volatile uint32_t g_tp_marker;

__attribute__((noinline)) void tp_mark_step_begin(void) { g_tp_marker = 1u; }
__attribute__((noinline)) void tp_mark_step_end(void) { g_tp_marker = 2u; }
