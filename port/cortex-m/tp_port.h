// The few platform services the firmware examples need: a console, host files (read-only, and
// one read-write file standing in for checkpoint flash), the
// command line, an exit status, and instruction-counting markers. On Cortex-M they go through
// semihosting (port/cortex-m/semihost.c); a host build implements the same functions with
// stdio (examples/mcu_finetune/host_port.c), so the application code is identical on both.
//
// No function here allocates: on the target there is no heap at all (see docs/MCU.md).
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Opens a host file for binary reading. Returns a handle >= 0, or -1.
int tp_port_open(const char* path);
// Reads up to n bytes; returns the number read (0 at end of file), or -1 on error.
long tp_port_read(int handle, void* buf, size_t n);
// Moves to absolute byte offset pos. Returns 0 on success.
int tp_port_seek(int handle, size_t pos);
void tp_port_close(int handle);
// Opens a host file for binary reading and writing, creating it (empty) when it does not exist
// (*created = 1 then, else 0). Returns a handle >= 0, or -1. The checkpoint flash stand-in.
int tp_port_open_rw(const char* path, int* created);
// Writes n bytes at the file position; returns 0 when all were written, -1 otherwise.
int tp_port_write_file(int handle, const void* buf, size_t n);

// Writes n bytes of text to the console (stdout).
void tp_port_write(const char* text, size_t n);

// The command line as one string ("prog arg1 arg2 ..."), NUL-terminated, into buf[cap].
// Returns the length, or -1 when it does not fit or is unavailable.
int tp_port_cmdline(char* buf, size_t cap);

// Ends the program with this status (QEMU exits with it).
void tp_port_exit(int status) __attribute__((noreturn));

// Deepest stack use so far in bytes (stack painted at reset), 0 where unknown (host).
size_t tp_port_stack_used(void);
// Bytes reserved for the stack by the link script, 0 where unknown (host).
size_t tp_port_stack_reserved(void);

// Static RAM the link script leaves for the training arena: [*start, *start + *bytes).
// The host build returns a static buffer of its own.
void tp_port_arena(uint8_t** start, size_t* bytes);

// Instruction-counting markers. The QEMU plugin (tools/qemu-plugin) counts instructions executed
// between a call to tp_mark_step_begin() and the next call to tp_mark_step_end(), attributing
// them to phases by function address. They do nothing else.
void tp_mark_step_begin(void);
void tp_mark_step_end(void);

#ifdef __cplusplus
}
#endif
