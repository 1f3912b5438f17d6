// Builds, prints through semihosting, exits 0: the control for the heap probes.
#include <string.h>

#include "tp_port.h"

int main(void) {
  static const char kText[] = "probe_ok\n";
  tp_port_write(kText, strlen(kText));
  return 0;
}
