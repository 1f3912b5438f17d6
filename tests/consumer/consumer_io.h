/* What the consumer programs need from where they run: a line of output and the arena. The
 * host (consumer_io_host.c) uses stdio and a static array; the firmware (firmware/io_port.c)
 * the Cortex-M port's semihosting output and the RAM the link script leaves. */
#ifndef TINYPROP_CONSUMER_IO_H
#define TINYPROP_CONSUMER_IO_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
void consumer_print(const char* text);
void consumer_arena(uint8_t** start, size_t* bytes);
/* Defined by consumer.c (no stdio on the firmware): an unsigned decimal. */
void consumer_print_u(size_t value);
/* Prints what the platform knows about its memory use (the firmware: the stack high-water mark). */
void consumer_print_memory(void);
#ifdef __cplusplus
}
#endif
#endif
