// Reset and fault handling for the Cortex-M firmware (no vendor startup code, no newlib crt0).
//
// Works on ARMv6-M (Cortex-M0/M0+), ARMv7-M (M3, M4, M7) and ARMv8-M (M33, M55): the assembly
// below uses only Thumb-1 instructions, and registers that ARMv6-M lacks (the coprocessor access
// and configurable fault status registers) are touched only on cores that have them.
//
// Reset_Handler: enable the FPU (if the build uses one), copy .data from flash, zero .bss, paint the stack (to measure
// its deepest use later), run C++ static constructors, read the semihosting command line into
// argc/argv, call main, exit with its status. A CPU fault prints the fault registers and exits
// with status 99, so a crash fails a test at once instead of spinning until a timeout.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tp_port.h"

// Defined by the link scripts (common.ld).
extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __stack_limit, __stack_top;
extern uint8_t __arena_start, __arena_end;
extern void (*__preinit_array_start[])(void);
extern void (*__preinit_array_end[])(void);
extern void (*__init_array_start[])(void);
extern void (*__init_array_end[])(void);

extern int main(int argc, char** argv);

#define TP_STACK_PAINT 0xA5C3A5C3u
#define TP_FAULT_STATUS 99

// The Main Extension (ARMv7-M, ARMv8-M Mainline) has the configurable fault status registers;
// ARMv6-M and ARMv8-M Baseline have only the HardFault.
#if defined(__ARM_ARCH_6M__) || defined(__ARM_ARCH_8M_BASE__)
#define TP_HAS_FAULT_STATUS 0
#else
#define TP_HAS_FAULT_STATUS 1
#endif

// System control registers (ARMv7-M architecture reference manual, B3.2).
#define SCB_CPACR (*(volatile uint32_t*)0xE000ED88u)  // coprocessor access control
#define SCB_CFSR (*(volatile uint32_t*)0xE000ED28u)   // configurable fault status
#define SCB_HFSR (*(volatile uint32_t*)0xE000ED2Cu)   // hard fault status
#define SCB_BFAR (*(volatile uint32_t*)0xE000ED38u)   // bus fault address

static char g_cmdline[512];
static char* g_argv[24];

static int split_cmdline(void) {
  int argc = 0;
  if (tp_port_cmdline(g_cmdline, sizeof g_cmdline) < 0) g_cmdline[0] = '\0';
  char* p = g_cmdline;
  while (*p != '\0' && argc < (int)(sizeof g_argv / sizeof g_argv[0]) - 1) {
    while (*p == ' ') *p++ = '\0';
    if (*p == '\0') break;
    g_argv[argc++] = p;
    while (*p != '\0' && *p != ' ') ++p;
  }
  g_argv[argc] = NULL;
  return argc;
}

static inline uintptr_t current_sp(void) {
  uintptr_t sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

void Reset_Handler(void) {
#if defined(__ARM_FP)
  // CP10 and CP11 full access: the FPU must be on before any floating-point instruction. A
  // soft-float build leaves it off (and a core without one has no CPACR to write).
  SCB_CPACR |= (0xFu << 20);
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif

  for (uint32_t *src = &__data_load, *dst = &__data_start; dst < &__data_end;) *dst++ = *src++;
  for (uint32_t* dst = &__bss_start; dst < &__bss_end;) *dst++ = 0u;

  // Paint the free stack below this frame (a small gap keeps this loop's own frame intact).
  volatile uint32_t* const paint_end = (volatile uint32_t*)(current_sp() - 64u);
  for (volatile uint32_t* p = &__stack_limit; p < paint_end; ++p) *p = TP_STACK_PAINT;

  for (void (**f)(void) = __preinit_array_start; f < __preinit_array_end; ++f) (*f)();
  for (void (**f)(void) = __init_array_start; f < __init_array_end; ++f) (*f)();

  const int argc = split_cmdline();
  tp_port_exit(main(argc, g_argv));
}

size_t tp_port_stack_reserved(void) {
  return (size_t)((uintptr_t)&__stack_top - (uintptr_t)&__stack_limit);
}

size_t tp_port_stack_used(void) {
  const uint32_t* p = &__stack_limit;
  while (p < &__stack_top && *p == TP_STACK_PAINT) ++p;
  return (size_t)((uintptr_t)&__stack_top - (uintptr_t)p);
}

void tp_port_arena(uint8_t** start, size_t* bytes) {
  *start = &__arena_start;
  *bytes = (size_t)(&__arena_end - &__arena_start);
}

// errno for the C library's math functions (newlib's own __errno points into a 1 KB reentrancy
// structure in RAM that nothing else here needs).
int* __errno(void) {
  static int error_number;
  return &error_number;
}

// ---- faults -------------------------------------------------------------------------------

static void write_str(const char* s) { tp_port_write(s, strlen(s)); }

static void write_hex(uint32_t v) {
  char buf[11] = "0x";
  for (int i = 0; i < 8; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
  buf[10] = '\0';
  write_str(buf);
}

// frame: the exception stack frame (r0, r1, r2, r3, r12, lr, pc, xpsr).
__attribute__((used, noreturn)) void tp_fault_report(const uint32_t* frame, uint32_t kind) {
  static const char* const kNames[] = {"NMI", "HardFault", "MemManage", "BusFault",
                                       "UsageFault", "unexpected interrupt"};
  write_str("\nFAULT: ");
  write_str(kNames[kind < 6u ? kind : 5u]);
  write_str(" pc=");
  write_hex(frame[6]);
  write_str(" lr=");
  write_hex(frame[5]);
#if TP_HAS_FAULT_STATUS
  write_str(" cfsr=");
  write_hex(SCB_CFSR);
  write_str(" hfsr=");
  write_hex(SCB_HFSR);
  write_str(" bfar=");
  write_hex(SCB_BFAR);
#endif
  write_str("\n");
  tp_port_exit(TP_FAULT_STATUS);
}

// Each handler passes the active stack pointer (the exception frame: bit 2 of EXC_RETURN in lr
// says main or process stack) and its kind. Thumb-1 only (no IT block, no tst with an immediate,
// no high register in tst), so the same code assembles for ARMv6-M; `bl` reaches the whole image
// (a Thumb-1 `b` only +-2 KB) and tp_fault_report never returns.
#define TP_FAULT_HANDLER(name, kind)                                      \
  __attribute__((naked)) void name(void) {                                \
    __asm__ volatile("mov r0, lr\n\t"                                     \
                     "movs r1, #4\n\t"                                    \
                     "tst r0, r1\n\t"                                     \
                     "bne 1f\n\t"                                         \
                     "mrs r0, msp\n\t"                                    \
                     "b 2f\n"                                              \
                     "1:\n\t"                                             \
                     "mrs r0, psp\n"                                       \
                     "2:\n\t"                                             \
                     "movs r1, #" #kind "\n\t"                            \
                     "bl tp_fault_report\n\t");                           \
  }

TP_FAULT_HANDLER(NMI_Handler, 0)
TP_FAULT_HANDLER(HardFault_Handler, 1)
TP_FAULT_HANDLER(MemManage_Handler, 2)
TP_FAULT_HANDLER(BusFault_Handler, 3)
TP_FAULT_HANDLER(UsageFault_Handler, 4)
TP_FAULT_HANDLER(Default_Handler, 5)

// The vector table: initial stack pointer, then the handlers (ARMv7-M B1.5.3). The firmware
// enables no interrupts; every external interrupt slot points at Default_Handler.
typedef void (*tp_vector_t)(void);
#define TP_N_EXTERNAL_IRQS 16
__attribute__((used, section(".isr_vector"))) const tp_vector_t g_tp_vectors[16 + TP_N_EXTERNAL_IRQS] = {
    (tp_vector_t)(uintptr_t)&__stack_top,
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    0, 0, 0, 0,
    Default_Handler,  // SVCall
    Default_Handler,  // DebugMonitor
    0,
    Default_Handler,  // PendSV
    Default_Handler,  // SysTick
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
};
