/* Firmware side of consumer_io.h: semihosting output and the RAM the link script leaves after
 * static data and the stack (port/cortex-m/tp_port.h). */
#include <string.h>

#include "consumer_io.h"
#include "tp_port.h"

void consumer_print(const char* text) { tp_port_write(text, strlen(text)); }

void consumer_arena(uint8_t** start, size_t* bytes) { tp_port_arena(start, bytes); }

/* "memory stack_used=<bytes> stack_reserved=<bytes>" (the painted-stack high-water mark). */
void consumer_print_memory(void) {
  consumer_print("memory stack_used=");
  consumer_print_u(tp_port_stack_used());
  consumer_print(" stack_reserved=");
  consumer_print_u(tp_port_stack_reserved());
  consumer_print("\n");
}
