#include "data/fft.h"

#include <fftw3.h>

#include "util/error.h"

namespace tinyprop::host::audio {

RealFft::RealFft(uint32_t n) : n_(n) {
  if (n < 2) throw Error("FFT size must be at least 2, got " + std::to_string(n));
  in_ = static_cast<float*>(fftwf_malloc(sizeof(float) * n));
  out_ = static_cast<std::complex<float>*>(fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1)));
  if (in_ != nullptr && out_ != nullptr) {
    // std::complex<float> is layout-compatible with fftwf_complex (float[2]), as FFTW documents.
    plan_ = fftwf_plan_dft_r2c_1d(static_cast<int>(n), in_, reinterpret_cast<fftwf_complex*>(out_),
                                  FFTW_ESTIMATE);
  }
  if (plan_ == nullptr) {
    fftwf_free(in_);
    fftwf_free(out_);
    throw Error("cannot plan a real FFT of size " + std::to_string(n));
  }
}

RealFft::~RealFft() {
  fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  fftwf_free(in_);
  fftwf_free(out_);
}

void RealFft::execute() { fftwf_execute(static_cast<fftwf_plan>(plan_)); }

}  // namespace tinyprop::host::audio
