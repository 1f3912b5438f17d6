/* Writes synthetic samples (synthetic.h) as CSV for `tinyprop train --csv`: 144 features and
 * the label last. Usage: synth_csv DOMAIN FIRST COUNT > file.csv */
#include <stdio.h>
#include <stdlib.h>

#include "synthetic.h"

int main(int argc, char** argv) {
  float x[SYN_INPUT];
  uint32_t label = 0, i, j, first, count, domain;
  if (argc != 4) {
    fputs("usage: synth_csv DOMAIN FIRST COUNT\n", stderr);
    return 2;
  }
  domain = (uint32_t)strtoul(argv[1], NULL, 10);
  first = (uint32_t)strtoul(argv[2], NULL, 10);
  count = (uint32_t)strtoul(argv[3], NULL, 10);
  for (i = first; i < first + count; ++i) {
    syn_sample(i, domain, x, &label);
    for (j = 0; j < SYN_INPUT; ++j) printf("%.6g,", (double)x[j]);
    printf("%u\n", (unsigned)label);
  }
  return 0;
}
