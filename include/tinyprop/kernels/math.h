// The transcendental functions the core uses, written out in plain float arithmetic (adds,
// multiplies, divides and bit operations only) instead of the C library's expf/logf/tanhf/cosf.
//
// Why: every other operation of the core is an IEEE single-precision add, multiply, divide or
// square root, which every conforming machine rounds the same way (the core is compiled with
// -ffp-contract=off). The C libraries' transcendental functions are not: glibc's expf works in
// double precision (with FMA where the CPU has it), newlib's is fdlibm's single-precision code or
// a double-based one depending on its build, and they disagree in the last bit for about one
// input in ten. With these definitions a program that links only the core computes the same bits
// on every host and every Cortex-M, with or without an FPU.
//
// Accuracy (tests/unit/math_test.cpp checks it against the C library's double-precision exp,
// log, tanh and cos over the whole float range, every 97th float plus the special cases):
//   exp, log:  within 2 ulp of the exact result everywhere;
//   tanh:      within 3 ulp everywhere;
//   cos:       within 2 ulp for |x| <= 4096 (the core calls it on [0, 2 pi)); beyond that the
//              argument reduction loses bits and the result is only bounded by 1 in magnitude.
// Special values follow C99 Annex F: exp(-inf) = 0, exp(+inf) = +inf, log(0) = -inf,
// log(x < 0) = NaN, tanh(+-inf) = +-1, NaN in gives NaN out.
#pragma once

namespace tinyprop {
namespace math {

float exp(float x);
float log(float x);
float tanh(float x);
float cos(float x);

}  // namespace math
}  // namespace tinyprop
