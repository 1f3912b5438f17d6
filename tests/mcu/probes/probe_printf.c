// Must not link: newlib's stdio allocates its buffers (and float formatting) on the heap.
#include <stdio.h>

int main(void) {
  printf("%f\n", 1.5);
  return 0;
}
