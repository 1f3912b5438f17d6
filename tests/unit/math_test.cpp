// The core's portable exp, log, tanh and cos (include/tinyprop/kernels/math.h) against the C
// library's double-precision exp, log, tanh and cos, which are far more accurate than a float
// ulp: a sweep over every 97th float bit pattern (about 44 million inputs, both signs, zero to
// infinity; cos on |x| <= 4096, its stated range) plus the special cases. The bounds below are
// the ones docs/ALGORITHM.md states.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "tinyprop/kernels/math.h"

namespace tinyprop {
namespace {

constexpr double kExpLogBoundUlp = 2.0;
constexpr double kTanhBoundUlp = 3.0;
constexpr double kCosBoundUlp = 2.0;
constexpr uint64_t kStride = 97;

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// |got - want| in units in the last place of binary32 at want (subnormal spacing below 2^-126).
// A result that must round to 0 or to infinity has to be exactly that.
double ulp_error(float got, double want) {
  const float rounded = static_cast<float>(want);
  if (std::isinf(rounded) || rounded == 0.0f) {
    return got == rounded ? 0.0 : std::numeric_limits<double>::infinity();
  }
  int e = 0;
  std::frexp(want, &e);
  double ulp = std::ldexp(1.0, e - 24);
  if (std::fabs(want) < 0x1p-126) ulp = 0x1p-149;
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

struct Worst {
  double ulp = 0.0;
  float at = 0.0f;
  uint64_t differs_from_libm = 0;  // inputs where the C library's float function gives other bits
  uint64_t inputs = 0;
  void see(float x, float got, double want, float libm) {
    const double e = ulp_error(got, want);
    if (e > ulp) {
      ulp = e;
      at = x;
    }
    if (std::memcmp(&got, &libm, sizeof got) != 0) ++differs_from_libm;
    ++inputs;
  }
  std::string where() const {
    char text[160];
    std::snprintf(text, sizeof text, "worst %.3f ulp at %a; %llu of %llu inputs differ from libm",
                  ulp, static_cast<double>(at), static_cast<unsigned long long>(differs_from_libm),
                  static_cast<unsigned long long>(inputs));
    return text;
  }
};

TEST(PortableMath, SweepAgainstTheCLibrary) {
  Worst wexp, wlog, wtanh, wcos;
  for (uint64_t u = 0; u < (1ull << 32); u += kStride) {
    const float x = from_bits(static_cast<uint32_t>(u));
    if (std::isnan(x)) continue;
    const double xd = static_cast<double>(x);
    wexp.see(x, math::exp(x), std::exp(xd), std::exp(x));
    wtanh.see(x, math::tanh(x), std::tanh(xd), std::tanh(x));
    if (x > 0.0f) wlog.see(x, math::log(x), std::log(xd), std::log(x));
    if (std::fabs(x) <= 4096.0f) wcos.see(x, math::cos(x), std::cos(xd), std::cos(x));
  }
  RecordProperty("exp", wexp.where());
  RecordProperty("log", wlog.where());
  RecordProperty("tanh", wtanh.where());
  RecordProperty("cos", wcos.where());
  EXPECT_LE(wexp.ulp, kExpLogBoundUlp) << "exp: " << wexp.where();
  EXPECT_LE(wlog.ulp, kExpLogBoundUlp) << "log: " << wlog.where();
  EXPECT_LE(wtanh.ulp, kTanhBoundUlp) << "tanh: " << wtanh.where();
  EXPECT_LE(wcos.ulp, kCosBoundUlp) << "cos: " << wcos.where();
  std::printf("exp:  %s\nlog:  %s\ntanh: %s\ncos:  %s\n", wexp.where().c_str(),
              wlog.where().c_str(), wtanh.where().c_str(), wcos.where().c_str());
}

// Dense where the core evaluates most: the softmax takes exp of z - max z <= 0 and the
// Box-Muller transform cos of [0, 2 pi): every 5th float of [-2, -2^-4] and every 7th of
// [2^-4, 2 pi) (the tiny ones are covered by the sweep above).
TEST(PortableMath, DenseWhereTheCoreEvaluates) {
  Worst wexp, wcos;
  const uint32_t lo = 0x3d800000u;  // 2^-4
  for (uint32_t u = lo; u <= 0x40000000u; u += 5) {  // [2^-4, 2]
    const float x = -from_bits(u);
    wexp.see(x, math::exp(x), std::exp(static_cast<double>(x)), std::exp(x));
  }
  for (uint32_t u = lo; from_bits(u) < 6.2831855f; u += 7) {
    const float x = from_bits(u);
    wcos.see(x, math::cos(x), std::cos(static_cast<double>(x)), std::cos(x));
  }
  EXPECT_LE(wexp.ulp, kExpLogBoundUlp) << "exp: " << wexp.where();
  EXPECT_LE(wcos.ulp, kCosBoundUlp) << "cos: " << wcos.where();
}

TEST(PortableMath, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(math::exp(0.0f), 1.0f);
  EXPECT_EQ(math::exp(-0.0f), 1.0f);
  EXPECT_EQ(math::exp(-inf), 0.0f);
  EXPECT_EQ(math::exp(inf), inf);
  EXPECT_EQ(math::exp(89.0f), inf);       // e^89 > FLT_MAX
  EXPECT_EQ(math::exp(-104.0f), 0.0f);    // e^-104 < 2^-150
  EXPECT_GT(math::exp(-100.0f), 0.0f);    // a subnormal result
  EXPECT_LE(ulp_error(math::exp(-100.0f), std::exp(-100.0)), kExpLogBoundUlp);
  EXPECT_LE(ulp_error(math::exp(88.7f), std::exp(static_cast<double>(88.7f))), kExpLogBoundUlp);  // near FLT_MAX
  EXPECT_EQ(math::log(1.0f), 0.0f);
  EXPECT_EQ(math::log(0.0f), -inf);
  EXPECT_EQ(math::log(-0.0f), -inf);
  EXPECT_EQ(math::log(inf), inf);
  EXPECT_TRUE(std::isnan(math::log(-1.0f)));
  EXPECT_TRUE(std::isnan(math::log(-inf)));
  EXPECT_LE(ulp_error(math::log(0x1p-149f), std::log(0x1p-149)), kExpLogBoundUlp);  // subnormal
  EXPECT_LE(ulp_error(math::log(0x1p-140f), std::log(0x1p-140)), kExpLogBoundUlp);
  EXPECT_EQ(math::tanh(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(math::tanh(-0.0f)));
  EXPECT_EQ(math::tanh(inf), 1.0f);
  EXPECT_EQ(math::tanh(-inf), -1.0f);
  EXPECT_EQ(math::tanh(20.0f), 1.0f);
  EXPECT_EQ(math::tanh(0x1p-149f), 0x1p-149f);  // tanh x = x for tiny x
  EXPECT_EQ(math::cos(0.0f), 1.0f);
  EXPECT_EQ(math::cos(-0.0f), 1.0f);
  EXPECT_TRUE(std::isnan(math::cos(inf)));
  for (float (*f)(float) : {math::exp, math::log, math::tanh, math::cos}) {
    EXPECT_TRUE(std::isnan(f(nan)));
  }
  // Odd and even symmetry hold bit for bit.
  for (float x : {0.3f, 1.7f, 5.5f, 3000.25f}) {
    EXPECT_EQ(math::tanh(-x), -math::tanh(x)) << x;
    EXPECT_EQ(math::cos(-x), math::cos(x)) << x;
  }
}

}  // namespace
}  // namespace tinyprop
