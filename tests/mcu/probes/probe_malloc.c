// Must not link: the port has no heap.
#include <stdlib.h>

int main(void) {
  volatile char* p = malloc(16);
  return p != 0;
}
